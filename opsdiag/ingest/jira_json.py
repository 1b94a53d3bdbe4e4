"""Jira REST JSON pages: search results (with or without changelog) and changelog pages.

Supported shapes (recognised by content, any file name):

- ``/rest/api/2|3/search`` pages: ``{"startAt", "maxResults", "total", "issues": [...]}``,
  optionally ``names`` (custom field id → display name), ``schema`` and, per issue,
  ``changelog.histories`` (``expand=changelog``);
- Cloud's ``/rest/api/3/search/jql`` pages: ``{"issues", "nextPageToken", "isLast"}`` (no total);
- one issue (``/rest/api/2|3/issue/{key}``, ``{"key", "fields"}``) or a JSON array of issues;
- ``/rest/api/2|3/issue/{key}/changelog`` pages: ``{"values": [history…], "startAt", "isLast"}``.
  The issue key comes from the page's ``self`` URL (``…/issue/ABC-12/changelog…``), else from
  the file name (``ABC-12_changelog_2.json``); a page naming neither is an error.

Per issue: ``fields`` → work_items (status category from ``status.statusCategory``; completed /
canceled from ``resolutiondate``, falling back to ``statuscategorychangedate``; labels,
``fixVersions`` → releases, sprint custom field → sprints, ``parent`` / Epic Link → parent_id,
Story Points via ``names``). Changelog ``status`` items → transitions (``fromString`` →
``toString``); ``priority``, ``Sprint``, ``Fix Version`` and ``Flagged`` items → field_changes
with field ``priority``, ``sprint``, ``fix_version``, ``flagged``. Sprint objects/strings with
dates → the ``sprints`` table; fix versions → the ``releases`` table (``releaseDate`` is the
released date when ``released`` is true, else the planned date). Descriptions (v3: ADF
documents), comments and e-mail addresses are ignored. Pages repeated in a folder are merged
by ``read_folder``, which de-duplicates items by key and transitions by (item, time, status).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, ReadContext, read_json
from .dates import format_rest_timestamp as _stamp
from .dates import parse_dates
from .jira_common import (CATEGORY_LABELS, SOURCE_JSON, infer_status_category, lifecycle,
                          map_status_category, parse_sprint, sprint_value, strip_emails)
from .jira_common import none_if_missing as _none

# changelog field (lower case) -> canonical field_changes.field
CHANGE_FIELDS = {"priority": "priority", "sprint": "sprint", "fix version": "fix_version", "flagged": "flagged"}
# custom field display names / schema types the importer resolves
CUSTOM_NAMES = {"story points": "estimate", "story point estimate": "estimate_alt", "sprint": "sprint",
                "epic link": "epic", "team": "team"}
CUSTOM_TYPES = {"com.pyxis.greenhopper.jira:gh-sprint": "sprint", "com.pyxis.greenhopper.jira:gh-epic-link": "epic",
                "com.pyxis.greenhopper.jira:jsw-story-points": "estimate",
                "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team": "team"}
_CHANGELOG_SELF = re.compile(r"/issue/([^/?#]+)/changelog")
_KEY = re.compile(r"([A-Z][A-Z0-9_]+-\d+)")


def _is_issue(value) -> bool:
    return isinstance(value, dict) and "key" in value and isinstance(value.get("fields"), dict)


def page_kind(doc) -> str | None:
    """``search``, ``issue``, ``issues`` or ``changelog`` for a Jira REST document, else None."""
    if isinstance(doc, list):
        return "issues" if doc and all(_is_issue(v) for v in doc) else None
    if not isinstance(doc, dict):
        return None
    issues = doc.get("issues")
    if isinstance(issues, list):
        if issues:
            return "search" if all(_is_issue(v) for v in issues) else None
        return "search" if {"startAt", "total", "isLast", "nextPageToken"} & set(doc) else None
    values = doc.get("values")
    if isinstance(values, list) and ("isLast" in doc or "startAt" in doc or "changelog" in str(doc.get("self", ""))):
        if all(isinstance(v, dict) and "items" in v and "created" in v for v in values):
            return "changelog" if values or "changelog" in str(doc.get("self", "")) else None
        return None
    return "issue" if _is_issue(doc) else None


class JiraJsonFormat(Format):
    """Jira REST JSON (search pages, issues, changelog pages) → items, transitions and more."""

    name = "jira_json"
    tables = ("work_items", "transitions", "field_changes", "sprints", "releases")
    description = "Jira REST JSON page"

    def sniff(self, probe: Probe) -> bool:
        return probe.looks_json and page_kind(probe.json) is not None

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        doc = probe.json if probe.json is not None else read_json(probe)  # parsed once, by sniff
        kind = page_kind(doc)
        if kind is None:
            raise InputFormatError(probe.path, "not a Jira REST page (expected 'issues' with 'key' and "
                                   "'fields', or a changelog page with 'values')", column="issues")
        if kind == "changelog":
            key = changelog_key(doc, probe.path)
            histories = [(key, h) for h in doc["values"]]
            return _changes(histories, ctx)
        issues = doc if kind == "issues" else [doc] if kind == "issue" else doc["issues"]
        names = doc.get("names") if isinstance(doc, dict) else None
        schema = doc.get("schema") if isinstance(doc, dict) else None
        return read_issues(issues, ctx, names=names or {}, schema=schema or {})


def changelog_key(doc: dict, path: Path) -> str:
    """The issue key of a changelog page: from its ``self`` URL, else from the file name."""
    match = _CHANGELOG_SELF.search(str(doc.get("self", "")))
    if match and _KEY.fullmatch(match.group(1)):
        return match.group(1)
    match = _KEY.search(path.stem)
    if match:
        return match.group(1)
    raise InputFormatError(path, "a changelog page must say which issue it belongs to: keep Jira's "
                           "'self' URL (…/issue/ABC-12/changelog) or name the file after the key "
                           "(ABC-12_changelog.json)", column="self")


def _custom_fields(names: dict, schema: dict) -> dict[str, list[str]]:
    """role (estimate, sprint, epic, team) -> custom field ids, from ``names`` and ``schema``."""
    roles: dict[str, list[str]] = {}
    for field_id, spec in schema.items():
        role = CUSTOM_TYPES.get(spec.get("custom", "")) if isinstance(spec, dict) else None
        if role:
            roles.setdefault(role, []).append(field_id)
    for field_id, name in names.items():
        role = CUSTOM_NAMES.get(str(name).strip().lower())
        if role and field_id not in roles.get(role, []):
            roles.setdefault(role, []).append(field_id)
    return roles


def _name(value, *keys: str):
    """``value[key]`` for the first key present when value is an object, else the value itself."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) not in (None, ""):
                return value[key]
        return None
    return value if value not in ("", []) else None


def _looks_like_sprints(value) -> bool:
    first = value[0] if isinstance(value, list) and value else None
    return (isinstance(first, dict) and "name" in first and ("boardId" in first or "state" in first)) \
        or (isinstance(first, str) and "greenhopper.service.sprint.Sprint" in first)


def read_issues(issues: list[dict], ctx: ReadContext, names: dict | None = None,
                schema: dict | None = None) -> dict[str, pd.DataFrame]:
    """Jira REST issue objects → work_items, transitions, field_changes, sprints, releases.

    One pass over the issues builds flat lists (one loop over JSON issues and their
    histories), then each table is one DataFrame. ``names`` / ``schema`` resolve custom fields
    (Story Points, Sprint, Epic Link, Team); without them sprint fields are found by their
    values' shape and story points stay unknown (noted).
    """
    roles = _custom_fields(names or {}, schema or {})
    rows, histories, sprint_rows, release_rows, truncated = [], [], [], [], []
    for issue in issues:
        fields, key = issue["fields"], str(issue["key"]).strip()
        status = fields.get("status") or {}
        category = status.get("statusCategory") or {}
        sprint_ids = roles.get("sprint") or [f for f, v in fields.items()
                                             if f.startswith("customfield_") and _looks_like_sprints(v)]
        sprints = [parse_sprint(s) for f in sprint_ids for s in (fields.get(f) or [])]
        sprints = [s for s in sprints if s]
        sprint_rows += sprints
        versions = [v for v in fields.get("fixVersions") or [] if isinstance(v, dict) and v.get("name")]
        release_rows += versions
        parent = _name(fields.get("parent"), "key")
        for field_id in roles.get("epic", []):
            parent = parent or _name(fields.get(field_id), "key")
        estimate = None
        for field_id in roles.get("estimate", []) + roles.get("estimate_alt", []):
            if estimate is None and isinstance(fields.get(field_id), (int, float)):
                estimate = float(fields[field_id])
        team = next((_name(fields.get(f), "name", "title", "value") for f in roles.get("team", [])
                     if fields.get(f)), None)
        rows.append({
            "item_id": key, "title": fields.get("summary"), "item_type": _name(fields.get("issuetype"), "name"),
            "project": _name(fields.get("project"), "key", "name"), "team": team,
            "status": _name(status, "name"), "category": category.get("key") or category.get("name"),
            "created_at": fields.get("created"), "resolved": fields.get("resolutiondate"),
            "changed": fields.get("statuscategorychangedate"),
            "resolution": _name(fields.get("resolution"), "name"), "priority": _name(fields.get("priority"), "name"),
            "estimate": estimate, "labels": tuple(str(v) for v in fields.get("labels") or ()),
            "sprints": tuple(dict.fromkeys(s["name"] for s in sprints)),
            "releases": tuple(str(v["name"]) for v in versions),
            "assignee": _name(fields.get("assignee"), "displayName", "name"),
            "parent_id": parent, "source": SOURCE_JSON,
        })
        changelog = issue.get("changelog") or {}
        got = changelog.get("histories") or []
        histories += [(key, h) for h in got]
        if isinstance(changelog.get("total"), int) and changelog["total"] > len(got):
            truncated.append(key)
    if truncated:
        ctx.note("changelog_truncated", "warning", truncated, f"{len(truncated)} issue(s) carry only part of "
                 "their history in this page; add their /issue/KEY/changelog pages (opsdiag jira-export "
                 "fetches them)", count=len(truncated))
    if "estimate" not in roles and "estimate_alt" not in roles and rows:
        ctx.note("jira_story_points_unknown", "info", [], "the page has no 'names' map naming the Story "
                 "Points field (request it with expand=names): estimates are empty", count=1)
    out = _changes(histories, ctx)
    with_history = set(out["transitions"]["item_id"]) if "transitions" in out else set()
    out["work_items"] = _work_items(pd.DataFrame(rows), ctx, with_history)
    out["sprints"] = _sprints(sprint_rows, ctx)
    out["releases"] = _releases(release_rows, ctx)
    return out


def _times(values: pd.Series, ctx: ReadContext, column: str, items: pd.Series | None = None) -> pd.Series:
    return parse_dates(values.astype("str"), ctx, column=column, formats=(), numeric=False, items=items)


def _work_items(frame: pd.DataFrame, ctx: ReadContext, with_history: set = frozenset()) -> pd.DataFrame:
    """Fields → work items; the lifecycle fallbacks are noted only for items without a changelog."""
    if frame.empty:
        return frame
    ids = frame["item_id"].astype("str")
    for column in ("created_at", "resolved", "changed"):
        frame[column] = _times(frame[column], ctx, column, ids)
    status, resolution = frame["status"].astype("str"), frame["resolution"].astype("str")
    category = map_status_category(frame["category"]).fillna(infer_status_category(status, resolution))
    frame["status_category"] = category.astype("str")
    history = ids.isin(with_history)
    dates = lifecycle(category.where(~history), status, resolution, frame["resolved"], frame["changed"], ctx,
                      items=ids)
    if history.any():  # a changelog decides these items' dates downstream; keep the fields as given
        dates.loc[history] = lifecycle(category[history], status[history], resolution[history],
                                       frame.loc[history, "resolved"], frame.loc[history, "changed"],
                                       type(ctx)(timezone=ctx.timezone), items=ids[history])
    frame[dates.columns] = dates
    frame["assignee"] = strip_emails(frame["assignee"])
    return frame.drop(columns=["category", "resolved", "changed"])


def _changes(histories: list[tuple[str, dict]], ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Changelog histories → transitions (status items) and field_changes (the fields that matter)."""
    flat = [(key, h.get("created"), str(i.get("field") or i.get("fieldId") or "").strip().lower(),
             i.get("fromString"), i.get("toString"))
            for key, h in histories for i in h.get("items") or () if isinstance(i, dict)]
    frame = pd.DataFrame(flat, columns=["item_id", "at", "field", "from_value", "to_value"])
    transitions = pd.DataFrame(columns=["item_id", "at", "from_status", "to_status", "source"])
    changes = pd.DataFrame(columns=["item_id", "at", "field", "from_value", "to_value"])
    if not frame.empty:
        frame["at"] = _times(frame["at"], ctx, "created", frame["item_id"])
        status = frame[frame["field"].eq("status")]
        transitions = pd.DataFrame({"item_id": status["item_id"], "at": status["at"],
                                    "from_status": status["from_value"], "to_status": status["to_value"],
                                    "source": SOURCE_JSON}).drop_duplicates(["item_id", "at", "to_status"])
        changes = frame[frame["field"].isin(CHANGE_FIELDS)].assign(field=lambda f: f["field"].map(CHANGE_FIELDS))
        changes = changes.drop_duplicates(["item_id", "at", "field", "to_value"])
    return {"transitions": transitions.sort_values(["item_id", "at"], kind="stable"),
            "field_changes": changes.sort_values(["item_id", "at"], kind="stable")}


def _sprints(rows: list[dict], ctx: ReadContext) -> pd.DataFrame:
    """Sprint objects that carry dates or a state → the sprints table (one row per name)."""
    frame = pd.DataFrame(rows, columns=["id", "name", "state", "start", "end"])
    frame = frame[frame["start"].notna() | frame["end"].notna() | frame["state"].notna()]
    frame = frame.drop_duplicates("name")
    if frame.empty:
        return pd.DataFrame(columns=["sprint", "team", "start", "end", "state"])
    return pd.DataFrame({"sprint": frame["name"], "team": None,
                         "start": _times(frame["start"], ctx, "startDate", frame["name"]),
                         "end": _times(frame["end"], ctx, "endDate", frame["name"]), "state": frame["state"]})


def _releases(rows: list[dict], ctx: ReadContext) -> pd.DataFrame:
    """Fix versions → releases: ``releaseDate`` is released when ``released``, else planned."""
    frame = pd.DataFrame(rows, columns=["name", "released", "archived", "releaseDate"]).drop_duplicates("name")
    if frame.empty:
        return pd.DataFrame(columns=["release", "team", "planned_date", "released_date", "status"])
    date = _times(frame["releaseDate"], ctx, "releaseDate", frame["name"])
    released = frame["released"].astype("object").eq(True)
    status = pd.Series("unreleased", index=frame.index).mask(released, "released")
    status = status.mask(frame["archived"].astype("object").eq(True), "archived")
    return pd.DataFrame({"release": frame["name"], "team": None, "planned_date": date.where(~released),
                         "released_date": date.where(released), "status": status})


# --- writer ----------------------------------------------------------------------------------

WRITE_FIELDS = {"customfield_10016": "Story Points", "customfield_10020": "Sprint", "customfield_10001": "Team"}
CHANGE_NAMES = {"priority": "priority", "sprint": "Sprint", "fix_version": "Fix Version", "flagged": "Flagged"}


def write_search_pages(items: pd.DataFrame, transitions: pd.DataFrame, field_changes: pd.DataFrame,
                       folder: str | Path, page_size: int = 50, api: str = "v2", prefix: str = "jira_search",
                       *, sprints: pd.DataFrame | None = None, releases: pd.DataFrame | None = None) -> list[Path]:
    """Write canonical tables as Jira search pages with ``expand=changelog`` and ``names``.

    ``api="v2"``: ``/rest/api/2/search`` pages (``startAt``/``total``, sprints as Server's
    greenhopper strings); ``"v3"``: the same with ADF descriptions and sprint objects; ``"jql"``:
    Cloud's ``/rest/api/3/search/jql`` pages (``nextPageToken``/``isLast``, no total). Each
    item's transitions and field changes become its changelog histories (grouped by time,
    oldest first); ``sprints`` / ``releases`` tables, when given, supply sprint dates and fix
    version dates. Files are ``<prefix>_0001.json`` …; returns their paths.
    """
    if api not in ("v2", "v3", "jql"):
        raise ValueError(f"api must be 'v2', 'v3' or 'jql', not {api!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = items.reset_index(drop=True)
    status_names = sorted(set(items["status"].dropna()) | set(transitions.get("from_status", pd.Series()).dropna())
                          | set(transitions.get("to_status", pd.Series()).dropna()))
    status_ids = {name: str(10000 + i) for i, name in enumerate(status_names)}
    histories = _histories(transitions, field_changes, status_ids)
    sprint_info = {} if sprints is None else sprints.set_index("sprint").to_dict("index")
    sprint_ids = {name: i + 1 for i, name in enumerate(dict.fromkeys(
        [s for t in items.get("sprints", pd.Series(dtype=object)) for s in (t or ())]))}
    release_info = {} if releases is None else releases.set_index("release").to_dict("index")
    release_ids = {name: str(10000 + i) for i, name in enumerate(dict.fromkeys(
        [r for t in items.get("releases", pd.Series(dtype=object)) for r in (t or ())]))}
    issues = [_issue(row, i, api, status_ids, histories.get(row["item_id"], []), sprint_info, sprint_ids,
                     release_info, release_ids) for i, row in enumerate(items.to_dict("records"))]
    written = []
    pages = [issues[i:i + page_size] for i in range(0, len(issues), page_size)] or [[]]
    for number, page in enumerate(pages):
        doc = {"expand": "schema,names", "issues": page, "names": WRITE_FIELDS}
        if api == "jql":
            if number < len(pages) - 1:
                doc["nextPageToken"] = f"page-{number + 2}"
            doc["isLast"] = number == len(pages) - 1
        else:
            doc.update(startAt=number * page_size, maxResults=page_size, total=len(issues))
        path = folder / f"{prefix}_{number + 1:04d}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # single line, as Jira answers
        written.append(path)
    return written


def _histories(transitions: pd.DataFrame, field_changes: pd.DataFrame, status_ids: dict) -> dict[str, list]:
    """item_id -> changelog histories (one per timestamp, oldest first)."""
    status = pd.DataFrame({
        "item_id": transitions["item_id"], "at": transitions["at"], "field": "status", "fieldtype": "jira",
        "fieldId": "status", "from": transitions["from_status"].map(status_ids),
        "fromString": transitions["from_status"], "to": transitions["to_status"].map(status_ids),
        "toString": transitions["to_status"]})
    names = field_changes["field"].astype("str").str.lower().map(CHANGE_NAMES).fillna(field_changes["field"])
    others = pd.DataFrame({
        "item_id": field_changes["item_id"], "at": field_changes["at"], "field": names,
        "fieldtype": names.map(lambda n: "jira" if n == "priority" else "custom"), "fieldId": None,
        "from": None, "fromString": field_changes["from_value"], "to": None,
        "toString": field_changes["to_value"]})
    entries = pd.concat([f for f in (status, others) if len(f)], ignore_index=True) if len(status) or len(others) \
        else status
    if entries.empty:
        return {}
    entries["at"] = pd.to_datetime(entries["at"], utc=True)
    entries = entries.sort_values(["item_id", "at"], kind="stable")
    entries["created"] = entries["at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23) + "+0000"
    records = entries.drop(columns=["at"]).astype("object").where(entries.drop(columns=["at"]).notna(), None)
    out: dict[str, list] = {}
    # one pass over the change records (JSON has to be built per record), grouped by item and time
    for record in records.to_dict("records"):
        item_id, created = record.pop("item_id"), record.pop("created")
        if record["fieldId"] is None:
            del record["fieldId"]
        history = out.setdefault(item_id, [])
        if not history or history[-1]["created"] != created:
            history.append({"id": str(20000 + len(history)), "author": {"displayName": "Jira user"},
                            "created": created, "items": []})
        history[-1]["items"].append(record)
    return out


def _issue(row: dict, number: int, api: str, status_ids: dict, histories: list, sprint_info: dict,
           sprint_ids: dict, release_info: dict, release_ids: dict) -> dict:
    """One canonical work item (a ``to_dict`` record) as a search-page issue with its changelog."""
    category = row.get("status_category") if row.get("status_category") in CATEGORY_LABELS else "todo"
    key_name = CATEGORY_LABELS[category]
    finished = _none(row.get("completed_at"))
    finished = finished if finished is not None else _none(row.get("canceled_at"))
    changed = finished if category == "done" else _none(row.get("started_at")) if category == "in_progress" else None
    title = _none(row.get("title")) or ""
    description = title if api == "v2" else {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": title}]}]}
    sprints = [sprint_value(name, sprint_ids[name], sprint_info.get(name, {}), server=api == "v2")
               for name in row.get("sprints") or ()]
    versions = []
    for name in row.get("releases") or ():
        info = release_info.get(name, {})
        released = _none(info.get("released_date")) is not None
        date = _none(info.get("released_date")) if released else _none(info.get("planned_date"))
        version = {"id": release_ids[name], "name": name, "archived": False, "released": released}
        if date is not None:
            version["releaseDate"] = pd.Timestamp(date).strftime("%Y-%m-%d")
        versions.append(version)
    estimate = _none(row.get("estimate"))
    team = _none(row.get("team"))
    return {
        "expand": "operations,changelog", "id": str(10000 + number), "key": row["item_id"],
        "fields": {
            "summary": title, "description": description,
            "issuetype": {"name": _none(row.get("item_type")) or "Task", "subtask": False},
            "project": {"key": _none(row.get("project")) or str(row["item_id"]).rsplit("-", 1)[0]},
            "status": {"name": _none(row.get("status")), "id": status_ids.get(row.get("status")),
                       "statusCategory": {"key": key_name[0], "name": key_name[1]}},
            "created": _stamp(row.get("created_at")), "updated": _stamp(finished or changed or row.get("created_at")),
            "resolutiondate": _stamp(finished) if category == "done" else None,
            "statuscategorychangedate": _stamp(changed),
            "resolution": {"name": row["resolution"]} if _none(row.get("resolution")) else None,
            "priority": {"name": row["priority"]} if _none(row.get("priority")) else None,
            "labels": list(row.get("labels") or ()), "fixVersions": versions,
            "assignee": {"displayName": row["assignee"], "active": True} if _none(row.get("assignee")) else None,
            "parent": {"key": row["parent_id"]} if _none(row.get("parent_id")) else None,
            "customfield_10016": estimate, "customfield_10020": sprints or None,
            "customfield_10001": {"id": team, "name": team} if team else None,
        },
        "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories},
    }

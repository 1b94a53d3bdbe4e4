"""Canonical tables → Jira REST search pages with changelog (the writer for samples, benchmarks, tests).

``write_search_pages`` writes ``/rest/api/2/search`` or ``/rest/api/3/search`` pages, or Cloud's
``/rest/api/3/search/jql`` pages, that ``jira_json`` reads back: each issue's fields, its
changelog histories (``expand=changelog``) and ``names`` for the custom fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .dates import format_rest_timestamp as _stamp
from .jira_common import CATEGORY_LABELS, sprint_value
from .jira_common import none_if_missing as _none

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

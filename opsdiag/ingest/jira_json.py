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

The tables are built by ``jira_json_tables``, once for a run of pages; ``write_search_pages``,
which writes canonical tables as such pages (samples, benchmarks, tests), is in
``jira_json_write`` and importable from here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, ReadContext, read_json
from .jira_common import parse_sprint
from .jira_json_tables import CHANGE_FIELDS, ITEM_COLUMNS, _Page, _build
from .jira_json_write import CHANGE_NAMES, WRITE_FIELDS, write_search_pages

__all__ = ["JiraJsonFormat", "SearchPages", "page_kind", "changelog_key", "read_issues", "CUSTOM_NAMES",
           "CUSTOM_TYPES", "CHANGE_FIELDS", "ITEM_COLUMNS", "write_search_pages", "WRITE_FIELDS", "CHANGE_NAMES"]

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
        pages = self.batch_reader()
        pages.add(probe, ctx)
        result = pages.finish()[0]
        if isinstance(result, Exception):
            raise result
        return result

    def batch_reader(self) -> SearchPages:
        """A reader of many pages at once: ``read_folder`` hands it consecutive files of this format."""
        return SearchPages()


class SearchPages:
    """Jira REST pages read together: ``add`` flattens each page, ``finish`` builds the tables once.

    What ``finish`` returns for a page is what reading that page alone gives: its own rows
    (de-duplicated and sorted within the page), its findings (in its ``ReadContext``) and its
    error. Only the fixed cost of building frames, parsing dates and deriving lifecycles is
    paid once for the run of pages instead of once per page (a thousand 100-issue pages).
    """

    def __init__(self):
        self._pages: list[_Page | Exception] = []

    def add(self, probe: Probe, ctx: ReadContext) -> None:
        """Flatten one page into plain lists (its parsed JSON can then be dropped).

        A page that cannot be read keeps its error, which ``finish`` returns in its place.
        """
        try:
            self._pages.append(_flatten(probe, ctx))
        except Exception as exc:  # the page's own error, returned by finish in its place
            self._pages.append(exc)

    def finish(self) -> list[dict[str, pd.DataFrame] | Exception]:
        """Per page added, in order: ``{table: frame}``, or the exception reading it alone raises."""
        pages = [page for page in self._pages if isinstance(page, _Page)]
        built = iter(_build(pages))
        return [page if isinstance(page, Exception) else next(built) for page in self._pages]


def _flatten(probe: Probe, ctx: ReadContext) -> _Page:
    doc = probe.json if probe.json is not None else read_json(probe)  # parsed once, by sniff
    kind = page_kind(doc)
    if kind is None:
        raise InputFormatError(probe.path, "not a Jira REST page (expected 'issues' with 'key' and "
                               "'fields', or a changelog page with 'values')", column="issues")
    if kind == "changelog":
        key = changelog_key(doc, probe.path)
        return _Page(ctx, "changelog", _flat_changes([(key, h) for h in doc["values"]]))
    issues = doc if kind == "issues" else [doc] if kind == "issue" else doc["issues"]
    names = doc.get("names") if isinstance(doc, dict) else None
    schema = doc.get("schema") if isinstance(doc, dict) else None
    return _flatten_issues(issues, ctx, names or {}, schema or {})


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
    result = _build([_flatten_issues(issues, ctx, names or {}, schema or {})])[0]
    if isinstance(result, Exception):
        raise result
    return result


def _flatten_issues(issues: list[dict], ctx: ReadContext, names: dict, schema: dict) -> _Page:
    """One page's issues as plain lists (``_Page``): the only per-issue Python loop."""
    roles = _custom_fields(names, schema)
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
        rows.append((  # ITEM_COLUMNS
            key, fields.get("summary"), _name(fields.get("issuetype"), "name"),
            _name(fields.get("project"), "key", "name"), team,
            _name(status, "name"), category.get("key") or category.get("name"),
            fields.get("created"), fields.get("resolutiondate"), fields.get("statuscategorychangedate"),
            _name(fields.get("resolution"), "name"), _name(fields.get("priority"), "name"),
            estimate, tuple(str(v) for v in fields.get("labels") or ()),
            tuple(dict.fromkeys(s["name"] for s in sprints)), tuple(str(v["name"]) for v in versions),
            _name(fields.get("assignee"), "displayName", "name"), parent,
        ))
        changelog = issue.get("changelog") or {}
        got = changelog.get("histories") or []
        histories += [(key, h) for h in got]
        if isinstance(changelog.get("total"), int) and changelog["total"] > len(got):
            truncated.append(key)
    return _Page(ctx, "issues", _flat_changes(histories), rows, sprint_rows, release_rows, truncated,
                 no_estimate="estimate" not in roles and "estimate_alt" not in roles)


def _flat_changes(histories: list[tuple[str, dict]]) -> list[tuple]:
    """``(item_id, created, field, fromString, toString)`` per changelog item (field as given)."""
    return [(key, h.get("created"), i.get("field") or i.get("fieldId"), i.get("fromString"), i.get("toString"))
            for key, h in histories for i in h.get("items") or () if isinstance(i, dict)]

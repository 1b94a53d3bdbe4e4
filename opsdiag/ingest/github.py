"""GitHub issues JSON: REST issue lists and, where present, issue timeline events.

Recognised by shape (never the file name):

- **Issue list** — a JSON array of REST v3 issue objects (``GET /repos/{o}/{r}/issues``, a
  backup dump, or one issue object, or a search result ``{"items": [...]}``).
  item_id = ``<owner/repo>#<number>`` (repo from ``repository_url``, else ``html_url``);
  project = ``owner/repo``; item_type ``Pull Request`` when the object has a ``pull_request`` key,
  ``Bug`` when labelled ``bug``, else ``Issue``; labels = label names; assignee = the assignee's
  login; priority from a ``priority: X`` / ``P0``–``P4`` label. ``state`` open → status ``Open``
  (todo); closed → ``Done`` (done, completed_at = ``closed_at``), except ``state_reason``
  ``not_planned`` → ``Canceled`` and ``duplicate`` → ``Duplicate`` (canceled_at = ``closed_at``,
  resolution = the reason). The milestone → releases tuple and one row of the ``releases``
  table (planned_date = ``due_on``, released_date = ``closed_at``, status = milestone state).
  Bodies and comments (including the double-encoded ``comments_content`` string some dumps
  carry) are ignored. A list alone has no status history, so it gives no transitions.
- **REST timeline/events** — a JSON array of objects with an ``event`` key
  (``/issues/{n}/timeline``, ``/issues/{n}/events``, ``/repos/{o}/{r}/issues/events``).
- **GraphQL timeline page** — ``data.repository.issue|pullRequest.timelineItems.nodes[]``
  (perceval fixtures) with ``eventType``/``__typename``.

Timeline events become transitions — ``closed`` → ``Done``, ``reopened`` → ``Open``, project
column moves ``previous column → column`` (``added_to_project`` → its column) — and
labelled/unlabelled events become field_changes (field ``label``); ``from_status`` of a
close/reopen is the status before it in the same issue's events. An event is tied to an issue
by, in order: its own ``issue`` object (repository events list); the page's
``issue.number``/``issue.url`` (GraphQL); an ``issue_url`` or an issue anchor URL
(``…/issues/7#issuecomment-1``, ``…#ref-…``, ``…#event-…``) on any event of the file — a
per-issue timeline belongs to one issue. Events that cannot be tied to an issue are not used
and are counted in the warning finding ``github_timeline_untied``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, ReadContext, read_json

SOURCE = "github"

_REPO_IN_URL = re.compile(r"(?:api\.github\.com/repos/|github\.com/)([^/\s]+/[^/\s#?]+)")
_ISSUE_ANCHOR = re.compile(r"(?:api\.github\.com/repos/|github\.com/)([^/\s]+/[^/\s]+)/(?:issues|pull)/(\d+)"
                           r"(?:#|$)")
_PRIORITY = re.compile(r"(?i)^(?:priority[\s:/_-]*(.+)|(p[0-4]))$")
BUG_LABELS = {"bug", "type: bug", "type:bug", "kind/bug", "type/bug", "bug report"}


def repo_of(issue: dict) -> str | None:
    """``owner/repo`` of a REST issue object (from ``repository_url``, else ``html_url``/``url``)."""
    for key in ("repository_url", "html_url", "url"):
        match = _REPO_IN_URL.search(str(issue.get(key) or ""))
        if match:
            return match.group(1)
    return None


def _is_issue(obj) -> bool:
    return isinstance(obj, dict) and "number" in obj and "title" in obj and "state" in obj \
        and "created_at" in obj


def _issue_list(doc) -> list | None:
    if isinstance(doc, list) and doc and all(_is_issue(x) for x in doc[:50]):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("items"), list) and doc["items"] \
            and _is_issue(doc["items"][0]):
        return doc["items"]
    if _is_issue(doc) and ("repository_url" in doc or "html_url" in doc):
        return [doc]
    return None


def _rest_events(doc) -> list | None:
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and "event" in x for x in doc[:50]) \
            and not _is_issue(doc[0]):
        return doc
    return None


def _graphql_issue(doc) -> dict | None:
    try:
        repository = doc["data"]["repository"]
        issue = repository.get("issue") or repository.get("pullRequest")
        if isinstance(issue["timelineItems"]["nodes"], list):
            return {"repository": repository, "issue": issue}
    except (KeyError, TypeError, AttributeError):
        return None
    return None


class GitHubFormat(Format):
    """GitHub issues JSON (REST list, REST timeline/events, GraphQL timeline pages)."""

    name = "github_json"
    tables = ("work_items", "releases", "transitions", "field_changes")
    description = "GitHub issues JSON"

    def sniff(self, probe: Probe) -> bool:
        doc = probe.json
        if doc is not None:
            return bool(_issue_list(doc) or _rest_events(doc) or _graphql_issue(doc))
        # a cut-off issue dump is not valid JSON: recognise it from its text to say so
        head = probe.text_head if probe.looks_json else ""
        return '"repository_url"' in head and '"labels_url"' in head and '"number"' in head

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        doc = probe.json if probe.json is not None else read_json(probe)
        issues = _issue_list(doc)
        if issues is not None:
            return read_issues(issues, ctx, probe)
        events = _rest_events(doc)
        if events is not None:
            return read_timeline(_rest_event_rows(events), ctx)
        page = _graphql_issue(doc)
        if page is not None:
            return read_timeline(_graphql_event_rows(page), ctx)
        raise InputFormatError(probe.path, "not a GitHub issue list or timeline")


def read_issues(issues: list, ctx: ReadContext, probe: Probe) -> dict[str, pd.DataFrame]:
    """Work items and releases from REST issue objects (a loop over JSON issues)."""
    rows, milestones = [], []
    for i, issue in enumerate(issues):
        repo = repo_of(issue)
        if repo is None or issue.get("number") is None:
            raise InputFormatError(probe.path, "an issue without repository_url/html_url or number",
                                   column=f"[{i}].repository_url")
        labels = tuple(str(lab.get("name") if isinstance(lab, dict) else lab).strip()
                       for lab in issue.get("labels") or [])
        milestone = issue.get("milestone") if isinstance(issue.get("milestone"), dict) else None
        if milestone:
            milestones.append({"release": milestone.get("title"), "planned_date": milestone.get("due_on"),
                               "released_date": milestone.get("closed_at"), "status": milestone.get("state")})
        assignee = issue.get("assignee") or next(iter(issue.get("assignees") or []), None)
        rows.append({
            "item_id": f"{repo}#{issue['number']}", "title": issue.get("title"), "project": repo,
            "is_pr": "pull_request" in issue, "labels": tuple(x for x in labels if x),
            "state": str(issue.get("state") or "").lower(), "reason": issue.get("state_reason"),
            "created_at": issue.get("created_at"), "closed_at": issue.get("closed_at"),
            "releases": (milestone.get("title"),) if milestone and milestone.get("title") else (),
            "assignee": assignee.get("login") if isinstance(assignee, dict) else None,
        })
    items = pd.DataFrame(rows)
    created = _times(items["created_at"], ctx, "created_at", items["item_id"])
    closed = _times(items["closed_at"], ctx, "closed_at", items["item_id"])
    is_closed = items["state"].eq("closed")
    reason = items["reason"].astype("str").str.lower()
    canceled = is_closed & reason.isin(["not_planned", "duplicate"])
    lowered = items["labels"].map(lambda tags: {t.lower() for t in tags})
    items["item_type"] = np.select([items["is_pr"], lowered.map(lambda t: bool(t & BUG_LABELS))],
                                   ["Pull Request", "Bug"], "Issue")
    items["status"] = np.select([canceled & reason.eq("duplicate"), canceled, is_closed],
                                ["Duplicate", "Canceled", "Done"], "Open")
    items["status_category"] = np.where(is_closed, "done", "todo")
    items["resolution"] = items["reason"].where(canceled)
    items["created_at"] = created
    items["completed_at"] = closed.where(is_closed & ~canceled)
    items["canceled_at"] = closed.where(canceled)
    items["priority"] = items["labels"].map(_priority)
    items["source"] = SOURCE
    out = {"work_items": items.drop(columns=["is_pr", "state", "reason", "closed_at"])}
    if milestones:
        releases = pd.DataFrame(milestones).dropna(subset=["release"]).drop_duplicates("release")
        releases["planned_date"] = _times(releases["planned_date"], ctx, "milestone.due_on")
        releases["released_date"] = _times(releases["released_date"], ctx, "milestone.closed_at")
        out["releases"] = releases
    return out


def _priority(labels: tuple) -> str | None:
    for label in labels:
        match = _PRIORITY.match(label)
        if match:
            return (match.group(1) or match.group(2)).strip()
    return None


def _times(values: pd.Series, ctx: ReadContext, column: str, items: pd.Series | None = None) -> pd.Series:
    """ISO-8601 GitHub timestamps → UTC; an unreadable value is an error naming key and item."""
    text = values.astype("str").where(values.notna())
    at = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    bad = at.isna() & text.notna()
    if bad.any():
        first = bad[bad].index[0]
        item = None if items is None else str(items[first])
        raise InputFormatError(ctx.path, f"{text[first]!r} is not a timestamp (expected ISO 8601 "
                               "such as 2018-09-14T09:21:34Z)", column=column, item=item)
    return at.astype("datetime64[us, UTC]")


# --- timeline events ------------------------------------------------------------------------

REST_KINDS = {"closed": "close", "reopened": "reopen", "moved_columns_in_project": "move",
              "added_to_project": "move", "labeled": "label", "unlabeled": "unlabel"}
GRAPHQL_KINDS = {"ClosedEvent": "close", "ReopenedEvent": "reopen", "MovedColumnsInProjectEvent": "move",
                 "AddedToProjectEvent": "move", "LabeledEvent": "label", "UnlabeledEvent": "unlabel"}


def _anchor_issue(*urls) -> str | None:
    for url in urls:
        match = _ISSUE_ANCHOR.search(str(url or ""))
        if match:
            return f"{match.group(1)}#{match.group(2)}"
    return None


def _rest_event_rows(events: list) -> tuple[list[dict], str | None]:
    """Flat event rows from a REST timeline/events array and the file-wide issue, if any."""
    rows, file_issue = [], None
    for event in events:
        own = event.get("issue") if isinstance(event.get("issue"), dict) else None
        tied = f"{repo_of(own)}#{own['number']}" if own and repo_of(own) and own.get("number") else None
        file_issue = file_issue or _anchor_issue(event.get("issue_url"), event.get("html_url"))
        card = event.get("project_card") or {}
        label = event.get("label") or {}
        rows.append({"issue": tied, "kind": REST_KINDS.get(event.get("event")),
                     "at": event.get("created_at"), "from_column": card.get("previous_column_name"),
                     "to_column": card.get("column_name"), "label": label.get("name")})
    return rows, file_issue


def _graphql_event_rows(page: dict) -> tuple[list[dict], str | None]:
    """Flat event rows from one GraphQL timelineItems page and the issue it belongs to, if known."""
    repository, issue = page["repository"], page["issue"]
    file_issue = None
    repo = repository.get("nameWithOwner")
    if not repo:
        match = _REPO_IN_URL.search(str(repository.get("url") or ""))
        repo = match.group(1) if match else None
    if issue.get("number") is not None and repo:
        file_issue = f"{repo}#{issue['number']}"
    file_issue = file_issue or _anchor_issue(issue.get("url"))
    rows = []
    for node in issue["timelineItems"]["nodes"]:
        if not isinstance(node, dict):
            continue
        file_issue = file_issue or _anchor_issue(node.get("url"))
        label = node.get("label") or {}
        rows.append({"issue": None, "kind": GRAPHQL_KINDS.get(node.get("eventType") or node.get("__typename")),
                     "at": node.get("createdAt"), "from_column": node.get("previousProjectColumnName"),
                     "to_column": node.get("projectColumnName"), "label": label.get("name")})
    return rows, file_issue


def read_timeline(parsed: tuple[list[dict], str | None], ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Transitions and label changes from flat timeline rows (vectorised over the events)."""
    rows, file_issue = parsed
    events = pd.DataFrame(rows, columns=["issue", "kind", "at", "from_column", "to_column", "label"])
    events["issue"] = events["issue"].fillna(file_issue) if file_issue else events["issue"]
    untied = events["issue"].isna()
    if untied.any():
        ctx.note("github_timeline_untied", "warning", events.loc[untied, "kind"].fillna("other").unique(),
                 f"{int(untied.sum())} timeline events name no issue (no issue number or issue URL in "
                 "the file); they are not used — export the timeline together with the issue number",
                 count=int(untied.sum()))
    events = events[~untied & events["kind"].notna()].copy()
    events["at"] = _times(events["at"], ctx, "created_at")
    events = events.sort_values(["issue", "at"], kind="stable")
    status = events["kind"].map({"close": "Done", "reopen": "Open"}).fillna(events["to_column"])
    is_status = events["kind"].isin(["close", "reopen", "move"]) & status.notna()
    moves = events[is_status].assign(to_status=status[is_status])
    previous = moves.groupby("issue")["to_status"].shift()
    transitions = pd.DataFrame({
        "item_id": moves["issue"], "at": moves["at"],
        "from_status": moves["from_column"].where(moves["kind"].eq("move")).fillna(previous),
        "to_status": moves["to_status"], "source": SOURCE,
    })
    labels = events[events["kind"].isin(["label", "unlabel"]) & events["label"].notna()]
    added = labels["kind"].eq("label")
    field_changes = pd.DataFrame({
        "item_id": labels["issue"], "at": labels["at"], "field": "label",
        "from_value": labels["label"].where(~added), "to_value": labels["label"].where(added),
    })
    return {"transitions": transitions, "field_changes": field_changes}

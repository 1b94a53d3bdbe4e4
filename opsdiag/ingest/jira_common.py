"""Jira helpers shared by the CSV and REST JSON importers (and their writers).

Status categories in every UI language, the canceled/done vocabulary, the ``[CHART] Time in
Status`` decoder, sprint values (Cloud objects and Server's ``greenhopper`` strings) and the
lifecycle dates a Jira item carries without a changelog.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

from .base import ReadContext
from .dates import format_rest_timestamp

SOURCE_CSV = "jira_csv"
SOURCE_JSON = "jira_json"

# Status category as Jira writes it (REST key, English/Spanish/Portuguese UI name) -> canonical.
STATUS_CATEGORY_NAMES = {
    "new": "todo", "to do": "todo", "todo": "todo", "por hacer": "todo", "tareas por hacer": "todo",
    "itens pendentes": "todo", "a fazer": "todo", "undefined": "todo",
    "indeterminate": "in_progress", "in progress": "in_progress", "en curso": "in_progress",
    "en progreso": "in_progress", "em andamento": "in_progress",
    "done": "done", "listo": "done", "finalizada": "done", "hecho": "done", "concluído": "done",
    "concluido": "done", "itens concluídos": "done", "complete": "done",
}
# canonical -> (REST key, English name, Spanish name), for the writers.
CATEGORY_LABELS = {"todo": ("new", "To Do", "Por hacer"),
                   "in_progress": ("indeterminate", "In Progress", "En curso"),
                   "done": ("done", "Done", "Listo")}

# Status or resolution names meaning the work was dropped, not delivered (DESIGN §5).
CANCELED_NAMES = frozenset({
    "won't do", "wont do", "won't fix", "wont fix", "canceled", "cancelled", "duplicate",
    "rejected", "aborted", "invalid", "cannot reproduce", "incomplete", "declined", "obsolete",
    "not a bug", "cancelada", "cancelado", "descartada", "rechazada", "duplicada", "no se hará",
})
DONE_NAMES = frozenset({"done", "closed", "resolved", "released", "shipped", "complete",
                        "completed", "finalizada", "listo", "hecho", "cerrada", "resuelta"}) | CANCELED_NAMES
_IN_PROGRESS = re.compile(r"progress|review|test|\bqa\b|doing|develop|validat|block|hold|ready for|"
                          r"\buat\b|curso|deploy|staging|verif|waiting|check", re.IGNORECASE)

# Issue types of the Spanish UI -> the English names the workflow defaults know.
ISSUE_TYPES_ES = {"subtarea": "Sub-task", "tarea": "Task", "historia": "Story", "error": "Bug",
                  "épica": "Epic", "epica": "Epic", "mejora": "Improvement",
                  "nueva función": "New Feature", "incidencia": "Task"}

_EMAIL = re.compile(r"^\s*([^@\s]+)@[^@\s]+\.[^@\s]+\s*$")


class PageNotes:
    """Where the findings of many pages read together go: each row's page, each page's context.

    ``contexts[p]`` is the ``ReadContext`` of page ``p`` (its file); ``pages[i]`` the page of
    row ``i`` of the frame being read. A finding about some rows is noted once per page that
    holds any of them, with that page's count and examples, as if each page were read alone.
    """

    def __init__(self, contexts: list[ReadContext], pages: np.ndarray):
        self.contexts = contexts
        self.pages = pages
        self.timezone = contexts[0].timezone if contexts else "UTC"

    def note_rows(self, check: str, severity: str, mask: pd.Series, labels: pd.Series,
                  message: Callable[[int], str]) -> None:
        """One finding per page with rows in ``mask``: the first five ``labels`` and ``message(count)``."""
        rows = np.flatnonzero(mask.to_numpy(dtype=bool))
        if not len(rows):
            return
        order = rows[np.argsort(self.pages[rows], kind="stable")]
        pages, starts, counts = np.unique(self.pages[order], return_index=True, return_counts=True)
        values = labels.to_numpy(dtype=object)
        for page, start, count in zip(pages.tolist(), starts.tolist(), counts.tolist()):  # pages that fired
            examples = [str(v) for v in values[order[start:start + min(count, 5)]]]
            self.contexts[page].note(check, severity, examples, message(count), count=count)


def note_rows(ctx: ReadContext | PageNotes, check: str, severity: str, mask: pd.Series, labels: pd.Series,
              message: Callable[[int], str]) -> None:
    """``ctx.note`` about the rows where ``mask`` holds: their count and first five ``labels``.

    ``message(count)`` gives the text. With ``PageNotes`` each page gets its own finding.
    """
    if isinstance(ctx, PageNotes):
        ctx.note_rows(check, severity, mask, labels, message)
        return
    count = int(mask.sum())
    ctx.note(check, severity, labels[mask].astype(str).head(5), message(count), count=count)


def per_distinct(values: pd.Series, compute: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``compute(values)`` evaluated once per distinct value of a text (``str``) column.

    ``compute`` must work value by value (a text method, a lookup). A status, resolution or
    assignee column repeats a few hundred names over a hundred thousand items, and pandas' text
    methods cost a Python call per cell: the same result for a fraction of the work.
    """
    codes = pd.factorize(values)[0]  # missing values: -1
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    if len(first) == len(values):
        return compute(values)
    distinct = compute(values.iloc[first])
    return pd.Series(distinct.to_numpy()[inverse.ravel()], index=values.index, name=distinct.name,
                     dtype=distinct.dtype)


def map_status_category(values: pd.Series) -> pd.Series:
    """Jira's status category text (any UI language, or REST key) → ``todo|in_progress|done``.

    Unknown or empty values become missing.
    """
    return per_distinct(values.astype("str"),
                        lambda text: text.str.strip().str.lower().map(STATUS_CATEGORY_NAMES).astype("str"))


def _category_by_name(status: pd.Series) -> pd.Series:
    name = status.str.strip().str.lower()
    return pd.Series(np.where(name.isin(DONE_NAMES), "done",
                              np.where(name.str.contains(_IN_PROGRESS, na=False), "in_progress", "todo")),
                     index=status.index, dtype=object)


def infer_status_category(status: pd.Series, resolution: pd.Series) -> pd.Series:
    """A status category from the status name when the export has no category column.

    ``done`` when the status is a done/canceled name or a resolution is set; ``in_progress``
    when the name reads like work under way (In Progress, Code Review, QA, Blocked…);
    ``todo`` otherwise; missing when the status is missing.
    """
    by_name = per_distinct(status.astype("str"), _category_by_name)
    done = resolution.notna().to_numpy()
    out = pd.Series(np.where(done, "done", by_name.to_numpy()), index=status.index)
    return out.where(status.notna()).astype("str")


def is_canceled(status: pd.Series, resolution: pd.Series) -> pd.Series:
    """True where the status or the resolution names a canceled outcome (Won't Do, Duplicate…)."""
    def named(values: pd.Series) -> pd.Series:
        return per_distinct(values.astype("str"),
                            lambda text: text.str.strip().str.lower().isin(CANCELED_NAMES).fillna(False))
    return (named(status) | named(resolution)).astype(bool)


def localize_issue_types(types: pd.Series) -> pd.Series:
    """Spanish issue type names (``Subtarea``, ``Historia``) → English; others unchanged."""
    mapped = types.astype("str").str.strip().str.lower().map(ISSUE_TYPES_ES)
    return mapped.fillna(types).astype("str")


def strip_emails(values: pd.Series) -> pd.Series:
    """Person cells without e-mail addresses: ``jane.doe@acme.com`` → ``jane.doe``.

    Jira writes ``Unassigned`` for nobody; that becomes missing too.
    """
    def person(text: pd.Series) -> pd.Series:
        text = text.str.replace(_EMAIL, r"\1", regex=True)
        return text.mask(text.str.strip().str.lower().eq("unassigned"))
    return per_distinct(values.astype("str"), person)


def lifecycle(category: pd.Series, status: pd.Series, resolution: pd.Series, resolved: pd.Series,
              category_changed: pd.Series | None, ctx: ReadContext | PageNotes,
              items: pd.Series | None = None) -> pd.DataFrame:
    """``started_at``, ``completed_at`` and ``canceled_at`` of items without a changelog.

    - finished = ``Resolved``, else ``Status Category Changed`` (Jira workflows that never set
      a resolution leave ``Resolved`` empty; the fallback is noted);
    - ``completed_at`` = finished, only for done-category items not canceled;
    - ``canceled_at`` = finished for done-category items whose status or resolution is a
      canceled name (Won't Do, Cancelled, Duplicate…);
    - ``started_at`` = ``Status Category Changed`` for items now in progress (the last entry
      into the in-progress category: a proxy, noted, which a changelog overrides downstream).

    Findings name up to five ``items`` (else index labels); with ``PageNotes`` (many Jira pages
    read together) each page gets its own findings, as if read alone.
    """
    index = category.index
    labels = items if items is not None else pd.Series(index, index=index)
    empty = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    changed = category_changed if category_changed is not None else empty
    done = category.eq("done").fillna(False).astype(bool)
    finished = resolved.fillna(changed) if category_changed is not None else resolved
    fallback = done & resolved.isna() & changed.notna()
    if fallback.any():
        note_rows(ctx, "completed_from_category_change", "info", fallback, labels,
                  lambda n: f"{n} done item(s) have no resolution date; their completion is the "
                  "last status-category change")
    unknown = done & finished.isna()
    if unknown.any():
        note_rows(ctx, "done_without_date", "warning", unknown, labels,
                  lambda n: f"{n} done item(s) carry no completion date")
    canceled = done & is_canceled(status, resolution)
    in_progress = category.eq("in_progress").fillna(False).astype(bool)
    if category_changed is not None and (in_progress & changed.notna()).any():
        note_rows(ctx, "started_from_category_change", "info", in_progress & changed.notna(), labels,
                  lambda n: "items in progress start at their last change of status category unless "
                  "a changelog says otherwise")
    return pd.DataFrame({
        "started_at": changed.where(in_progress),
        "completed_at": finished.where(done & ~canceled),
        "canceled_at": finished.where(canceled),
    }, index=index)


def decode_time_in_status(ids: pd.Series, values: pd.Series, ctx: ReadContext,
                          column: str = "[CHART] Time in Status") -> pd.DataFrame:
    """Decode Jira's ``[CHART] Time in Status`` cells into ``status_durations`` rows.

    A cell is ``statusId_*:*_timesEntered_*:*_totalMillis`` segments joined by ``_*|*_``. Each
    segment gives one row: ``status`` = the numeric status id as text (the CSV never maps ids to
    names), ``times_entered``, ``total_days`` = totalMillis / 86 400 000. Malformed segments are
    skipped and noted; an empty column gives an empty frame.
    """
    cells = pd.DataFrame({"item_id": ids, "cell": values}).dropna()
    if cells.empty:
        return pd.DataFrame(columns=["item_id", "status", "times_entered", "total_days"])
    segments = cells.assign(cell=cells["cell"].str.split("_*|*_", regex=False)).explode("cell")
    parts = segments["cell"].str.split("_*:*_", regex=False, expand=True).reindex(columns=[0, 1, 2, 3])
    entered = pd.to_numeric(parts[1], errors="coerce")
    millis = pd.to_numeric(parts[2], errors="coerce")
    ok = parts[0].str.strip().str.fullmatch(r"\d+").fillna(False) & entered.notna() & millis.notna() & parts[3].isna()
    if (~ok).any():
        ctx.note("time_in_status_malformed", "warning", segments.loc[~ok, "item_id"].astype(str).head(5),
                 f"{int((~ok).sum())} segment(s) of {column!r} are not statusId_*:*_times_*:*_millis; skipped",
                 count=int((~ok).sum()))
    return pd.DataFrame({"item_id": segments["item_id"][ok], "status": parts[0][ok].str.strip(),
                         "times_entered": entered[ok].astype("float64"),
                         "total_days": (millis[ok] / 86_400_000).astype("float64")}).reset_index(drop=True)


_GH_FIELD = re.compile(r"(\w+)=(.*?)(?=,\w+=|$)", re.DOTALL)


def parse_sprint(value) -> dict | None:
    """One sprint value → ``{"id", "name", "state", "start", "end"}`` (text; missing as None).

    Accepts Cloud's sprint objects (``{"id", "name", "state", "startDate", "endDate"}``),
    Server's ``com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=1,state=CLOSED,
    name=Sprint 1,startDate=…,endDate=…]`` strings, and plain names.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        fields = {k: value.get(k) for k in ("id", "name", "state", "startDate", "endDate")}
    else:
        text = str(value).strip()
        if not text:
            return None
        bracket = re.search(r"\[(.*)\]\s*$", text, re.DOTALL)
        if "greenhopper" in text and bracket:
            fields = dict(_GH_FIELD.findall(bracket.group(1)))
        else:
            return {"id": None, "name": text, "state": None, "start": None, "end": None}
    clean = {k: (None if v in (None, "", "<null>") else str(v)) for k, v in fields.items()}
    if not clean.get("name"):
        return None
    return {"id": clean.get("id"), "name": clean["name"].strip(),
            "state": clean["state"].lower() if clean.get("state") else None,
            "start": clean.get("startDate"), "end": clean.get("endDate")}


def sprint_value(name: str, sprint_id: int, info: dict, server: bool = False):
    """A sprint as a search page carries it (the writers' counterpart of ``parse_sprint``).

    ``info`` may hold ``state``, ``start`` and ``end`` (a row of the sprints table). Cloud
    pages carry objects; ``server=True`` gives Server's greenhopper string.
    """
    state = none_if_missing(info.get("state")) or "closed"
    start, end = format_rest_timestamp(info.get("start")), format_rest_timestamp(info.get("end"))
    if server:
        return (f"com.atlassian.greenhopper.service.sprint.Sprint@{sprint_id:x}[id={sprint_id},rapidViewId=1,"
                f"state={state.upper()},name={name},startDate={start or '<null>'},endDate={end or '<null>'},"
                f"completeDate=<null>,sequence={sprint_id}]")
    return {"id": sprint_id, "name": name, "state": state, "boardId": 1, "startDate": start, "endDate": end}


def none_if_missing(value):
    """None for every missing scalar (None, NaN, NaT, pd.NA); containers and values unchanged."""
    if isinstance(value, (tuple, list, dict)):
        return value
    return None if pd.isna(value) else value

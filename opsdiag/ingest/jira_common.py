"""Jira helpers shared by the CSV and REST JSON importers (and their writers).

Status categories in every UI language, the canceled/done vocabulary, the ``[CHART] Time in
Status`` decoder, sprint values (Cloud objects and Server's ``greenhopper`` strings) and the
lifecycle dates a Jira item carries without a changelog.
"""

from __future__ import annotations

import re

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


def map_status_category(values: pd.Series) -> pd.Series:
    """Jira's status category text (any UI language, or REST key) → ``todo|in_progress|done``.

    Unknown or empty values become missing.
    """
    return values.astype("str").str.strip().str.lower().map(STATUS_CATEGORY_NAMES).astype("str")


def infer_status_category(status: pd.Series, resolution: pd.Series) -> pd.Series:
    """A status category from the status name when the export has no category column.

    ``done`` when the status is a done/canceled name or a resolution is set; ``in_progress``
    when the name reads like work under way (In Progress, Code Review, QA, Blocked…);
    ``todo`` otherwise; missing when the status is missing.
    """
    name = status.astype("str").str.strip().str.lower()
    done = name.isin(DONE_NAMES) | resolution.notna()
    active = name.str.contains(_IN_PROGRESS, na=False)
    out = pd.Series(np.where(done, "done", np.where(active, "in_progress", "todo")), index=status.index)
    return out.where(status.notna()).astype("str")


def is_canceled(status: pd.Series, resolution: pd.Series) -> pd.Series:
    """True where the status or the resolution names a canceled outcome (Won't Do, Duplicate…)."""
    def named(values: pd.Series) -> pd.Series:
        return values.astype("str").str.strip().str.lower().isin(CANCELED_NAMES).fillna(False)
    return (named(status) | named(resolution)).astype(bool)


def localize_issue_types(types: pd.Series) -> pd.Series:
    """Spanish issue type names (``Subtarea``, ``Historia``) → English; others unchanged."""
    mapped = types.astype("str").str.strip().str.lower().map(ISSUE_TYPES_ES)
    return mapped.fillna(types).astype("str")


def strip_emails(values: pd.Series) -> pd.Series:
    """Person cells without e-mail addresses: ``jane.doe@acme.com`` → ``jane.doe``.

    Jira writes ``Unassigned`` for nobody; that becomes missing too.
    """
    text = values.astype("str").str.replace(_EMAIL, r"\1", regex=True)
    return text.mask(text.str.strip().str.lower().eq("unassigned"))


def lifecycle(category: pd.Series, status: pd.Series, resolution: pd.Series, resolved: pd.Series,
              category_changed: pd.Series | None, ctx: ReadContext,
              items: pd.Series | None = None) -> pd.DataFrame:
    """``started_at``, ``completed_at`` and ``canceled_at`` of items without a changelog.

    - finished = ``Resolved``, else ``Status Category Changed`` (Jira workflows that never set
      a resolution leave ``Resolved`` empty; the fallback is noted);
    - ``completed_at`` = finished, only for done-category items not canceled;
    - ``canceled_at`` = finished for done-category items whose status or resolution is a
      canceled name (Won't Do, Cancelled, Duplicate…);
    - ``started_at`` = ``Status Category Changed`` for items now in progress (the last entry
      into the in-progress category: a proxy, noted, which a changelog overrides downstream).
    """
    index = category.index
    empty = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    changed = category_changed if category_changed is not None else empty
    done = category.eq("done").fillna(False).astype(bool)
    finished = resolved.fillna(changed) if category_changed is not None else resolved
    fallback = done & resolved.isna() & changed.notna()
    if fallback.any():
        ctx.note("completed_from_category_change", "info",
                 (items[fallback] if items is not None else index[fallback]).astype(str).head(5),
                 f"{int(fallback.sum())} done item(s) have no resolution date; their completion is the "
                 "last status-category change", count=int(fallback.sum()))
    unknown = done & finished.isna()
    if unknown.any():
        ctx.note("done_without_date", "warning",
                 (items[unknown] if items is not None else index[unknown]).astype(str).head(5),
                 f"{int(unknown.sum())} done item(s) carry no completion date", count=int(unknown.sum()))
    canceled = done & is_canceled(status, resolution)
    in_progress = category.eq("in_progress").fillna(False).astype(bool)
    if category_changed is not None and (in_progress & changed.notna()).any():
        ctx.note("started_from_category_change", "info",
                 (items[in_progress & changed.notna()] if items is not None else index[in_progress & changed.notna()])
                 .astype(str).head(5), "items in progress start at their last "
                 "change of status category unless a changelog says otherwise",
                 count=int((in_progress & changed.notna()).sum()))
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

"""Linear issue CSV export (workspace or team "Export CSV") → work items and cycles.

Two header shapes are recognised by content: the 2023 25-column export (``"ID","Team","Title",
…,"Milestone","Parent issue","Roadmaps"``) and the newer 29–34-column exports that add
``Project ID``, ``Triaged``, ``Initiatives``, ``Project Milestone ID``, ``Project Milestone``,
``SLA Status`` and later ``UUID``, ``Time in status (minutes)``, ``Related to``, ``Blocked by``,
``Duplicate of``. Extra columns are ignored, so any mix of them reads.

What is kept and how:

- ``ID`` → item_id; ``Team`` → team; ``Project`` → project; ``Parent issue`` → parent_id.
- Dates are JavaScript ``Date.toString()`` text (``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)``, any
  offset) or ISO 8601; ``Created/Started/Completed/Canceled`` → created_at/started_at/
  completed_at/canceled_at. Linear exports no per-transition log, so no transitions.
- ``Status`` is the workflow-state name. Its category comes from Linear's standard state
  names (Backlog/Todo/Triage → todo, In Progress/In Review → in_progress, Done → done,
  Canceled/Duplicate → done with that resolution); a custom state name falls back to the
  lifecycle columns (Canceled or Completed set → done, Started set → in_progress, else todo).
- ``Labels`` is comma-joined → tuple; item_type is ``Bug`` when an item carries the label
  ``Bug``, else ``Issue`` (Linear has no issue types).
- ``Cycle Name`` (or ``Cycle <Number>``) → the item's sprints tuple and one row of the
  ``sprints`` table (start, end, team). A cycle name used by several teams is qualified with
  the team (``Core Cycle 3``) because cycles are numbered per team.
- ``Priority`` keeps Linear's words (Urgent, High, Medium, Low); ``No priority`` → empty.
- ``Creator``/``Assignee`` are e-mail addresses: only the local part before ``@`` is kept.
  Description, Creator, Due Date and the other columns are not kept.

``write_linear_csv`` turns canonical work items back into a Linear export (samples, tests).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from ..schema import as_tuple
from .base import Format, Probe, ReadContext, parse_numbers, parse_times, read_csv

log = logging.getLogger(__name__)

SOURCE = "linear"

SIGNATURE = {"id", "team", "title", "status", "priority", "created", "started", "completed",
             "canceled", "cycle name"}

COLUMNS_2023 = ["ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project",
                "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start",
                "Cycle End", "Created", "Updated", "Started", "Completed", "Canceled", "Archived",
                "Due Date", "Milestone", "Parent issue", "Roadmaps"]
COLUMNS_2025 = ["ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project ID",
                "Project", "Creator", "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start",
                "Cycle End", "Created", "Updated", "Started", "Triaged", "Completed", "Canceled",
                "Archived", "Due Date", "Parent issue", "Initiatives", "Project Milestone ID",
                "Project Milestone", "SLA Status", "UUID", "Time in status (minutes)", "Related to",
                "Blocked by", "Duplicate of"]

# Linear's standard workflow-state names → (status category, resolution)
STATE_CATEGORIES = {
    "triage": ("todo", None), "backlog": ("todo", None), "todo": ("todo", None),
    "in progress": ("in_progress", None), "in review": ("in_progress", None),
    "done": ("done", None), "canceled": ("done", "Canceled"), "cancelled": ("done", "Canceled"),
    "duplicate": ("done", "Duplicate"),
}

# ``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)`` → ``2023-Feb-06 05:00:00+0000``
JS_DATE_PATTERN = (r"^(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+"
                   r"(\d{1,2}:\d{2}:\d{2})\s*(?:GMT|UTC)([+-]\d{4})(?:\s*\(.*\))?$")
JS_DATE_FORMAT = "%Y-%b-%d %H:%M:%S%z"


def js_date_to_text(values: pd.Series) -> pd.Series:
    """Rewrite JavaScript ``Date.toString()`` text so ``strptime`` reads it (others unchanged).

    ``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)`` becomes ``2023-Feb-06 05:00:00+0000``, which
    ``JS_DATE_FORMAT`` parses with its offset; ISO values pass through untouched.
    """
    return values.str.replace(JS_DATE_PATTERN, r"\3-\1-\2 \4\5", regex=True)


def local_part(values: pd.Series) -> pd.Series:
    """Keep only what precedes ``@`` in e-mail addresses (names without ``@`` are unchanged).

    DESIGN §3: e-mail addresses are not kept; the local part still tells people apart.
    """
    text = values.astype("str").str.strip()
    out = text.str.replace(r"@.*$", "", regex=True).str.strip()
    return out.mask(text.isna() | out.eq(""))


class LinearFormat(Format):
    """Linear issues CSV (2023 and newer shapes)."""

    name = "linear_csv"
    tables = ("work_items", "sprints")
    description = "Linear issues CSV export"

    def sniff(self, probe: Probe) -> bool:
        return SIGNATURE <= probe.header_set()

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        ids = raw.col("ID")
        if ids.isna().any():
            first = ids[ids.isna()].index[0]
            raise InputFormatError(probe.path, "empty issue id (expected e.g. ENG-12)",
                                   row=raw.row_of(first), column="ID")

        def times(column: str) -> pd.Series:
            return parse_times(raw.col(column), ctx, column=column, raw=raw, items=ids,
                               formats=[JS_DATE_FORMAT], prepare=js_date_to_text)

        created, started = times("Created"), times("Started")
        completed, canceled = times("Completed"), times("Canceled")
        status = raw.col("Status")
        category, resolution = _categories(status, started, completed, canceled)
        labels = raw.multi("Labels", split=",")
        is_bug = labels.map(lambda tags: any(t.lower() == "bug" for t in tags))
        priority = raw.col("Priority")
        team = raw.col("Team")
        sprint_names, sprints = _cycles(raw, team, times)
        archived = raw.col("Archived").notna()
        if archived.any():
            ctx.note("linear_archived_items", "info", ids[archived],
                     f"{int(archived.sum())} archived issues are kept as exported", count=int(archived.sum()))
        items = pd.DataFrame({
            "item_id": ids, "title": raw.col("Title"),
            "item_type": np.where(is_bug, "Bug", "Issue"), "project": raw.col("Project"),
            "team": team, "status": status, "status_category": category,
            "created_at": created, "started_at": started,
            "completed_at": completed.where(canceled.isna()), "canceled_at": canceled,
            "resolution": resolution,
            "priority": priority.mask(priority.str.lower().eq("no priority")),
            "estimate": parse_numbers(raw.col("Estimate"), ctx, column="Estimate", raw=raw, items=ids),
            "labels": labels, "sprints": sprint_names.map(lambda n: (n,) if isinstance(n, str) else ()),
            "assignee": local_part(raw.col("Assignee")), "parent_id": raw.col("Parent issue"),
            "source": SOURCE,
        }, index=raw.frame.index)
        return {"work_items": items, "sprints": sprints}


def _categories(status: pd.Series, started: pd.Series, completed: pd.Series,
                canceled: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Status category and resolution per item: Linear's state names, else lifecycle columns."""
    key = status.str.strip().str.lower()
    by_name = key.map({k: v[0] for k, v in STATE_CATEGORIES.items()})
    resolution = key.map({k: v[1] for k, v in STATE_CATEGORIES.items() if v[1]})
    lifecycle = pd.Series(np.select([canceled.notna(), completed.notna(), started.notna()],
                                    ["done", "done", "in_progress"], "todo"), index=status.index)
    category = by_name.fillna(lifecycle).where(status.notna() | lifecycle.ne("todo"))
    resolution = resolution.where(resolution.notna() | canceled.isna(), "Canceled")
    return category, resolution


def _cycles(raw, team: pd.Series, times) -> tuple[pd.Series, pd.DataFrame]:
    """Per-item cycle name and the ``sprints`` table (one row per cycle)."""
    number = raw.col("Cycle Number")
    name = raw.col("Cycle Name").fillna("Cycle " + number.str.replace(r"\.0$", "", regex=True))
    start, end = times("Cycle Start"), times("Cycle End")
    teams_per_name = team.groupby(name).nunique()
    shared = name.isin(teams_per_name[teams_per_name > 1].index)
    name = name.where(~shared, team.fillna("") + " " + name)
    frame = pd.DataFrame({"sprint": name, "team": team, "start": start, "end": end})
    frame = frame[frame["sprint"].notna()].drop_duplicates("sprint", keep="first")
    return name, frame.reset_index(drop=True)


# --- writer ----------------------------------------------------------------------------------

def _js_dates(values: pd.Series, zone_label: str) -> pd.Series:
    values = pd.to_datetime(values, utc=True)
    text = values.dt.strftime(f"%a %b %d %Y %H:%M:%S GMT+0000 ({zone_label})")
    return text.where(values.notna(), "")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").where(values.notna(), "")


def write_linear_csv(items: pd.DataFrame, path, shape: str = "2023",
                     sprints: pd.DataFrame | None = None) -> Path:
    """Write canonical work items as a Linear issues CSV export.

    Parameters
    ----------
    items : a canonical ``work_items`` frame.
    path : the CSV file to write.
    shape : ``"2023"`` (25 columns, strings quoted, numbers and empty cells bare, dates as
        ``Date.toString()`` with ``(GMT)``) or ``"2025"`` (34 columns, every cell quoted).
    sprints : optional canonical ``sprints`` frame giving each cycle's start and end.

    Each item's last sprint is written as its cycle (Linear shows the current cycle only);
    assignees become ``<name>@example.com``. Timestamps are written in UTC.
    """
    if shape not in ("2023", "2025"):
        raise ValueError(f"shape must be '2023' or '2025', not {shape!r}")
    path = Path(path)
    n = len(items)
    empty = pd.Series([""] * n, index=items.index)
    nat = pd.Series(pd.NaT, index=items.index, dtype="datetime64[us, UTC]")
    zone = "GMT" if shape == "2023" else "GMT+00:00"
    cycle = items["sprints"].map(lambda s: as_tuple(s)[-1] if as_tuple(s) else "")
    windows = (sprints.drop_duplicates("sprint").set_index("sprint") if sprints is not None and len(sprints)
               else pd.DataFrame(columns=["start", "end"]))
    times = items[["created_at", "started_at", "completed_at", "canceled_at"]]
    assignee = _text(items["assignee"])
    estimate = pd.to_numeric(items["estimate"], errors="coerce")
    columns = {
        "ID": _text(items["item_id"]), "Team": _text(items["team"]), "Title": _text(items["title"]),
        "Description": empty, "Status": _text(items["status"]),
        "Estimate": estimate.map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        "Priority": _text(items["priority"]).replace("", "No priority"),
        "Project ID": empty, "Project": _text(items["project"]), "Creator": empty,
        "Assignee": assignee.where(assignee.eq("") | assignee.str.contains("@"), assignee + "@example.com"),
        "Labels": items["labels"].map(lambda v: ", ".join(as_tuple(v))),
        "Cycle Number": cycle.str.extract(r"(\d+)\s*$", expand=False).fillna(""),
        "Cycle Name": cycle,
        "Cycle Start": _js_dates(cycle.map(windows["start"]) if len(windows) else nat, zone),
        "Cycle End": _js_dates(cycle.map(windows["end"]) if len(windows) else nat, zone),
        "Created": _js_dates(items["created_at"], zone),
        "Updated": _js_dates(times.max(axis=1), zone),
        "Started": _js_dates(items["started_at"], zone),
        "Triaged": empty,
        "Completed": _js_dates(items["completed_at"], zone),
        "Canceled": _js_dates(items["canceled_at"], zone),
        "Parent issue": _text(items["parent_id"]),
        "UUID": empty,
    }
    header = COLUMNS_2023 if shape == "2023" else COLUMNS_2025
    numeric = {"Estimate", "Cycle Number"}
    cells = []
    for column in header:
        values = columns.get(column, empty).astype("str")
        quoted = '"' + values.str.replace('"', '""', regex=False) + '"'
        if shape == "2023":
            quoted = quoted.where(values.ne("") & (column not in numeric), values)
        cells.append(quoted)
    head = ",".join(f'"{c}"' for c in header)
    body = pd.concat(cells, axis=1).agg(",".join, axis=1) if n else pd.Series([], dtype="str")
    path.write_text("\n".join([head, *body.tolist()]) + "\n", encoding="utf-8")
    log.debug("wrote %d Linear issues to %s", n, path)
    return path

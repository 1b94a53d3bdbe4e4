"""Asana task CSV exports → work items.

Three shapes are recognised by their header (never the file name):

- **Native export** (project "Export/Print → CSV"): ``Task ID, Created At, Completed At,
  Last Modified, Name, Section/Column, Assignee, Assignee Email, Start Date, Due Date, Tags, Notes,
  Projects, Parent task, Blocked By (Dependencies), Blocking (Dependencies)``. The Google-Sheets
  flavour of it has spacer rows and a source URL line (``,,https://app.asana.com/-/
  googleSheetsProjectCsv?…``) above the header: the header is found among the first records.
- **API-script exports**: ``Task ID, Name, Assignee, Tags, Notes, Projects, …`` (no dates, no
  status: items are counted but carry no timestamps, noted as a finding) and ``Task, Projects,
  DueDate, CreatedAt, ModifiedAt, Completed, CompletedAt, Assignee, Parent, Notes, TaskId, Tags``.

Rules:

- Ids stay text (16-digit Asana gids do not survive a float); a Task ID repeated in one file
  keeps its first row (noted).
- Dates are date-only (``2024-01-31``, 00:00 in the engagement timezone) or ``2019-10-04 14:41``.
- A task is done when ``Completed At`` is set or ``Completed`` is true: status ``Done``. An open
  task's status is its ``Section/Column``; ``(no section)`` or an empty section gives ``Open``.
  Asana has no "started" date (``Start Date`` is a planned date), so started_at stays empty.
- ``Tags`` (comma-joined) → labels; ``Projects`` (comma-joined) → the first project.
- Subtasks are rows whose ``Parent task`` holds the parent's *name*: item_type ``Sub-task`` and
  parent_id = the id of the task with that name when exactly one task has it (else empty, noted).
  Other tasks are ``Task``.
- ``Assignee`` → assignee; without one, the local part of ``Assignee Email``. Notes, comments and
  e-mail addresses are not kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, ReadContext, RawTable, parse_times, read_csv
from .linear import local_part
from .trello import category_from_names

SOURCE = "asana"

ID_COLUMNS = ("Task ID", "TaskId")
NAME_COLUMNS = ("Name", "Task")
NO_SECTION = {"(no section)", "no section", "untitled section"}
TRUE_WORDS = {"true", "yes", "1", "completed", "done"}


def _is_header(row: list[str]) -> bool:
    names = {c.strip().lower() for c in row}
    return (bool(names & {"task id", "taskid"}) and bool(names & {"name", "task"})
            and "projects" in names)


def header_index(probe: Probe) -> int | None:
    """Index of the Asana header among the first records (0 for an ordinary export)."""
    for i, row in enumerate(probe.head_rows):
        if _is_header(row):
            return i
    return None


class AsanaFormat(Format):
    """Asana tasks CSV (native export, its Google-Sheets flavour, API-script exports)."""

    name = "asana_csv"
    tables = ("work_items",)
    description = "Asana tasks CSV export"

    def sniff(self, probe: Probe) -> bool:
        return header_index(probe) is not None

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = _read_from_header(probe, ctx)
        ids = raw.col(*ID_COLUMNS)
        if ids.isna().any():
            first = ids[ids.isna()].index[0]
            raise InputFormatError(probe.path, "empty task id (expected Asana's numeric task id)",
                                   row=raw.row_of(first), column=raw.first(*ID_COLUMNS))
        repeated = ids.duplicated(keep="first")
        if repeated.any():
            ctx.note("duplicate_rows", "info", ids[repeated].unique(),
                     f"{int(repeated.sum())} rows repeat a Task ID already read; the first is kept",
                     count=int(repeated.sum()))

        def times(*names: str) -> pd.Series:
            column = raw.first(*names)
            if column is None:
                return pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[us, UTC]")
            return parse_times(raw.col(column), ctx, column=column, raw=raw, items=ids)

        created = times("Created At", "CreatedAt")
        completed_at = times("Completed At", "CompletedAt")
        flag = raw.col("Completed").str.lower().isin(TRUE_WORDS)
        done = completed_at.notna() | flag
        has_state = raw.has("Completed At", "CompletedAt", "Completed", "Section/Column")
        if not has_state and not raw.has("Created At", "CreatedAt"):
            ctx.note("asana_no_dates", "warning", ids.head(5),
                     "this Asana export has no dates and no completion state (an API-script export): "
                     "tasks are counted but cannot be used for flow metrics", count=len(ids))
        section = raw.col("Section/Column")
        section = section.mask(section.str.lower().isin(NO_SECTION))
        status = pd.Series(np.where(done, "Done", section.fillna("Open")), index=ids.index, dtype="str")
        category = category_from_names(status).fillna("todo").where(~done, "done")
        if not has_state:  # nothing says whether a task is open or done
            status = pd.Series(np.nan, index=ids.index, dtype="str")
            category = status.copy()
        names = raw.col(*NAME_COLUMNS)
        parent_text = raw.col("Parent task", "Parent")
        parent = _resolve_parents(parent_text, ids, names, ctx)
        assignee = raw.col("Assignee").fillna(local_part(raw.col("Assignee Email")))
        items = pd.DataFrame({
            "item_id": ids, "title": names,
            "item_type": np.where(parent_text.notna(), "Sub-task", "Task"),
            "project": raw.multi("Projects", split=",").map(lambda p: p[0] if p else None),
            "status": status, "status_category": category, "created_at": created,
            "completed_at": completed_at.where(done), "labels": raw.multi("Tags", split=","),
            "assignee": assignee, "parent_id": parent, "source": SOURCE,
        }, index=raw.frame.index)
        return {"work_items": items[~repeated]}


def _read_from_header(probe: Probe, ctx: ReadContext) -> RawTable:
    """Read the CSV from its Asana header on (spacer and URL rows above it are skipped).

    ``read_csv`` sizes its columns by the first record, so the text handed to it starts at
    the header; spreadsheet row numbers are shifted back to the file's own.
    """
    skip = header_index(probe) or 0
    if not skip:
        return read_csv(probe, ctx)
    text = probe.text
    offset = 0
    for _ in range(skip):
        offset = text.index("\n", offset) + 1
    trimmed = Probe(probe.path)
    trimmed.__dict__.update(raw=probe.raw, encoding=probe.encoding, is_binary=False, text=text[offset:])
    ctx.note("asana_sheet_preamble", "info", [probe.path.name],
             f"{skip} spacer/source-URL rows above the header skipped (Google-Sheets export)", count=skip)
    raw = read_csv(trimmed, ctx)
    raw.rows = raw.rows + skip
    return raw


def _resolve_parents(parent: pd.Series, ids: pd.Series, names: pd.Series, ctx: ReadContext) -> pd.Series:
    """Parent id per row: the parent cell when it is a task id, else the id of the one task so named."""
    counts = names.value_counts()
    unique = names.map(counts).eq(1)
    by_name = pd.Series(ids[unique].to_numpy(), index=names[unique].to_numpy())
    by_name = by_name[~by_name.index.duplicated()]
    resolved = parent.where(parent.isin(set(ids.dropna())), parent.map(by_name))
    unresolved = parent.notna() & resolved.isna()
    if unresolved.any():
        ctx.note("asana_parent_unresolved", "info", ids[unresolved],
                 f"{int(unresolved.sum())} subtasks name a parent that is missing or not unique; "
                 "their parent is left empty", count=int(unresolved.sum()))
    return resolved

"""Shortcut (formerly Clubhouse) stories CSV export → work items.

Built from Shortcut's documented story export columns (no real file was available):
``id, name, type, requester, owners, description, is_completed, created_at, started_at,
updated_at, moved_at, completed_at, estimate, external_ticket_count, external_tickets,
is_blocked, is_a_blocker, due_date, labels, epic_labels, tasks, state, epic_id, epic,
project_id, project, iteration_id, iteration, utc_offset, is_archived, team_id, team,
epic_state, …, milestone_id, milestone, milestone_state, …, workflow, workflow_id, priority,
severity, …``. Recognised by the header (``id, name, type, state, is_completed, created_at``
plus one of ``owners``/``epic``/``iteration``/``requester``); any extra columns are ignored.

- item_id = ``sc-<id>`` (how Shortcut names stories in branches and links); a non-numeric
  id is kept as it is.
- ``type`` feature/bug/chore → item_type ``Story``/``Bug``/``Task`` (other values capitalised).
- ``state`` → status. status_category: ``is_completed`` true → done (completed_at =
  ``completed_at``); else ``started_at`` set → in_progress; else todo. Shortcut's export
  carries no per-transition log, so no transitions.
- Timestamps are ISO 8601 (or ``YYYY/MM/DD HH:MM:SS``); a value without a zone takes the row's
  ``utc_offset`` when present, else the engagement timezone.
- ``labels`` and ``owners`` are separated by ``;`` or ``,`` → labels tuple and the first owner as
  assignee (local part only when it is an e-mail address).
- ``iteration`` → sprints tuple; ``project`` (else ``epic``) → project; ``team`` → team;
  ``epic_id`` → parent_id ``epic-<id>``; ``estimate`` and ``priority`` as exported.
  Description, requester, tasks and external tickets are not kept.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from ..schema import as_tuple
from .base import Format, Probe, ReadContext, parse_numbers, parse_times, read_csv
from .linear import local_part

log = logging.getLogger(__name__)

SOURCE = "shortcut"

COLUMNS = ["id", "name", "type", "requester", "owners", "description", "is_completed", "created_at",
           "started_at", "updated_at", "moved_at", "completed_at", "estimate", "external_ticket_count",
           "external_tickets", "is_blocked", "is_a_blocker", "due_date", "labels", "epic_labels", "tasks",
           "state", "epic_id", "epic", "project_id", "project", "iteration_id", "iteration", "utc_offset",
           "is_archived", "team_id", "team", "epic_state", "epic_is_archived", "epic_created_at",
           "epic_started_at", "epic_due_date", "milestone_id", "milestone", "milestone_state",
           "milestone_created_at", "milestone_started_at", "milestone_due_date", "milestone_categories",
           "epic_planned_start_date", "workflow", "workflow_id", "priority", "severity", "product_area",
           "skill_set", "technical_area", "custom_fields"]

SIGNATURE = {"id", "name", "type", "state", "is_completed", "created_at"}
ANY_OF = {"owners", "epic", "iteration", "requester"}
TYPES = {"feature": "Story", "bug": "Bug", "chore": "Task"}
TRUE_WORDS = {"true", "yes", "1", "t"}
_ZONED = r"(?:Z|[+-]\d{2}:?\d{2})$"


def _split(values: pd.Series) -> pd.Series:
    """``a; b`` or ``a, b`` → ``("a", "b")`` (semicolons win when a cell has both)."""
    def one(cell):
        if not isinstance(cell, str) or not cell.strip():
            return ()
        parts = cell.split(";") if ";" in cell else cell.split(",")
        return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
    return values.map(one)


class ShortcutFormat(Format):
    """Shortcut stories CSV export."""

    name = "shortcut_csv"
    tables = ("work_items",)
    description = "Shortcut stories CSV export"

    def sniff(self, probe: Probe) -> bool:
        header = probe.header_set()
        return SIGNATURE <= header and bool(ANY_OF & header)

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        story = raw.col("id")
        if story.isna().any():
            first = story[story.isna()].index[0]
            raise InputFormatError(probe.path, "empty story id (expected Shortcut's story number)",
                                   row=raw.row_of(first), column="id")
        ids = story.where(~story.str.fullmatch(r"\d+"), "sc-" + story)
        offset = raw.col("utc_offset").str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)

        def with_offset(text: pd.Series) -> pd.Series:
            naive = text.notna() & ~text.str.contains(_ZONED, regex=True, na=False) & offset.notna()
            return text.where(~naive, text + offset)

        def times(column: str) -> pd.Series:
            return parse_times(raw.col(column), ctx, column=column, raw=raw, items=ids, prepare=with_offset)

        created, started, completed = times("created_at"), times("started_at"), times("completed_at")
        done = raw.col("is_completed").str.lower().isin(TRUE_WORDS)
        kind = raw.col("type").str.strip().str.lower()
        epic_id = raw.col("epic_id").str.replace(r"\.0$", "", regex=True)
        items = pd.DataFrame({
            "item_id": ids, "title": raw.col("name"),
            "item_type": kind.map(TYPES).fillna(kind.str.capitalize()),
            "project": raw.col("project").fillna(raw.col("epic")), "team": raw.col("team"),
            "status": raw.col("state"),
            "status_category": np.select([done, started.notna()], ["done", "in_progress"], "todo"),
            "created_at": created, "started_at": started, "completed_at": completed.where(done),
            "priority": raw.col("priority"),
            "estimate": parse_numbers(raw.col("estimate"), ctx, column="estimate", raw=raw, items=ids),
            "labels": _split(raw.col("labels")),
            "sprints": raw.col("iteration").map(lambda n: (n,) if isinstance(n, str) else ()),
            "assignee": local_part(_split(raw.col("owners")).map(lambda o: o[0] if o else None)),
            "parent_id": ("epic-" + epic_id).where(epic_id.notna()), "source": SOURCE,
        }, index=raw.frame.index)
        return {"work_items": items}


def write_shortcut_csv(items: pd.DataFrame, path) -> Path:
    """Write canonical work items as a Shortcut stories CSV export.

    Parameters
    ----------
    items : a canonical ``work_items`` frame.
    path : the CSV file to write.

    Every documented column is written (unknown ones empty); timestamps as ISO 8601 UTC with
    ``utc_offset`` ``+00:00``; ids ``sc-<n>`` as ``<n>``; item types Story/Bug/Task as
    feature/bug/chore; labels ``;``-separated; the assignee as the only owner; the last sprint
    as the iteration.
    """
    path = Path(path)

    def text(column: str) -> pd.Series:
        return items[column].astype("str").where(items[column].notna(), "")

    def iso(column: str) -> pd.Series:
        values = pd.to_datetime(items[column], utc=True)
        return values.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(values.notna(), "")

    kinds = {v.lower(): k for k, v in TYPES.items()}
    item_type = text("item_type").str.lower()
    category = text("status_category")
    done = category.eq("done") | (category.eq("") & items["completed_at"].notna())
    stamps = items[["created_at", "started_at", "completed_at"]].apply(pd.to_datetime, utc=True)
    updated = stamps.max(axis=1)
    frame = pd.DataFrame({c: "" for c in COLUMNS}, index=items.index)
    frame["id"] = text("item_id").str.replace(r"^sc-(\d+)$", r"\1", regex=True)
    frame["name"] = text("title")
    frame["type"] = item_type.map(kinds).fillna(item_type.where(item_type.ne(""), "feature"))
    frame["owners"] = text("assignee")
    frame["is_completed"] = np.where(done, "TRUE", "FALSE")
    frame["created_at"], frame["started_at"] = iso("created_at"), iso("started_at")
    frame["completed_at"] = iso("completed_at").where(done, "")
    frame["updated_at"] = updated.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(updated.notna(), "")
    frame["estimate"] = pd.to_numeric(items["estimate"], errors="coerce").map(
        lambda v: "" if pd.isna(v) else f"{v:g}")
    frame["labels"] = items["labels"].map(lambda v: ";".join(as_tuple(v)))
    frame["state"] = text("status")
    frame["epic_id"] = text("parent_id").str.extract(r"^epic-(\d+)$", expand=False).fillna("")
    frame["project"], frame["team"] = text("project"), text("team")
    frame["iteration"] = items["sprints"].map(lambda s: as_tuple(s)[-1] if as_tuple(s) else "")
    frame["utc_offset"] = "+00:00"
    frame["is_archived"] = "FALSE"
    frame["priority"] = text("priority")
    frame.to_csv(path, index=False, lineterminator="\n")
    log.debug("wrote %d Shortcut stories to %s", len(frame), path)
    return path

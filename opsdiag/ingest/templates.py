"""opsdiag's own CSV templates, one per canonical table, with the canonical column names.

For what no tool exports (roster and time survey, tool inventory, releases, product events)
and for anything a consultant assembles by hand. A template is recognised by its header: it
holds the table's signature columns. Required columns must be present (an error naming file
and column otherwise); every other canonical column is optional. ``opsdiag export`` writes
the same shape, so an exported folder reads back as a client folder.
"""

from __future__ import annotations

import pandas as pd

from ..errors import InputFormatError
from ..schema import FLOAT, ID, STR, TABLES, TIME
from .base import Format, Probe, ReadContext, parse_numbers, parse_times, read_csv

# table -> (signature columns that identify the template, required columns)
TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "work_items": (("item_id", "status"), ("item_id",)),
    "transitions": (("item_id", "at", "to_status"), ("item_id", "at", "to_status")),
    "field_changes": (("item_id", "at", "field", "to_value"), ("item_id", "at", "field")),
    "status_durations": (("item_id", "status", "total_days"), ("item_id", "status", "total_days")),
    "sprints": (("sprint", "start", "end"), ("sprint",)),
    "releases": (("release", "planned_date"), ("release",)),
    "feedback": (("feedback_id",), ("feedback_id", "created_at")),
    "people": (("person", "role"), ("person",)),
    "tools": (("tool", "category"), ("tool",)),
    "events": (("user_id", "event", "at"), ("user_id", "event", "at")),
}

# columns of work_items that some templates know under a friendlier name
ALIASES = {"item_id": ("key", "id")}


class TemplateFormat(Format):
    """One opsdiag template (``work_items.csv`` …), read into its canonical table."""

    strips_text = True

    def __init__(self, table: str):
        self.table = table
        self.name = f"opsdiag_{table}"
        self.tables = (table,)
        self.signature, self.required = TEMPLATES[table]
        self.description = f"opsdiag template {table}.csv"

    def sniff(self, probe: Probe) -> bool:
        header = probe.header_set()
        if not set(self.signature) <= header:
            return False
        # work_items' signature is a subset of transitions-like headers: prefer the narrower table
        return not (self.table == "work_items" and {"at", "to_status"} <= header)

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        names = [c.lower() for c in raw.columns]
        for column in self.required:
            if column not in names:
                raise InputFormatError(probe.path, f"required column missing (a {self.table} "
                                       f"template needs {', '.join(self.required)})", column=column)
        repeated = sorted({c for c in names if names.count(c) > 1})
        if repeated:
            raise InputFormatError(probe.path, "column appears more than once", column=repeated[0])
        spec = TABLES[self.table]
        key = spec and next(iter(spec))
        ids = raw.col(key)
        missing = ids.isna()
        if missing.any():
            first = missing[missing].index[0]
            raise InputFormatError(probe.path, "empty id", row=raw.row_of(first), column=key)
        out = {}
        for column, kind in spec.items():
            if column not in names:
                continue
            if kind == TIME:  # parse_times strips the text itself
                out[column] = parse_times(raw.text(column), ctx, column=column, raw=raw, items=ids)
            elif kind == FLOAT:
                out[column] = parse_numbers(raw.col(column), ctx, column=column, raw=raw, items=ids)
            elif column == key:
                out[column] = ids
            elif kind in (ID, STR):  # stripped once, here (``strips_text``: ``conform`` keeps it)
                out[column] = raw.col(column)
            else:  # lists as read: ``conform`` parses them
                out[column] = raw.text(column)
        for column in self.required:
            if spec[column] == TIME and out[column].isna().any():
                first = out[column].isna().idxmax()
                raise InputFormatError(probe.path, "required date is empty", row=raw.row_of(first),
                                       column=column, item=str(ids[first]))
        if "source" in spec and "source" not in out:
            out["source"] = _constant_text("opsdiag_template", len(ids))
        return {self.table: pd.DataFrame(out, index=raw.frame.index)}


def _constant_text(value: str, length: int) -> pd.arrays.ArrowStringArray:
    """``value`` in each of ``length`` rows as ``str`` (Arrow repeats it; pandas, given a scalar
    column, repeats one value through a take of a million positions)."""
    import pyarrow as pa

    return pd.array(pa.repeat(pa.scalar(value, pa.large_string()), length), dtype="str")


def template_formats() -> list[TemplateFormat]:
    return [TemplateFormat(t) for t in TEMPLATES]


def write_empty_templates(folder, tables=None) -> list[str]:
    """Write header-only templates (``opsdiag init``); existing files are never overwritten."""
    from pathlib import Path

    written = []
    for table in tables or TEMPLATES:
        path = Path(folder) / f"{table}.csv"
        if path.exists():
            continue
        path.write_text(",".join(TABLES[table]) + "\n", encoding="utf-8")
        written.append(path.name)
    return written

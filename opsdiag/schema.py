"""Canonical tables: the one contract between importers and everything downstream.

Every importer returns frames in these shapes; metrics never learn which tool an export came
from. One column spec per table (``TABLES``) drives three things, so they cannot drift apart:
``empty_frame`` (a source that is absent), ``conform`` (coerce an importer's frame to the
canonical dtypes) and the pandera schemas (``SCHEMAS``) that validate the result.

Conventions (DESIGN §3): timestamps are timezone-aware UTC (``datetime64[us, UTC]``), ids
are stripped strings, multi-valued fields are tuples in memory and JSON-array text in the CSVs
opsdiag writes.
"""

from __future__ import annotations

import dataclasses

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

from .text import strip_text

if TYPE_CHECKING:  # pandera is imported on first validation, not by every command
    import pandera.pandas as pa

ID, STR, TIME, FLOAT, LIST = "id", "str", "time", "float", "list"
TIMESTAMP_DTYPE = "datetime64[us, UTC]"

STATUS_CATEGORIES = ("todo", "in_progress", "done")

TABLES: dict[str, dict[str, str]] = {
    "work_items": {
        "item_id": ID, "title": STR, "item_type": STR, "project": STR, "team": STR,
        "status": STR, "status_category": STR, "created_at": TIME, "started_at": TIME,
        "completed_at": TIME, "canceled_at": TIME, "resolution": STR, "priority": STR,
        "estimate": FLOAT, "labels": LIST, "sprints": LIST, "releases": LIST,
        "assignee": STR, "parent_id": STR, "source": STR,
    },
    "transitions": {"item_id": ID, "at": TIME, "from_status": STR, "to_status": STR, "source": STR},
    "field_changes": {"item_id": ID, "at": TIME, "field": STR, "from_value": STR, "to_value": STR},
    "status_durations": {"item_id": ID, "status": STR, "times_entered": FLOAT, "total_days": FLOAT},
    "sprints": {"sprint": ID, "team": STR, "start": TIME, "end": TIME, "state": STR},
    "releases": {"release": ID, "team": STR, "planned_date": TIME, "released_date": TIME, "status": STR},
    "feedback": {
        "feedback_id": ID, "source": STR, "created_at": TIME, "customer": STR, "account_arr": FLOAT,
        "channel": STR, "title": STR, "text": STR, "tags": LIST, "status": STR,
        "triaged_at": TIME, "solved_at": TIME, "linked_item_ids": LIST,
    },
    "people": {
        "person": ID, "role": STR, "team": STR, "hourly_cost": FLOAT, "hours_per_week": FLOAT,
        "hours_status_chasing": FLOAT, "hours_coordination_meetings": FLOAT,
        "hours_data_pulls": FLOAT, "hours_feedback_triage": FLOAT, "hours_tool_admin": FLOAT,
        "hours_customer": FLOAT,
    },
    "tools": {
        "tool": ID, "category": STR, "owner": STR, "seats": FLOAT, "active_seats": FLOAT,
        "monthly_cost": FLOAT, "renewal_date": TIME,
    },
    "events": {"user_id": ID, "account_id": STR, "event": STR, "at": TIME},
}

# The column(s) that identify a row; used for de-duplication and for evidence ids.
KEYS: dict[str, tuple[str, ...]] = {
    "work_items": ("item_id",), "transitions": ("item_id", "at", "to_status"),
    "field_changes": ("item_id", "at", "field", "to_value"), "status_durations": ("item_id", "status"),
    "sprints": ("sprint",), "releases": ("release",), "feedback": ("feedback_id",),
    "people": ("person",), "tools": ("tool",), "events": ("user_id", "event", "at"),
}

# The timestamp column that gives a table its date span (inspect --json).
SPAN_COLUMNS = {
    "work_items": "created_at", "transitions": "at", "field_changes": "at", "sprints": "start",
    "releases": "planned_date", "feedback": "created_at", "events": "at", "tools": "renewal_date",
}


def _dtype(kind: str) -> str:
    return {ID: "str", STR: "str", TIME: TIMESTAMP_DTYPE, FLOAT: "float64", LIST: "object"}[kind]


def empty_frame(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``."""
    return _empty_frame(table).copy(deep=False)  # a new frame: adding to it leaves the model alone


@lru_cache(maxsize=None)
def _empty_frame(table: str) -> pd.DataFrame:
    # from empty arrays (half the time of empty Series: a first command builds every table's)
    return pd.DataFrame({c: pd.array([], dtype=_dtype(k)) for c, k in TABLES[table].items()})


def as_tuple(value) -> tuple:
    """One multi-valued cell as a tuple of stripped non-empty strings.

    Accepts tuples/lists, JSON-array text (what opsdiag writes), and missing values.
    """
    if isinstance(value, (tuple, list, np.ndarray)):
        items = value
    elif value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ()
    else:
        text = str(value).strip()
        if not text:
            return ()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                items = [text]
        else:
            items = [text]
    return tuple(s for s in (str(v).strip() for v in items if v is not None) if s)


def _to_str(series: pd.Series, strip: bool) -> pd.Series:
    if strip:
        return strip_text(series)
    out = series.astype("str")
    return out.mask(out.eq(""))


def _to_time(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.tz_localize("UTC").astype(TIMESTAMP_DTYPE)
    return pd.to_datetime(series, utc=True, format="ISO8601").astype(TIMESTAMP_DTYPE)


def conform(table: str, frame: pd.DataFrame, stripped: bool = False) -> pd.DataFrame:
    """Return ``frame`` with exactly the canonical columns of ``table``, in order and dtype.

    Missing optional columns are added empty; extra columns are dropped. Strings are stripped
    and empty strings become missing; multi-valued columns become tuples; naive timestamps are
    taken as UTC (importers localise to the engagement timezone before calling this). With
    ``stripped``, text columns of dtype ``str`` are taken as they are: the caller has stripped
    them already (``text.strip_text``).
    """
    spec = TABLES[table]
    out = {}
    n = len(frame)
    for column, kind in spec.items():
        if column not in frame.columns:  # a missing scalar is broadcast (quicker than a list of them)
            out[column] = pd.Series([() for _ in range(n)] if kind == LIST else None,
                                    index=frame.index, dtype=_dtype(kind))
            continue
        values = frame[column]
        if kind in (ID, STR):
            out[column] = values if stripped and values.dtype == "str" else _to_str(values, strip=True)
        elif kind == TIME:
            out[column] = _to_time(values)
        elif kind == FLOAT:
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column] = _to_tuples(values)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _to_tuples(values: pd.Series) -> pd.Series:
    """``as_tuple`` of every cell; text and tuples of text are parsed once per distinct value.

    A labels or sprints column repeats a few hundred distinct JSON arrays (or tuples) over many
    rows, so parsing each distinct value once is the same result for a fraction of the work.
    """
    if len(values) and values.dtype != "float64":
        try:
            codes, uniques = pd.factorize(values)
        except TypeError:  # unhashable cells (lists)
            codes, uniques = None, ()
        # equal text, or equal tuples of text, give equal tuples; other values that compare equal
        # (1, 1.0 and True) need not, so only those distinct values are parsed once
        distinct = uniques.tolist() if codes is not None else ()  # Python values, built at once
        if codes is not None and (uniques.dtype == "str" or all(
                isinstance(u, str) or (isinstance(u, tuple) and all(isinstance(x, str) for x in u))
                for u in distinct)):
            parsed = np.empty(len(distinct) + 1, dtype=object)
            for i, value in enumerate(distinct):  # one at a time: a list of tuples would broadcast
                parsed[i] = as_tuple(value)
            parsed[-1] = ()  # code -1: a missing cell
            return pd.Series(parsed[codes], index=values.index, name=values.name, dtype="object")
    return values.map(as_tuple).astype("object")


@lru_cache(maxsize=None)
def _schema(table: str) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    columns = {}
    for column, kind in TABLES[table].items():
        checks = []
        if column == "status_category":
            checks.append(pa.Check.isin(STATUS_CATEGORIES))
        if kind == LIST:
            checks.append(pa.Check(lambda s: s.map(lambda v: isinstance(v, tuple)), element_wise=False,
                                   error="multi-valued cells must be tuples"))
        columns[column] = pa.Column(_dtype(kind), checks=checks, nullable=kind != ID)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=table)


def __getattr__(name: str):
    # ``SCHEMAS`` (table -> pandera schema) is built on first use: importing pandera costs more
    # than a diagnosis of a small client, and only validation needs it
    if name == "SCHEMAS":
        schemas = {table: _schema(table) for table in TABLES}
        globals()["SCHEMAS"] = schemas
        return schemas
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate a conformed frame against its pandera schema (raises ``SchemaError``)."""
    return _schema(table).validate(frame)


@dataclass
class QualityFinding:
    """One data-quality check that fired: shown by ``inspect`` and in the report."""

    check: str
    severity: str  # info | warning | error
    count: int
    examples: list[str] = field(default_factory=list)
    message: str = ""
    path: str | None = None

    def as_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity, "count": int(self.count),
                "examples": [str(e) for e in self.examples[:10]], "message": self.message,
                **({"path": self.path} if self.path else {})}


@dataclass
class SourceFile:
    """A file that was read: its path, recognised format and the rows it gave each table."""

    path: str
    format: str
    tables: dict[str, int]
    sha256: str = ""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class Unrecognized:
    """A file that was not read, with the reason (unknown shape, or an error while reading)."""

    path: str
    reason: str
    error: bool = False  # True when the file was recognised but could not be read


@dataclass
class Dataset:
    """Every canonical table of one client (empty frames when absent) plus provenance."""

    tables: dict[str, pd.DataFrame] = field(default_factory=lambda: {t: empty_frame(t) for t in TABLES})
    files: list[SourceFile] = field(default_factory=list)
    unrecognized: list[Unrecognized] = field(default_factory=list)
    quality: list[QualityFinding] = field(default_factory=list)
    # sha256 of every file in the folder, recognised or not, by path within it (the cache key)
    digests: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def errors(self) -> list[Unrecognized]:
        return [u for u in self.unrecognized if u.error]

    def has(self, *tables: str) -> bool:
        """True when every named table has at least one row."""
        return all(len(self.tables[t]) for t in tables)

    def replace(self, **tables: pd.DataFrame) -> "Dataset":
        """A copy with some tables replaced (conformed); files, findings and digests are shared."""
        new = dict(self.tables)
        for name, frame in tables.items():
            new[name] = conform(name, frame)
        return dataclasses.replace(self, tables=new)

    def span(self, table: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        column = SPAN_COLUMNS.get(table)
        frame = self.tables[table]
        if column is None or frame.empty or frame[column].isna().all():
            return None, None
        return frame[column].min(), frame[column].max()


def concat(table: str, frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate conformed frames of one table (empty input gives the empty frame)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_frame(table)
    return conform(table, pd.concat(frames, ignore_index=True))

"""Write canonical tables and per-item flow as CSV (``opsdiag export``), safely and atomically.

Every CSV opsdiag writes goes through ``write_table``: ISO-8601 UTC timestamps, tuples as
JSON-array text, and text cells that a spreadsheet would run as a formula (leading ``=``,
``+``, ``-``, ``@``, tab or carriage return) neutralised with a leading apostrophe.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from .schema import TABLES

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FLOW_COLUMNS = ["item_id", "started_at", "completed_at", "cycle_time_days", "lead_time_days",
                "active_days", "queue_days", "blocked_days", "handoffs", "bounce_backs"]


def neutralise_formula(value: str) -> str:
    """Prefix a text cell that a spreadsheet would evaluate (``=HYPERLINK(...)``) with ``'``.

    Plain negative numbers ("-3.5") are left alone: they are data, not formulas.
    """
    if value and value.startswith(FORMULA_PREFIXES):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def _cell_text(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        text = series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return text.where(series.notna(), "")
    if series.dtype == object and series.map(lambda v: isinstance(v, (tuple, list))).any():
        return series.map(lambda v: json.dumps(list(v), ensure_ascii=False)
                          if isinstance(v, (tuple, list)) else ("" if v is None or v != v else str(v)))
    if pd.api.types.is_float_dtype(series.dtype):
        text = series.map(lambda v: "" if pd.isna(v) else f"{v:.6g}" if abs(v) < 1e15 else repr(v))
        return text
    text = series.astype("str")
    text = text.where(series.notna(), "")
    return text.map(neutralise_formula)


def frame_to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text opsdiag writes for ``frame`` (see module docstring for the conventions)."""
    text = pd.DataFrame({c: _cell_text(frame[c]) for c in frame.columns}, index=frame.index)
    return text.to_csv(index=False, lineterminator="\n")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one frame as CSV atomically (ISO UTC, JSON arrays, formulas neutralised)."""
    return atomic_write_text(path, frame_to_csv_text(frame))


def flow_table(flow: pd.DataFrame) -> pd.DataFrame:
    """The ``flow.csv`` columns of DESIGN §8 from the workflow's per-item flow frame."""
    return flow.reindex(columns=FLOW_COLUMNS)


def export_client(client, out: str | Path) -> list[Path]:
    """Write every canonical table (``<table>.csv``) and ``flow.csv`` into ``out``.

    The folder written reads back as a client folder (the templates have the same columns).
    """
    out = Path(out)
    written = [write_table(client.dataset.tables[name], out / f"{name}.csv") for name in TABLES]
    written.append(write_table(flow_table(client.flow), out / "flow.csv"))
    return written

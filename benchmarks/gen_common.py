"""Constants and small helpers shared by the benchmark generators (``generate.py``, ``gen_side.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_OUT = Path(__file__).resolve().parent / "_data"
AS_OF = pd.Timestamp("2026-06-30 23:59:59", tz="UTC")
HISTORY_DAYS = 730
DAY_S = 86_400

TEAMS = ["Core", "Payments", "Mobile", "Web", "Data", "Platform", "Growth", "Infra"]
PROJECTS = ["CORE", "PAY", "MOB", "WEB", "DATA", "PLAT", "GROW", "INFRA"]
TEAM_SHARE = np.array([0.2, 0.15, 0.15, 0.12, 0.1, 0.1, 0.1, 0.08])
TYPES = ["Story", "Task", "Bug", "Sub-task", "Epic"]
TYPE_SHARE = np.array([0.5, 0.24, 0.2, 0.04, 0.02])
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
PRIORITY_SHARE = np.array([0.05, 0.2, 0.5, 0.2, 0.05])
LABELS = ["checkout", "search", "onboarding", "billing", "reporting", "notifications", "api", "auth",
          "mobile-app", "dashboard", "exports", "integrations"]
POINTS = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0])


def iso(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds → ``2026-01-31T09:30:00Z`` text as ``opsdiag export`` writes it ('' when < 0)."""
    seconds = np.asarray(seconds, dtype="int64")
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    text[seconds < 0] = ""
    return text


def utc(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds (int64, negative = missing) → tz-aware UTC series."""
    values = np.asarray(seconds, dtype="int64").astype("datetime64[s]").astype("datetime64[us]")
    values[np.asarray(seconds) < 0] = np.datetime64("NaT")
    return pd.Series(values).dt.tz_localize("UTC")


def json_lists(codes: np.ndarray, names: list[str]) -> np.ndarray:
    """A boolean membership matrix (rows × names) as JSON-array text per row."""
    out = np.full(len(codes), "[]", dtype=object)
    for mask in np.unique(codes):  # loop over distinct label sets (at most a few dozen), not rows
        chosen = [names[i] for i in range(len(names)) if mask >> i & 1]
        out[codes == mask] = json.dumps(chosen)
    return out

"""Durations between timestamps in calendar days or working days, vectorised.

Flow metrics measure every interval with one function, ``duration_days``, so cycle time,
age and the active/queue/blocked split add up under either calendar (DESIGN §5).
``by_item_then_time`` is the one ordering of status histories every workflow table uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import numpy as np
import pandas as pd

DAY = np.timedelta64(86_400_000_000, "us")


def to_naive_utc(values) -> np.ndarray:
    """Timestamps as a numpy ``datetime64[us]`` array of UTC wall-clock times (NaT kept)."""
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(series.dtype):
        series = pd.to_datetime(series, utc=True).dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[us]")


def working_days_between(start: np.ndarray, end: np.ndarray,
                         holidays: Iterable[dt.date] = ()) -> np.ndarray:
    """Working days from ``start`` to ``end``: Monday–Friday minus ``holidays``, fractional.

    Definition: the whole working days strictly between the two dates (``numpy.busday_count``)
    plus the part of the first day after ``start`` and the part of the last day before ``end``,
    each counted only when that day is a working day. Days are UTC days (an approximation of
    the engagement timezone: an interval is at most a few hours off at each end). Weekend and
    holiday time counts zero, so an item that waits Friday 17:00 → Monday 09:00 waits 0.7 days.

    Parameters
    ----------
    start, end : ``datetime64[us]`` arrays (naive UTC), NaT allowed.
    holidays : dates that are not working days.

    Returns
    -------
    float array of days; NaN where either end is NaT; negative when ``end < start``.
    """
    start = np.asarray(start, dtype="datetime64[us]")
    end = np.asarray(end, dtype="datetime64[us]")
    missing = np.isnat(start) | np.isnat(end)
    swap = ~missing & (end < start)
    lo = np.where(swap, end, start)
    hi = np.where(swap, start, end)
    lo = np.where(missing, np.datetime64(0, "us"), lo)
    hi = np.where(missing, np.datetime64(0, "us"), hi)
    hol = np.array(sorted(holidays or ()), dtype="datetime64[D]")
    lo_day = lo.astype("datetime64[D]")
    hi_day = hi.astype("datetime64[D]")
    lo_work = np.is_busday(lo_day, holidays=hol)
    hi_work = np.is_busday(hi_day, holidays=hol)
    same = lo_day == hi_day
    between = np.busday_count(np.minimum(lo_day + 1, hi_day), hi_day, holidays=hol)
    first_part = np.where(lo_work, ((lo_day + 1).astype("datetime64[us]") - lo) / DAY, 0.0)
    last_part = np.where(hi_work, (hi - hi_day.astype("datetime64[us]")) / DAY, 0.0)
    days = np.where(same, np.where(lo_work, (hi - lo) / DAY, 0.0), between + first_part + last_part)
    days = np.where(swap, -days, days).astype("float64")
    days[missing] = np.nan
    return days


def duration_days(start, end, calendar: str = "calendar_days",
                  holidays: Iterable[dt.date] = ()) -> np.ndarray:
    """Fractional days from ``start`` to ``end`` in the engagement's calendar.

    ``calendar_days``: (end − start) / 24 h. ``working_days``: see ``working_days_between``
    (Monday–Friday minus holidays, UTC days). NaN where either end is missing.
    """
    start = to_naive_utc(start) if not isinstance(start, np.ndarray) else start
    end = to_naive_utc(end) if not isinstance(end, np.ndarray) else end
    if calendar == "working_days":
        return working_days_between(start, end, holidays)
    return ((end - start) / DAY).astype("float64")


def by_item_then_time(codes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The order that sorts rows by item code, then time, then position (``np.lexsort``).

    Exports list each item's history oldest first, so a stable sort by item alone usually
    leaves the times in order already; that is checked, and the full three-key sort is only
    run when it does not hold. Same result either way.
    """
    at = np.asarray(at).astype("int64")
    order = np.argsort(codes, kind="stable")
    sorted_at, sorted_codes = at[order], codes[order]
    if np.all((sorted_at[1:] >= sorted_at[:-1]) | (sorted_codes[1:] != sorted_codes[:-1])):
        return order
    return np.lexsort((np.arange(len(codes)), at, codes))

"""Durations between timestamps in calendar days or working days, vectorised.

Flow metrics measure every interval with one function, ``duration_days``, so cycle time,
age and the active/queue/blocked split add up under either calendar (DESIGN §5).
``by_item_then_time`` is the one ordering of status histories every workflow table uses;
``history_index`` computes it, with the item and status codes, once per transitions frame.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

from .text import arrow_text, factorizable, first_positions

if TYPE_CHECKING:
    import pyarrow as pa

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
    return calendar_days(start, end)


def calendar_days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``(end − start) / 24 h`` of datetime64 arrays as float64 (NaN where either is NaT),
    computed in one fresh array (a million intervals: 8 MB)."""
    elapsed = np.subtract(end, start)
    return np.divide(elapsed, DAY, out=elapsed.view("float64"))


def by_item_then_time(codes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The order that sorts rows by item code, then time, then position (``np.lexsort``).

    Computed on the runs of equal codes (``_by_runs``): exports list each item's history
    together and oldest first, so this is usually a sort of the runs. Same result either way.
    """
    codes = np.asarray(codes)
    starts = _run_starts(codes)
    return _by_runs(starts, codes[starts], np.asarray(at))[0]


def _by_runs(starts: np.ndarray, run_codes: np.ndarray, at: np.ndarray, distinct: int | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``by_item_then_time`` of rows given as runs of equal item codes (``starts``: where each
    run begins; ``run_codes``: its code), with the codes and ``at`` in that order and the
    positions in that order where each item's rows begin. ``distinct``, when given, says the
    codes are 0, 1, …, ``distinct`` − 1.

    The runs are sorted stably by code and each is expanded to its rows in file order (none
    is moved when the codes already ascend, one run per item; with as many runs as
    ``distinct`` codes, the runs' order is the inverse of their codes, without sorting).
    Exports list each item's history oldest first, so that usually leaves every item's times
    in order already; that is checked, and the full three-key sort (``np.lexsort``) is only
    run when it does not hold.
    """
    n = len(at)
    file_codes, file_lengths = run_codes, np.diff(np.r_[starts, n])
    moved = not np.all(run_codes[1:] > run_codes[:-1])
    if not moved:  # (many exports: already in item order, ``at`` is kept as it is)
        order, lengths = np.arange(n), file_lengths
    else:
        if len(run_codes) == distinct:  # one run per item
            run_order = np.empty(len(run_codes), dtype=np.intp)
            run_order[run_codes] = np.arange(len(run_codes))
        else:
            run_order = np.argsort(run_codes, kind="stable")
        run_codes, lengths = run_codes[run_order], file_lengths[run_order]
        # row k of the sorted runs is row (start of its run + k - rows before its run)
        order = np.repeat(starts[run_order] - (np.cumsum(lengths) - lengths), lengths)
        order += np.arange(n)
    codes = np.repeat(run_codes, lengths)
    item_starts = (np.cumsum(lengths) - lengths)[_run_starts(run_codes)]
    sorted_at = at[order] if moved else at
    times = sorted_at.view("int64") if at.dtype.kind == "M" else sorted_at.astype("int64")
    in_order = times[1:] >= times[:-1]
    in_order[item_starts[1:] - 1] = True  # (an item's first row follows another item's)
    if not in_order.all():
        times = at.view("int64") if at.dtype.kind == "M" else at.astype("int64")
        order = np.lexsort((np.arange(n), times, np.repeat(file_codes, file_lengths)))
        sorted_at = at[order]
    return order, codes, sorted_at, item_starts


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Positions where a run of equal consecutive values starts."""
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def _codes(values: pd.Series, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize`` of a Series (``text.factorizable``), the distinct values as an object array."""
    codes, uniques = pd.factorize(factorizable(values), sort=sort)
    return codes, np.asarray(uniques, dtype=object)


def sorted_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values, sort=True)``: codes, and the sorted distinct values (a ``str``
    array for Arrow-backed text, else an object array).

    Quicker when equal values come in runs (item ids in a history): only the first value of
    each run is sorted (``_sorted_runs``); anything else goes through ``pandas.factorize``.
    """
    runs = _sorted_runs(values)
    if runs is not None:
        starts, run_codes, uniques = runs
        return np.repeat(run_codes, np.diff(np.r_[starts, len(values)])), uniques
    if arrow_text(values) is not None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes, pd.array(uniques, dtype="str")
    return pd.factorize(np.asarray(values, dtype=object), sort=True)


def _sorted_runs(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``sorted_codes`` per run of equal consecutive values: where each run starts, its code,
    and the sorted distinct values; None when ``pandas.factorize`` must do it (Arrow text with
    a missing value or fewer than two values; other values that are not all text).

    Arrow-backed text is compared and sorted by Arrow (bytewise order: Python's code-point
    order), other text as numpy strings (the same order).
    """
    text = arrow_text(values)
    if text is not None:
        return _sorted_text_runs(text)
    values = np.asarray(values, dtype=object)
    try:
        starts = _run_starts(values)
        run_codes, uniques = pd.factorize(values[starts])
        if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
            raise TypeError("not only text")
        order = np.argsort(uniques.astype(np.dtypes.StringDType()), kind="stable")
    except (TypeError, ValueError, UnicodeError):  # pd.NA in a comparison, non-text, surrogates
        return None
    rank = np.empty(len(order) + 1, dtype=np.intp)  # a value's position once sorted; -1 stays -1
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return starts, rank[run_codes], uniques[order]


def _sorted_text_runs(text: pa.ChunkedArray | pa.Array
                      ) -> tuple[np.ndarray, np.ndarray, pd.api.extensions.ExtensionArray] | None:
    """``_sorted_runs`` of Arrow-backed text: the first value of each run of equal values is
    sorted by Arrow (a stable sort), and equal neighbours in that order share a code."""
    import pyarrow.compute as pc

    if len(text) < 2 or text.null_count:  # (a missing id is rare: pandas codes it -1)
        return None
    starts = np.flatnonzero(np.r_[True, np.asarray(pc.not_equal(text[1:], text[:-1]), dtype=bool)])
    heads = text.take(starts)
    order = np.asarray(pc.array_sort_indices(heads), dtype=np.intp)
    ranked = heads.take(order)
    distinct = np.r_[True, np.asarray(pc.not_equal(ranked[1:], ranked[:-1]), dtype=bool)]
    rank = np.empty(len(order), dtype=np.intp)  # each run's code: its distinct value's position once sorted
    rank[order] = np.cumsum(distinct) - 1
    return starts, rank, pd.array(ranked.take(np.flatnonzero(distinct)), dtype="str")


@dataclass(frozen=True, eq=False)
class HistoryIndex:
    """Integer codes and the time order of one transitions frame (see ``history_index``).

    Attributes
    ----------
    ids : the distinct non-missing ``item_id`` values, sorted (a ``str`` array for Arrow-backed
        text, else an object array); an item's code is its position here.
    statuses : the distinct non-missing ``from_status`` values in order of first appearance,
        then the ``to_status`` values not among them (object array of ``str``).
    from_statuses, to_statuses : positions in ``statuses`` of the distinct ``from_status`` /
        ``to_status`` values, each in its own column's order of first appearance.
    from_code, to_code : for every row (file order), the position of its ``from_status`` /
        ``to_status`` in ``statuses``; -1 when missing.
    at : every row's ``at`` as naive UTC ``datetime64[us]`` (file order; NaT kept).
    rows : positions of the rows with an item and a time, sorted by item, time, then position.
    codes, row_at, row_to : the item code, ``at`` and ``to_code`` of each of ``rows``.
    starts : positions in ``rows`` where an item's rows begin.
    """

    ids: np.ndarray | pd.api.extensions.ExtensionArray
    statuses: np.ndarray
    from_statuses: np.ndarray
    to_statuses: np.ndarray
    from_code: np.ndarray
    to_code: np.ndarray
    at: np.ndarray
    rows: np.ndarray
    codes: np.ndarray
    row_at: np.ndarray
    row_to: np.ndarray
    starts: np.ndarray


class FrameMemo:
    """Values remembered per DataFrame, by identity, for as long as the frame is alive.

    For tables derived once from a frame that is never changed in place (canonical tables,
    status segments): the entry goes when the frame is garbage-collected.
    """

    def __init__(self):
        self._entries: dict[int, tuple[weakref.ref, object]] = {}

    def get(self, frame):
        """The value remembered for this very frame, else None."""
        entry = self._entries.get(id(frame))
        return entry[1] if entry is not None and entry[0]() is frame else None

    def put(self, frame, value) -> None:
        """Remember ``value`` for ``frame`` until the frame is garbage-collected."""
        key = id(frame)
        self._entries[key] = (weakref.ref(frame, lambda _, key=key: self._entries.pop(key, None)), value)

    def clear(self) -> None:
        """Forget every frame (e.g. to time a computation from scratch)."""
        self._entries.clear()


# the mapping, segments, flow intervals and quality checks of one client all read the same
# transitions frame: it is indexed once
_INDEXED = FrameMemo()


def history_index(transitions: pd.DataFrame) -> HistoryIndex:
    """The ``HistoryIndex`` of a canonical transitions frame, computed once per frame.

    Item ids are coded in sorted order (``sorted_codes``) and statuses by first appearance,
    each column once; rows with an item and a time are ordered by ``by_item_then_time``
    (sorting the runs of equal ids, ``_by_runs``). The result is remembered while the frame is
    alive (by identity, ``FrameMemo``), so the workflow tables and quality checks of one client
    share it; a frame must not be changed in place after it is indexed.
    """
    index = _INDEXED.get(transitions)
    if index is not None:
        return index
    from_code, from_values = _codes(transitions["from_status"].astype("str"))
    to_code, to_values = _codes(transitions["to_status"].astype("str"))
    statuses = pd.unique(np.concatenate([from_values, to_values]).astype(object))
    to_statuses = pd.Index(statuses).get_indexer(to_values) if len(to_values) else np.zeros(0, np.intp)
    to_code = np.append(to_statuses, -1)[to_code] if len(to_code) else to_code
    at = to_naive_utc(transitions["at"])
    runs = _sorted_runs(transitions["item_id"])
    if runs is not None and np.all(runs[1] >= 0) and not np.isnat(at).any():
        # (as usual: every row has an item and a time) the rows are ordered by their runs
        run_starts, run_codes, ids = runs
        rows, codes, row_at, starts = _by_runs(run_starts, run_codes, at, distinct=len(ids))
    else:
        item_code, ids = sorted_codes(transitions["item_id"])
        rows = np.flatnonzero((item_code >= 0) & ~np.isnat(at))
        kept = item_code[rows]
        run_starts = _run_starts(kept)
        order, codes, row_at, starts = _by_runs(run_starts, kept[run_starts], at[rows])
        rows = rows[order]
    index = HistoryIndex(ids=ids, statuses=np.asarray(statuses, dtype=object),
                         from_statuses=np.arange(len(from_values)),
                         to_statuses=np.asarray(to_statuses, dtype=np.intp), from_code=from_code,
                         to_code=to_code, at=at, rows=rows, codes=codes, row_at=row_at,
                         row_to=to_code[rows], starts=starts)
    _INDEXED.put(transitions, index)
    return index


_ITEM_ROWS = FrameMemo()


def item_rows_of(history: HistoryIndex, items: pd.DataFrame) -> np.ndarray:
    """The row of each of ``history.ids`` in ``items`` (its first, as ``drop_duplicates``
    keeps; -1 when absent), by ``text.first_positions``.

    Remembered while ``items`` is alive, for the last history asked about (held weakly): the
    segments and flow intervals of a client look the same items up. The array is shared: do
    not change it.
    """
    memo = _ITEM_ROWS.get(items)
    if memo is not None and memo[0]() is history:
        return memo[1]
    rows = first_positions(history.ids, items["item_id"])
    _ITEM_ROWS.put(items, (weakref.ref(history), rows))
    return rows

"""Workflow: what each raw status means, and how long each item stayed in each status.

Three tables every flow metric shares (DESIGN §5), built once per client by ``load_client``:

- ``status_mapping`` — one row per raw status: phase, kind, owner, order, and where that came
  from (the name, the source's status category, the engagement config, or nothing);
- ``status_segments`` — one row per stay of an item in a status (from the transitions);
- ``flow_intervals`` — one row per work item: start, finish, cycle/lead time, age, the
  active/queue/blocked split, handoffs and bounce-backs (see ``workflow_flow``).

Name inference lives in ``workflow_rules``, the working-day calendar in ``workflow_calendar``.
Everything is vectorised, on integer codes computed once per transitions frame
(``workflow_calendar.history_index``): a million transitions take well under a second.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config
from .schema import Dataset
from .text import first_positions, take_text
from .workflow_calendar import (FrameMemo, HistoryIndex, _run_starts, calendar_days, duration_days,
                                history_index, item_rows_of, to_naive_utc, working_days_between)
from .workflow_rules import (KINDS, OWNER_RANK, OWNERS, PHASE_RANK, PHASES, inference_source,
                             infer_status, normalize_name, owner_from_name)

log = logging.getLogger(__name__)

MAPPING_COLUMNS = ["status", "phase", "kind", "owner", "order", "source", "items"]
SEGMENT_COLUMNS = ["item_id", "status", "phase", "kind", "owner", "order", "start", "end", "days",
                   "open", "initial"]
# How an unmapped status is treated (DESIGN §5: still counted, and reported as a finding).
UNMAPPED = {"phase": "committed", "kind": "active", "owner": "unknown"}
# The kind a status of each phase gets when the config moves it to that phase.
PHASE_KIND = {"backlog": "queue", "committed": "active", "done": "queue", "canceled": "queue"}
NAT = np.datetime64("NaT", "us")
# The categories of the segments' phase, kind and owner columns (categoricals), in DESIGN order.
SEGMENT_CATEGORIES = {"phase": PHASES, "kind": KINDS, "owner": OWNERS}

__all__ = ["infer_status", "status_mapping", "status_segments", "flow_intervals",
           "duration_days", "working_days_between", "owner_from_name", "PHASES", "KINDS",
           "OWNERS", "MAPPING_COLUMNS", "SEGMENT_COLUMNS"]


# --- mapping ---------------------------------------------------------------------------------

def _distinct(column: pd.Series) -> np.ndarray:
    # the distinct values of the text, not of a Python object per cell (slow on Arrow-backed text)
    return np.asarray(pd.unique(column.astype("str").dropna()), dtype=object)


def _seen_statuses(dataset: Dataset, item_statuses: np.ndarray) -> list[str]:
    history = history_index(dataset.transitions)
    # distinct values per column first (first-appearance order is kept), then across columns;
    # the items' (``item_statuses``) and the transitions' columns are already distinct
    firsts = [item_statuses, history.statuses[history.from_statuses],
              history.statuses[history.to_statuses], _distinct(dataset.status_durations["status"])]
    seen = pd.unique(np.concatenate(firsts).astype(object))
    return [s for s in seen if s == s and str(s).strip()]


def _item_statuses(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """The distinct ``status`` values of ``items`` (in order of first appearance), the number
    of items in each, and the most common ``status_category`` of the items in each (ties: the
    first by name; a status whose items have none is left out).

    From one coding of each column: no count of (status, category) pairs per row.
    """
    codes, statuses = pd.factorize(items["status"].astype("str"))
    statuses = np.asarray(statuses, dtype=object)
    counts = np.bincount(codes[codes >= 0], minlength=len(statuses))
    category_codes, categories = pd.factorize(items["status_category"].astype("str"))
    both = (codes >= 0) & (category_codes >= 0)
    if not both.any():
        return statuses, counts, {}
    categories = np.asarray(categories, dtype=object)
    by_name = np.argsort(categories, kind="stable")
    rank = np.empty(len(categories), dtype=np.intp)  # a category's place by name
    rank[by_name] = np.arange(len(categories))
    pairs = np.bincount(codes[both] * len(categories) + rank[category_codes[both]],
                        minlength=len(statuses) * len(categories)).reshape(len(statuses), len(categories))
    found = np.flatnonzero(pairs.max(axis=1))
    best = by_name[pairs[found].argmax(axis=1)]  # the first most common, by name
    return statuses, counts, dict(zip(statuses[found], categories[best]))


def first_entry_positions(transitions: pd.DataFrame) -> pd.Series:
    """Median position at which each status is first entered in an item's history.

    An item's history is its first ``from_status`` (position 0) followed by each ``to_status``
    in time order (positions 1, 2, …). For every item the position of the first entry into a
    status is taken; the result is the median over items, by status, statuses in order of
    first appearance (first ``from_status`` values, then ``to_status`` values); empty when no
    history.
    """
    history = history_index(transitions)
    codes, starts = history.codes, history.starts
    if not len(codes):
        return pd.Series(dtype="float64")
    from_first = history.from_code[history.rows[starts]]  # each item's position 0
    if (len(history.statuses) + 1) * len(history.ids) <= _DENSE_CELLS * len(codes):
        median, to_seen = _first_entry_medians_by_table(history, from_first)
    else:
        median = _first_entry_medians_by_sort(history, from_first)
        to_seen = pd.unique(history.row_to)
    seen = pd.unique(np.r_[pd.unique(from_first), to_seen])
    seen = seen[seen >= 0]  # statuses in order of first appearance
    if not len(seen):
        return pd.Series(dtype="float64")
    return pd.Series(median[seen], index=pd.Index(history.statuses[seen], name="status"))


# the table of first entries (statuses × items) is used while it has at most this many cells per
# transition (a few dozen statuses), else the entries are sorted
_DENSE_CELLS = 4


def _first_entry_medians_by_table(history: HistoryIndex, from_first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``first_entry_positions``' median per status code (NaN when never entered), and the
    codes of the entered statuses in order of first appearance in ``history.row_to``.

    From a table of each item's first row in each status (statuses × item codes): a status's
    first row overall is its row's least; an item's row ``r`` is at position ``r`` − (the row
    before its first); the table's rows sorted, the median is read at the middle of each
    row's entered cells."""
    codes, starts = history.codes, history.starts
    n_ids, n_status = len(history.ids), len(history.statuses)
    # a cell never entered holds ``never``: above every row, and above every position after
    # the subtraction below
    never = np.iinfo(np.intp).max // 2
    first = np.full((n_status + 1) * n_ids, never, dtype=np.intp)  # row 0: missing status
    cell = history.row_to + 1
    cell *= n_ids
    cell += codes
    np.minimum.at(first, cell, np.arange(len(codes)))
    del cell
    first = first.reshape(n_status + 1, n_ids)[1:]
    first_row = first.min(axis=1)
    to_seen = np.argsort(first_row, kind="stable")[:np.count_nonzero(first_row < never)]
    before_start = np.zeros(n_ids, dtype=np.intp)  # per item code: the row before its first
    before_start[codes[starts]] = starts - 1
    first -= before_start
    known = from_first >= 0
    first[from_first[known], codes[starts[known]]] = 0
    first.sort(axis=1)
    count = np.count_nonzero(first <= len(codes), axis=1)
    entered = np.flatnonzero(count)
    count = count[entered]
    median = np.full(n_status, np.nan)
    median[entered] = (first[entered, (count - 1) // 2] + first[entered, count // 2]) / 2
    return median, to_seen


def _first_entry_medians_by_sort(history: HistoryIndex, from_first: np.ndarray) -> np.ndarray:
    """``_first_entry_medians_by_table``'s medians by sorting (item, status) pairs instead: for
    many statuses, where a table would be mostly empty."""
    codes, starts = history.codes, history.starts
    # an item's positions 1, 2, … (row minus the row before its first)
    position = np.arange(len(codes)) - np.repeat(starts - 1, np.diff(np.r_[starts, len(codes)]))
    # every item's first from_status (position 0), then all to_status entries in history order;
    # statuses are coded from 1 so a missing one (0) is a pair of its own, dropped below
    n_codes = len(history.statuses) + 1
    status_codes = np.r_[from_first, history.row_to] + 1
    key = np.r_[codes[starts], codes] * n_codes + status_codes
    # the first occurrence of an (item, status) pair is its lowest position: position 0 comes
    # first, and each item's entries follow in history order, which a stable sort keeps
    order = np.argsort(key, kind="stable")
    pairs = key[order]
    entry = order[np.r_[True, pairs[1:] != pairs[:-1]]]
    status = status_codes[entry] - 1
    known = status >= 0
    entry, status = entry[known], status[known]
    median = np.full(n_codes - 1, np.nan)
    if not len(entry):
        return median
    positions = np.r_[np.zeros(len(starts), dtype=position.dtype), position][entry]
    # the median of each status's first-entry positions, read from them sorted by status, then position
    shift = int(positions.max()).bit_length()  # status and position packed in one integer, bitwise
    packed = np.sort((status << shift) | positions)
    status_of, position_of = packed >> shift, packed & ((1 << shift) - 1)
    bounds = np.flatnonzero(np.r_[True, status_of[1:] != status_of[:-1], True])
    low, count = bounds[:-1], np.diff(bounds)
    median[status_of[low]] = (position_of[low + (count - 1) // 2] + position_of[low + count // 2]) / 2
    return median


_WAITING_TO_START = re.compile(r"^(selected|ready|next|up next|sprint backlog|to |waiting for|awaiting)")


def _stage(status: str, kind: str) -> int:
    """Within one owner: waiting to start (0), working (1), then reviews and other waits (2)."""
    if _WAITING_TO_START.match(normalize_name(status)):
        return 0
    return 1 if kind == "active" else 2


def _config_overrides(statuses: list[str], workflow: config.Workflow) -> dict[str, config.StatusMapping]:
    """Config entries matched to raw statuses: exactly, else case-insensitively and trimmed."""
    by_name = {normalize_name(k): v for k, v in workflow.statuses.items()}
    out = {}
    for status in statuses:
        entry = workflow.statuses.get(status) or by_name.get(normalize_name(status))
        if entry is not None:
            out[status] = entry
    unused = set(normalize_name(k) for k in workflow.statuses) - {normalize_name(s) for s in out}
    if unused:
        log.info("workflow.statuses: %d configured status(es) not seen in the data: %s",
                 len(unused), ", ".join(sorted(unused)))
    return out


def status_mapping(dataset: Dataset, workflow: config.Workflow) -> pd.DataFrame:
    """Map every raw status seen in the data to phase, kind, owner and workflow order.

    Statuses come from ``work_items.status``, ``transitions.from_status``/``to_status`` and
    ``status_durations.status``. For each, by precedence:

    1. ``infer_status`` on the name (source ``"name"``);
    2. else the most common ``work_items.status_category`` of items in that status:
       todo → backlog, in_progress → committed/active, done → done (source ``"category"``);
    3. else committed/active with owner unknown (source ``"unmapped"``; a quality finding).

    ``workflow.statuses`` overrides win field by field (source ``"config"``); a status the
    config moves to another phase without naming a kind gets that phase's default kind
    (queue, or active for committed).

    ``order`` ranks statuses by phase (backlog < committed < done < canceled), then by the
    median position of their first entry in item histories (``first_entry_positions``), then,
    for statuses never seen in a history, by owner (product, design, engineering, qa,
    release), stage (waiting to start — "Selected …", "Ready …" — before working, before
    reviews) and name; it runs 1, 2, … A configured ``order`` sets a status's rank; statuses
    without one keep their inferred place after the configured status before them, and the
    result is renumbered 1, 2, … so no two statuses share an order.

    Returns
    -------
    DataFrame with columns ``status, phase, kind, owner, order (int), source, items`` (items
    now in the status, from ``work_items.status``), sorted by ``order``. Empty input gives an
    empty frame with these columns.
    """
    item_statuses, item_counts, categories = _item_statuses(dataset.work_items)
    statuses = _seen_statuses(dataset, item_statuses)
    rows = []
    for status in statuses:  # one loop over distinct statuses, not over rows
        category = categories.get(status)
        inferred = infer_status(status, category)
        source = inference_source(status, category)
        if inferred["phase"] is None:
            inferred = {**UNMAPPED}
        rows.append({"status": status, **inferred, "source": source})
    frame = pd.DataFrame(rows, columns=["status", "phase", "kind", "owner", "source"])
    for status, entry in _config_overrides(statuses, workflow).items():
        at = frame.index[frame["status"] == status]
        if entry.phase is not None and entry.kind is None and entry.phase != frame.loc[at, "phase"].iloc[0]:
            frame.loc[at, "kind"] = PHASE_KIND[entry.phase]
        for field in ("phase", "kind", "owner"):
            if getattr(entry, field) is not None:
                frame.loc[at, field] = getattr(entry, field)
        if any(getattr(entry, f) is not None for f in ("phase", "kind", "owner", "order")):
            frame.loc[at, "source"] = "config"
    median_position = first_entry_positions(dataset.transitions)
    frame["_phase"] = frame["phase"].map(PHASE_RANK)
    frame["_position"] = frame["status"].map(median_position).astype("float64")
    frame["_owner"] = frame["owner"].map(OWNER_RANK)
    frame["_stage"] = [_stage(s, k) for s, k in zip(frame["status"], frame["kind"])]
    frame = frame.sort_values(["_phase", "_position", "_owner", "_stage", "status"], na_position="last",
                              kind="stable", ignore_index=True)
    configured = {status: float(entry.order) for status, entry in _config_overrides(statuses, workflow).items()
                  if entry.order is not None}
    # configured statuses sit at their configured order; every other status keeps its inferred
    # place right after the configured status before it, so no two statuses share an order
    # (a shared order would turn a move between them into a bounce-back). One pass over statuses.
    keys, last, step = [], 0.0, 0
    for status in frame["status"]:
        if status in configured:
            last, step = configured[status], 0
            keys.append(last)
        else:
            step += 1
            keys.append(last + step * 1e-3)
    frame["_key"] = keys
    frame = frame.sort_values("_key", kind="stable", ignore_index=True)
    frame["order"] = np.arange(1, len(frame) + 1, dtype="int64")
    counts = pd.Series(item_counts, index=pd.Index(item_statuses, dtype=object))
    frame["items"] = frame["status"].map(counts).fillna(0).astype("int64")
    frame = frame.sort_values(["order", "_phase"], kind="stable", ignore_index=True)
    return frame[MAPPING_COLUMNS].astype({"status": "str", "phase": "str", "kind": "str",
                                          "owner": "str", "source": "str"})


# --- segments --------------------------------------------------------------------------------

def _as_of_np(as_of: pd.Timestamp) -> np.datetime64:
    ts = pd.Timestamp(as_of)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return np.datetime64(ts.tz_localize(None).as_unit("us").to_datetime64(), "us")


def _utc(values: np.ndarray) -> pd.Series:
    """Naive UTC times as a ``datetime64[us, UTC]`` column over the same memory (epoch µs)."""
    return pd.Series(np.asarray(values, dtype="datetime64[us]").view("int64"), copy=False).astype(
        "datetime64[us, UTC]")


def _attributes(statuses: np.ndarray, mapping: pd.DataFrame) -> dict[str, np.ndarray]:
    """Phase, kind, owner and order of each of the distinct ``statuses`` (one entry each);
    a status missing from ``mapping`` gets the unmapped defaults and the order after the last."""
    rows = first_positions(statuses, mapping["status"])  # each status's first mapping row; -1: none
    next_order = int(mapping["order"].max()) + 1 if len(mapping) else 1
    out = {}
    for field in ("phase", "kind", "owner"):
        values = np.append(mapping[field].to_numpy(dtype=object), None)[rows]
        out[field] = np.where(pd.isna(values), UNMAPPED[field], values)
    order = np.append(mapping["order"].to_numpy(dtype="float64"), np.nan)[rows]
    out["order"] = np.where(np.isnan(order), next_order, order).astype("int64")
    return out


@dataclass(frozen=True, eq=False)
class Stays:
    """The stays of a ``status_segments`` frame as arrays, sorted like it (item, then start).

    ``code`` is the item's position in ``history.ids``, ``status`` the status's in
    ``history.statuses``; ``attributes`` holds phase, kind, owner and order per entry of
    ``history.statuses`` (``_attributes``). ``flow_intervals`` reads these instead of the
    frame's text columns.
    """

    history: HistoryIndex
    code: np.ndarray
    status: np.ndarray
    start: np.ndarray
    end: np.ndarray
    open: np.ndarray
    initial: np.ndarray
    attributes: dict


_BUILT = FrameMemo()  # the stays behind each segments frame built here (see ``stays_of``)


def stays_of(segments: pd.DataFrame) -> Stays | None:
    """The ``Stays`` a ``status_segments`` frame was built from, while it is alive; None for a
    frame built elsewhere (or a copy). Segment frames are never changed in place."""
    return _BUILT.get(segments)


def _frame(stays: Stays) -> pd.DataFrame:
    history, attrs, status = stays.history, stays.attributes, stays.status
    columns = {"item_id": take_text(history.ids, stays.code), "status": take_text(history.statuses, status),
               "start": _utc(stays.start), "end": _utc(stays.end), "open": stays.open, "initial": stays.initial,
               **_derived(attrs, status, stays.start, stays.end)}
    # the columns share the stays' arrays; neither is ever changed in place
    frame = pd.DataFrame({name: columns[name] for name in SEGMENT_COLUMNS}, copy=False)
    _BUILT.put(frame, stays)
    return frame


def _derived(attrs: dict[str, np.ndarray], status: np.ndarray, start: np.ndarray, end: np.ndarray) -> dict:
    """The segment columns a stay's status (a position in ``attrs``' arrays) and its naive UTC
    times give: phase, kind, owner (categoricals, ``_categorical``), order and days."""
    return {**{field: _categorical(attrs[field], status, field) for field in SEGMENT_CATEGORIES},
            "order": attrs["order"][status], "days": calendar_days(start, end)}


def _categorical(values: np.ndarray, status: np.ndarray, field: str) -> pd.Categorical:
    """``values[status]`` (``values``: one per distinct status) as a categorical of
    ``SEGMENT_CATEGORIES[field]``, in that order; a value outside them (a hand-made mapping's)
    is a category after them, in order of first appearance, and a missing value stays missing.

    Built from each status's category code taken per stay: a million stays hold one byte each,
    not a string."""
    known = SEGMENT_CATEGORIES[field]
    extra = [v for v in pd.unique(values) if not pd.isna(v) and v not in known]
    dtype = pd.CategoricalDtype([*known, *extra])
    codes = pd.Categorical(values, dtype=dtype).codes  # per distinct status; -1 when missing
    return pd.Categorical.from_codes(codes[status], dtype=dtype, validate=False)


# the segment columns a status and the times determine (``with_attributes``)
_DERIVED = ("phase", "kind", "owner", "order", "days")


def without_attributes(segments: pd.DataFrame) -> pd.DataFrame | None:
    """``segments`` without the columns ``with_attributes`` gives back (phase, kind, owner,
    order, days): half the bytes of a stored client. None when a status is missing or the
    times are not the microsecond UTC ``status_segments`` gives (then they cannot be)."""
    if segments["status"].isna().any() or any(str(segments[c].dtype) != "datetime64[us, UTC]"
                                              for c in ("start", "end")):
        return None
    return segments.drop(columns=list(_DERIVED))


def with_attributes(segments: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """The ``status_segments`` frame that ``without_attributes`` gave ``segments`` for.

    Phase, kind, owner, order and days come from the status (looked up in ``mapping``, the one
    the frame was built with) and the times by ``_derived``, as ``status_segments`` builds them,
    so the frame is equal to the original, value for value.
    """
    codes, statuses = pd.factorize(segments["status"])
    start, end = (np.asarray(segments[c].array.asi8).view("datetime64[us]") for c in ("start", "end"))
    return segments.assign(**_derived(_attributes(statuses, mapping), codes, start, end))[SEGMENT_COLUMNS]


def initial_segments(transitions: pd.DataFrame, items: pd.DataFrame, mapping: pd.DataFrame,
                     as_of: pd.Timestamp) -> pd.DataFrame:
    """The stay of each item in its first ``from_status``, from ``created_at`` to the first move.

    Only for items whose first transition names a ``from_status`` and whose ``created_at`` is
    known, not later than that transition and not after ``as_of``; the stay ends at the first
    transition, or at ``as_of`` (``open``) when that comes later. ``initial`` is True. The
    first transition is the item's earliest with a ``to_status`` (ties: file order).
    """
    history = history_index(transitions)
    first = _initial_stays(history, items, _as_of_np(as_of))
    return _frame(Stays(history, **first, attributes=_attributes(history.statuses, mapping)))


def _initial_stays(history: HistoryIndex, items: pd.DataFrame, limit: np.datetime64) -> dict[str, np.ndarray]:
    """``initial_segments`` as arrays (the ``Stays`` fields) from the history index."""
    moved = history.row_to >= 0  # the first move is the first with a target
    if moved.all():  # (as usual: then it is each item's first row)
        first = history.starts
    else:
        moved = np.flatnonzero(moved)
        first = moved[_run_starts(history.codes[moved])]
    codes, first_at = history.codes[first], history.row_at[first]
    from_status = history.from_code[history.rows[first]]
    rows = item_rows_of(history, items)[codes]  # an item's first row, as drop_duplicates keeps
    start = np.append(to_naive_utc(items["created_at"]), NAT)[rows]
    keep = (from_status >= 0) & ~np.isnat(start) & (start <= first_at) & (start <= limit)
    return {"code": codes[keep], "status": from_status[keep], "start": start[keep],
            "end": np.minimum(first_at, limit)[keep], "open": first_at[keep] > limit,
            "initial": np.ones(keep.sum(), bool)}


def status_segments(transitions: pd.DataFrame, mapping: pd.DataFrame, as_of: pd.Timestamp,
                    items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per stay of an item in a status, from its transitions, as seen at ``as_of``.

    A stay starts at a transition's ``at`` into ``to_status`` and ends at the item's next
    transition, or at ``as_of`` when none follows (``open`` is True, ``end == as_of``).
    Transitions after ``as_of`` are ignored; ties keep file order. ``days`` is
    ``(end − start)`` in calendar days (``flow_intervals`` applies the engagement calendar).
    The stay before an item's first transition is included only when ``items`` is given
    (see ``initial_segments``: it starts at ``created_at``; ``initial`` is True); transitions
    alone do not say when it began. Phase, kind, owner and order come from ``mapping``; a
    status missing from it is treated as unmapped (committed/active, owner unknown, last).

    Returns
    -------
    DataFrame with ``item_id, status, phase, kind, owner, order, start, end, days, open,
    initial``, sorted by item, then start; empty (same columns) without transitions.
    ``phase``, ``kind`` and ``owner`` are categoricals of ``SEGMENT_CATEGORIES`` (in that
    order; a mapping's value outside them is an extra category after them).
    """
    limit = _as_of_np(as_of)
    history = history_index(transitions)
    attributes = _attributes(history.statuses, mapping)
    kept = (history.row_to >= 0) & (history.row_at <= limit)
    codes, at, status = history.codes, history.row_at, history.row_to
    if not kept.all():  # (else every move is a stay: the index's arrays are taken as they are)
        kept = np.flatnonzero(kept)
        codes, at, status = codes[kept], at[kept], status[kept]
    stays = {"code": codes, "status": status, "start": at}
    first = None
    if items is not None and not items.empty and not transitions.empty:
        first = _initial_stays(history, items, limit)
    if first is not None and len(first["code"]):
        # both parts are sorted by item (the same sorted-id codes) and an initial stay starts no
        # later than its item's first move, so inserting each before its item's first move gives
        # the order a sort by item, start, then position gives
        before = np.searchsorted(codes, first["code"], side="left")
        stays = _insert(stays, before, first)
    else:
        stays["initial"] = np.zeros(len(at), bool)
    # every stay ends at the next one of its item, or at as_of after its last (open). An initial
    # stay too: its item's first move is the next stay when it is not after as_of, and else
    # the item has no stay after it (its later moves are later still)
    return _frame(Stays(history, **stays, **_ends(stays["code"], stays["start"], limit), attributes=attributes))


def _ends(codes: np.ndarray, start: np.ndarray, limit: np.datetime64) -> dict[str, np.ndarray]:
    """The end and ``open`` of stays sorted by item code, then start: the next stay's start in
    the same item, else ``limit`` (then ``open`` is True)."""
    last = np.r_[codes[1:] != codes[:-1], True] if len(codes) else np.zeros(0, bool)
    end = np.empty(len(start), dtype="datetime64[us]")
    end[:-1] = start[1:]
    end[last] = limit
    return {"end": end, "open": last}


def _insert(fields: dict[str, np.ndarray], before: np.ndarray, extra: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``np.insert(fields[k], before, extra[k])`` for every field (``before`` ascending), the
    rows' places computed once for all fields, and ``initial``: True at the inserted rows."""
    total = len(before) + len(next(iter(fields.values())))
    inserted = before + np.arange(len(before))  # each extra row's place in the result
    initial = np.zeros(total, dtype=bool)
    initial[inserted] = True
    kept = ~initial
    out = {}
    for name, values in fields.items():
        out[name] = np.empty(total, dtype=values.dtype)
        out[name][inserted] = extra[name]
        out[name][kept] = values
    out["initial"] = initial
    return out


from .workflow_flow import flow_intervals  # noqa: E402  (re-exported: the public flow API)

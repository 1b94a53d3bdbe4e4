"""Per-item flow intervals: start, finish, cycle and lead time, age, time by kind, handoffs.

``flow_intervals`` (re-exported by ``opsdiag.workflow``) turns status segments into one row per
work item following DESIGN §5. Every step is a vectorised pass over the segments grouped by
item, each item's in order of start: no Python loop over items or transitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import config
from .text import first_positions, take_text
from .workflow_calendar import by_item_then_time as _by_item_then_time
from .workflow_calendar import duration_days, history_index, to_naive_utc
from .workflow_rules import OWNERS, normalize_category, type_key, type_keys

PHASE_CODE = {"backlog": 0, "committed": 1, "done": 2, "canceled": 3}
KIND_CODE = {"active": 0, "queue": 1, "blocked": 2}  # an unknown kind counts as active
_CATEGORY_PHASE = {"todo": "backlog", "in_progress": "committed", "done": "done"}
NAT = np.datetime64("NaT", "us")

FLOW_COLUMNS = ["item_id", "item_type", "team", "status", "phase", "created_at", "started_at",
                "completed_at", "canceled_at", "cycle_time_days", "lead_time_days", "age_days",
                "active_days", "queue_days", "blocked_days", "flow_efficiency", "handoffs",
                "bounce_backs", "has_history", "included", "excluded_reason"]


def _codes(values: pd.Series, table: dict, default) -> np.ndarray:
    """``values`` mapped through ``table`` via their distinct values (fast on a million rows)."""
    codes, uniques = pd.factorize(values)
    return _lookup(uniques, table, default)[codes]


def _lookup(values, table: dict, default) -> np.ndarray:
    """``table[v]`` (else ``default``) for each of ``values``, plus ``default`` last (for code -1)."""
    return np.array([table.get(u, default) for u in values] + [default])


def _group_reduce(codes: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int, how: str):
    """Per-item min/max of ``values`` over rows where ``mask``; NaT/-1 for items without any.

    Rows are grouped by item (each item's rows contiguous) with ``values`` ascending within
    an item, so the min is the item's first such row and the max its last; NaT values are
    skipped (as pandas does).
    """
    is_time = np.issubdtype(values.dtype, np.datetime64)
    out = np.full(n, NAT if is_time else -1, dtype=values.dtype)
    rows = np.flatnonzero(mask)
    if is_time and np.isnat(values).any():
        rows = rows[~np.isnat(values[rows])]
    if len(rows):
        sub = codes[rows]
        change = sub[1:] != sub[:-1]
        edge = np.r_[True, change] if how == "min" else np.r_[change, True]
        out[sub[edge]] = values[rows[edge]]
    return out


def _shift_within(values: np.ndarray, first: np.ndarray, fill) -> np.ndarray:
    """The previous row's value within the same item (``fill`` on each item's first row)."""
    prev = np.empty_like(values)
    if len(values):
        prev[1:] = values[:-1]
        prev[first] = fill
    return prev


def _latest_within(flags: np.ndarray, first: np.ndarray) -> np.ndarray:
    """For each row, the position of the latest row up to it within its item where ``flags``,
    else of the item's first row (rows grouped by item, ``first`` marking each item's first)."""
    marked = np.arange(len(flags)) * (flags | first)  # a row's position where flagged or first, else 0
    return np.maximum.accumulate(marked, out=marked)


def _ffill_within(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``values`` with each NaN replaced by the item's latest earlier non-NaN value, NaN when
    none: ``groupby(item).ffill()`` for rows grouped by item."""
    return values[_latest_within(~np.isnan(values), first)]


def _included(types: pd.Series, workflow: config.Workflow) -> tuple[np.ndarray, str]:
    """Whether each item's type is included, and the reason an excluded one is left out."""
    codes, uniques = pd.factorize(types)
    keys = [type_key(t) for t in uniques]  # one per distinct type
    if workflow.include_types is not None:
        wanted = type_keys(workflow.include_types)
        allowed = [k is None or k in wanted for k in keys]
        reason = "type not in workflow.include_types"
    else:
        unwanted = type_keys(workflow.exclude_types)
        allowed = [k not in unwanted for k in keys]
        reason = "type in workflow.exclude_types"
    return np.array(allowed + [True], dtype=bool)[codes], reason


_OWNER_CODE = {o: float(i) for i, o in enumerate(OWNERS) if o != "unknown"}  # unknown owner: NaN


def _stays_from_frame(base: pd.DataFrame, segments: pd.DataFrame) -> dict[str, np.ndarray]:
    """The stays of ``segments`` whose item is in ``base``, as arrays grouped by item (each
    item's stays contiguous), each item's in order of start, then position.

    ``code`` is the item's row in ``base``, ``start``/``end`` naive UTC times. A stay's
    attributes are looked up through its ``label``: ``phase[label]``/``kind[label]`` are
    ``PHASE_CODE``/``KIND_CODE`` codes, ``owner[label]`` an ``OWNERS`` position (NaN when
    unknown), ``order[label]`` a float, ``status_names[label]``/``phase_names[label]`` text.
    Here a label is the stay's row in ``segments``.
    """
    codes = pd.Index(base["item_id"]).get_indexer(segments["item_id"])
    kept = np.flatnonzero(codes >= 0)
    codes = codes[kept]
    start = to_naive_utc(segments["start"])[kept]
    order = _by_item_then_time(codes, start)
    # positions in ``segments`` of the stays, by item then start: columns are taken as arrays
    # (only those needed), never the whole frame reordered
    take = kept[order]
    return {"code": codes[order], "start": start[order], "end": to_naive_utc(segments["end"])[take],
            "label": take, "phase": _codes(segments["phase"], PHASE_CODE, 1).astype(np.int8),
            "kind": _codes(segments["kind"], KIND_CODE, KIND_CODE["active"]).astype(np.int8),
            "owner": _codes(segments["owner"], _OWNER_CODE, np.nan),
            "order": segments["order"].to_numpy(dtype="float64"),
            "status_names": segments["status"].to_numpy(dtype=object),
            "phase_names": segments["phase"].to_numpy(dtype=object)}


def _stays_from_arrays(base: pd.DataFrame, stays, item_rows: np.ndarray | None = None
                       ) -> dict[str, np.ndarray]:
    """``_stays_from_frame`` from the ``Stays`` a segments frame was built from, without
    reading its text columns: a label is the stay's status (its position in
    ``stays.history.statuses``), so attributes are looked up once per distinct status.

    Those stays are already grouped by item and in order of start, then position, within
    each item (``status_segments``); the items' order does not matter to ``_from_history``,
    so they are not sorted again. ``item_rows`` (the row in ``base`` of each of
    ``stays.history.ids``, -1 when absent) is looked up when not given.
    """
    history, attrs = stays.history, stays.attributes
    if item_rows is None:
        item_rows = first_positions(history.ids, base["item_id"])
    codes = np.append(item_rows, -1)[stays.code]  # -1: not in base (also for an empty index)
    start, end, status = stays.start, stays.end, stays.status
    if not (codes >= 0).all():
        kept = np.flatnonzero(codes >= 0)
        codes, start, end, status = codes[kept], start[kept], end[kept], status[kept]
    return {"code": codes, "start": start, "end": end, "label": status,
            "phase": _lookup(attrs["phase"], PHASE_CODE, 1).astype(np.int8),
            "kind": _lookup(attrs["kind"], KIND_CODE, KIND_CODE["active"]).astype(np.int8),
            "owner": _lookup(attrs["owner"], _OWNER_CODE, np.nan),
            "order": attrs["order"].astype("float64"),
            "status_names": history.statuses, "phase_names": attrs["phase"]}


def _from_history(base: pd.DataFrame, stays: dict[str, np.ndarray], as_of: np.datetime64,
                  workflow: config.Workflow) -> dict[str, np.ndarray]:
    """Flow fields of every item computed from its status stays (see ``_stays_from_frame``
    and ``flow_intervals``): every pass works on runs of one item's stays in time order.

    A million stays make each full-length array several megabytes, so attributes are small
    integer codes, and values needed only on some stays (owner, order) are looked up there.
    """
    n = len(base)
    codes, start, end, label = (stays[k] for k in ("code", "start", "end", "label"))
    phase, kind = stays["phase"][label], stays["kind"][label]
    new_item = codes[1:] != codes[:-1]
    first = np.r_[True, new_item] if len(codes) else np.zeros(0, bool)
    last = np.flatnonzero(np.r_[new_item, True]) if len(codes) else np.zeros(0, np.intp)
    committed = phase == PHASE_CODE["committed"]

    out = {"status": np.full(n, None, dtype=object), "phase": np.full(n, None, dtype=object)}
    out["status"][codes[last]] = stays["status_names"][label[last]]
    out["phase"][codes[last]] = stays["phase_names"][label[last]]
    phase_now = _codes(out["phase"], PHASE_CODE, -1).astype(np.int64)

    # completion / cancellation: the entry into the final run of done (canceled) statuses
    phase_entered = first | np.r_[False, phase[1:] != phase[:-1]]  # the stay before is of another phase
    for name, code in (("completed_at", 2), ("canceled_at", 3)):
        at = _group_reduce(codes, start, phase_entered & (phase == code), n, "max")
        out[name] = np.where(phase_now == code, at, NAT)

    # start: first committed entry (else first done entry), after the last move back to backlog
    # when backward_moves is "restart"
    eligible = True
    if workflow.backward_moves == "restart":
        committed_or_done = committed | (phase == PHASE_CODE["done"])
        seen = committed_or_done[_latest_within(committed_or_done, first)]  # either, so far
        moved_back = (phase == PHASE_CODE["backlog"]) & _shift_within(seen, first, False)
        rows = np.arange(len(codes))
        eligible = rows > _group_reduce(codes, rows, moved_back, n, "max")[codes]
    started = _group_reduce(codes, start, eligible & committed, n, "min")
    first_done = _group_reduce(codes, start, eligible & (phase == PHASE_CODE["done"]), n, "min")
    out["started_at"] = np.where(np.isnat(started), first_done, started)

    span_end = np.where(phase_now == 2, out["completed_at"],
                        np.where(phase_now == 3, out["canceled_at"], as_of))
    span_start = out["started_at"]
    item_start, item_end = span_start[codes], span_end[codes]
    days = _days_in_span(start, end, item_start, item_end, workflow)
    # one pass: the sum of each item's days by kind (each sum adds the same days in the same
    # order); time in a backlog, done or canceled status inside the span is queue
    key = codes * len(KIND_CODE)
    key += np.where(committed, kind, KIND_CODE["queue"])
    totals = np.bincount(key, weights=days, minlength=n * len(KIND_CODE)).reshape(n, len(KIND_CODE))
    del key, days
    started_any = ~np.isnat(span_start)
    for name, code in KIND_CODE.items():
        out[f"{name}_days"] = np.where(started_any, totals[:, code], np.nan)

    # handoffs: consecutive committed stays within the span whose known owners differ
    before_end = start <= item_end
    handing = np.flatnonzero((start >= item_start) & before_end & committed)  # NaT compares False
    sub_codes = codes[handing]
    sub_first = np.r_[True, sub_codes[1:] != sub_codes[:-1]] if len(sub_codes) else np.zeros(0, bool)
    carried = _ffill_within(stays["owner"][label[handing]], sub_first)
    previous = _shift_within(carried, sub_first, np.nan)
    change = ~np.isnan(carried) & ~np.isnan(previous) & (carried != previous)
    out["handoffs"] = np.bincount(sub_codes[change], minlength=n).astype("int64")

    # bounce-backs: a move into a committed status of lower order than the last non-blocked
    # stay before it (an order of NaN counts as no order, like a blocked stay)
    order = stays["order"]
    ordered = kind != KIND_CODE["blocked"]
    if np.isnan(order).any():
        ordered &= ~np.isnan(order[label])
    latest = _latest_within(ordered, first)  # the item's latest ordered stay so far
    moves = np.flatnonzero((start > item_start) & before_end & committed & ordered & ~first)
    prior = latest[moves - 1]  # the item's last ordered stay before the move, if any
    bounce = ordered[prior] & (order[label[moves]] < order[label[prior]])
    out["bounce_backs"] = np.bincount(codes[moves[bounce]], minlength=n).astype("int64")
    return out


def _days_in_span(start, end, item_start, item_end, workflow: config.Workflow) -> np.ndarray:
    """The days of each stay inside its item's span [item_start, item_end] (0 outside it or
    when the item never started), in ``workflow.calendar``."""
    lo = np.maximum(start, item_start)
    hi = np.minimum(end, item_end)
    outside = ~(hi > lo)  # also for items never started (NaT compares False)
    if workflow.calendar == "working_days":  # its day count wants no NaT or reversed interval
        lo, hi = np.where(outside, item_start, lo), np.where(outside, item_start, hi)
    days = duration_days(lo, hi, workflow.calendar, workflow.holidays)
    days[outside] = 0.0
    return days


_OWN_COLUMNS = ("status", "status_category", "started_at", "completed_at", "canceled_at")


def _from_columns(base: pd.DataFrame, mapping: pd.DataFrame, as_of: np.datetime64) -> dict[str, np.ndarray]:
    """Flow fields of items without history, from their own status and timestamp columns
    (``_OWN_COLUMNS``: only those are read)."""
    phase_of = dict(zip(mapping["status"], mapping["phase"]))
    phase = base["status"].map(phase_of)
    codes, uniques = pd.factorize(base["status_category"])  # normalise each distinct category once
    category = np.array([normalize_category(c) for c in uniques] + [None], dtype=object)[codes]
    by_category = pd.Series(category, index=base.index).map(_CATEGORY_PHASE)
    started = to_naive_utc(base["started_at"])
    completed = to_naive_utc(base["completed_at"])
    own_canceled = to_naive_utc(base["canceled_at"])
    canceled = np.where(np.isnat(own_canceled), completed, own_canceled)  # "Won't Do" resolved dates
    by_dates = np.select([~np.isnat(own_canceled), ~np.isnat(completed), ~np.isnat(started)],
                         ["canceled", "done", "committed"], "backlog")
    phase = phase.fillna(by_category).fillna(pd.Series(by_dates, index=base.index)).to_numpy(dtype=object)
    started = np.where(started <= as_of, started, NAT)
    # an item finished after as_of was not finished at as_of: back to committed, or backlog
    later = ((phase == "done") & (completed > as_of)) | ((phase == "canceled") & (canceled > as_of)) | (
        (phase == "committed") & np.isnat(started) & ~np.isnat(to_naive_utc(base["started_at"])))
    phase = np.where(later, np.where(np.isnat(started), "backlog", "committed"), phase)
    status = np.where(later, None, base["status"].to_numpy(dtype=object))
    return {"status": status, "phase": phase, "started_at": started,
            "completed_at": np.where(phase == "done", completed, NAT),
            "canceled_at": np.where(phase == "canceled", canceled, NAT)}


def flow_intervals(items: pd.DataFrame, transitions: pd.DataFrame, mapping: pd.DataFrame,
                   as_of: pd.Timestamp, workflow: config.Workflow | None = None,
                   segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per work item with its flow interval and time split, as seen at ``as_of``.

    Items are every ``work_items`` row plus ids seen only in ``transitions`` (file order, then
    id). Rules (DESIGN §5), each from ``workflow`` where switchable:

    - **With history** (the item has transitions; state from ``status_segments`` including
      the stay before the first move, which starts at ``created_at``):
      ``started_at`` = first entry into a committed status (an item that skipped every
      committed status starts at its first entry into done). ``backward_moves: restart``
      instead takes the first committed entry after the last move back to backlog
      (jira-agile-metrics); ``keep_first_start`` (default) keeps the first start.
      ``completed_at`` = the last entry into the done phase (so done → in progress → done ends
      at the second done; Resolved → Closed does not move it), only while the item is done at
      ``as_of``; ``canceled_at`` likewise for canceled. ``status``/``phase`` = the status at
      ``as_of``.
    - **Without history**: the item's own ``status`` (mapped; else its ``status_category``;
      else inferred from which dates are set) and its ``started_at``/``completed_at``/
      ``canceled_at`` columns (a canceled item without ``canceled_at`` uses ``completed_at``,
      Jira's resolved date). Dates after ``as_of`` are ignored and the phase rolled back.
      Time by kind is unknown (NaN); handoffs and bounce-backs are 0.
    - ``cycle_time_days`` = completed_at − started_at; ``lead_time_days`` = completed_at −
      created_at; ``age_days`` = as_of − started_at for items in a committed phase at
      ``as_of``. Canceled items have no cycle or lead time; a negative interval (bad source
      dates, see the quality checks) gives NaN.
    - ``active_days``/``queue_days``/``blocked_days``: each stay clipped to [started_at,
      completed_at or canceled_at or as_of], summed by the status ``kind``; time in a
      backlog, done or canceled status inside that span (moved back, reopened) is queue.
      They add up to the span (no double counting); NaN for items never started.
      ``flow_efficiency`` = active / (active + queue + blocked), NaN when the sum is 0.
    - ``handoffs`` = transitions between two committed statuses within the span whose owner
      changes (a stay with owner unknown, e.g. Blocked, carries the previous owner, so
      engineering → Blocked → engineering is not a handoff). ``bounce_backs`` = moves within
      the span into a non-blocked committed status whose ``order`` is lower than the last
      non-blocked status before it (leaving a blocked detour is not a bounce; done →
      in progress is).
    - All durations are fractional days in ``workflow.calendar``: calendar days, or
      ``working_days`` (Mon–Fri minus ``holidays``, counted on UTC days).
    - ``included`` is False for excluded types (``workflow.include_types`` if set, else not
      in ``exclude_types``: epics, sub-tasks and pull requests by default; case, spaces and
      dashes ignored, Spanish/Portuguese names of these included) and for items created after
      ``as_of``; ``excluded_reason`` says which.

    Parameters
    ----------
    items : canonical ``work_items``.
    transitions : canonical ``transitions``.
    mapping : ``status_mapping`` output.
    as_of : the instant state is taken (tz-aware; end of the as-of day).
    workflow : the engagement's workflow settings (defaults when None).
    segments : ``status_segments`` output to reuse; computed when None. Initial stays
        (before the first transition) are added when it has none.

    Returns
    -------
    DataFrame with ``FLOW_COLUMNS``; timestamps ``datetime64[us, UTC]``; empty input gives an
    empty frame with these columns.
    """
    from .workflow import _as_of_np, initial_segments, item_rows_of, status_segments, stays_of

    workflow = workflow or config.Workflow()
    limit = _as_of_np(as_of)
    index = history_index(transitions)
    base = items.drop_duplicates("item_id").reset_index(drop=True)
    # the row in base of each item with transitions (index.ids: distinct, sorted); the items
    # seen only in transitions are added after the others, in id order. Without repeated ids
    # base has the rows of items (those status_segments looked up already)
    if len(base) == len(items):
        item_rows = item_rows_of(index, items).copy()
    else:
        item_rows = first_positions(index.ids, base["item_id"])
    extra = item_rows < 0
    if extra.any():
        only_moved = pd.DataFrame({"item_id": pd.Series(index.ids[extra], dtype="str")})
        only_moved = only_moved.reindex(columns=items.columns).astype(items.dtypes.to_dict())
        item_rows[extra] = len(base) + np.arange(extra.sum())
        base = pd.concat([base, only_moved], ignore_index=True)
    n = len(base)
    if segments is None:
        segments = status_segments(transitions, mapping, as_of, items=base)
    elif "initial" not in segments or not segments["initial"].any():
        extra_segments = initial_segments(transitions, base, mapping, as_of)
        if len(extra_segments):
            segments = pd.concat([extra_segments, segments.reindex(columns=extra_segments.columns)],
                                 ignore_index=True)

    history = np.zeros(n, dtype=bool)
    history[item_rows] = True
    if base["item_id"].isna().any() and transitions["item_id"].isna().any():
        history |= base["item_id"].isna().to_numpy(dtype=bool)  # as isin: a missing id matches one
    built = stays_of(segments)
    if built is None:
        stays = _stays_from_frame(base, segments)
    else:
        stays = _stays_from_arrays(base, built, item_rows if built.history is index else None)
    hist = _from_history(base, stays, limit, workflow)
    # items without history take their own columns (each row on its own, so only those rows)
    without = np.flatnonzero(~history)
    cols = _from_columns(base[list(_OWN_COLUMNS)].iloc[without], mapping, limit)
    pick = {}
    for k in cols:
        pick[k] = hist[k].copy()
        pick[k][without] = cols[k]
    for name in ("active_days", "queue_days", "blocked_days"):
        pick[name] = np.where(history, hist[name], np.nan)
    for name in ("handoffs", "bounce_backs"):
        pick[name] = np.where(history, hist[name], 0).astype("int64")

    created = to_naive_utc(base["created_at"])
    started, completed = pick["started_at"].astype("datetime64[us]"), pick["completed_at"].astype("datetime64[us]")
    cycle = duration_days(started, completed, workflow.calendar, workflow.holidays)
    lead = duration_days(created, completed, workflow.calendar, workflow.holidays)
    age = duration_days(started, np.full(n, limit), workflow.calendar, workflow.holidays)
    in_progress = pick["phase"] == "committed"
    busy = pick["active_days"] + pick["queue_days"] + pick["blocked_days"]
    with np.errstate(invalid="ignore", divide="ignore"):
        efficiency = np.where(busy > 0, pick["active_days"] / np.where(busy > 0, busy, 1), np.nan)
    type_ok, type_reason = _included(base["item_type"], workflow)
    future = ~np.isnat(created) & (created > limit)
    included = type_ok & ~future
    reasons = np.array([None, type_reason, "created after as_of"], dtype=object)
    reason = np.where(type_ok, np.where(future, 2, 0), 1)  # a position in reasons

    out = pd.DataFrame({
        "item_id": base["item_id"].astype("str"), "item_type": base["item_type"].astype("str"),
        "team": base["team"].astype("str"), "status": pd.Series(pick["status"], dtype="str"),
        "phase": pd.Series(pick["phase"], dtype="str"), "created_at": base["created_at"],
        "started_at": _ts(started), "completed_at": _ts(completed),
        "canceled_at": _ts(pick["canceled_at"].astype("datetime64[us]")),
        "cycle_time_days": np.where(cycle >= 0, cycle, np.nan),
        "lead_time_days": np.where(lead >= 0, lead, np.nan),
        "age_days": np.where(in_progress & (age >= 0), age, np.nan),
        "active_days": pick["active_days"], "queue_days": pick["queue_days"],
        "blocked_days": pick["blocked_days"], "flow_efficiency": efficiency,
        "handoffs": pick["handoffs"], "bounce_backs": pick["bounce_backs"],
        "has_history": history, "included": included,
        "excluded_reason": pd.Series(take_text(reasons, reason)),
    })
    return out[FLOW_COLUMNS]


def _ts(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype="datetime64[us]")).dt.tz_localize("UTC")

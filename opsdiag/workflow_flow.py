"""Per-item flow intervals: start, finish, cycle and lead time, age, time by kind, handoffs.

``flow_intervals`` (re-exported by ``opsdiag.workflow``) turns status segments into one row per
work item following DESIGN §5. Every step is a vectorised pass over the segments sorted by
item and start: no Python loop over items or transitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import config
from .workflow_calendar import by_item_then_time as _by_item_then_time, duration_days, to_naive_utc
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
    mapped = np.array([table.get(u, default) for u in uniques] + [default])
    return mapped[codes]


def _group_reduce(codes: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int, how: str):
    """Per-item min/max of ``values`` over rows where ``mask``; NaT/NaN/-1 for items without any."""
    is_time = np.issubdtype(values.dtype, np.datetime64)
    out = np.full(n, NAT if is_time else -1, dtype=values.dtype)
    if mask.any():
        reduced = getattr(pd.Series(values[mask]).groupby(codes[mask]), how)()
        out[reduced.index.to_numpy()] = reduced.to_numpy()
    return out


def _shift_within(values: np.ndarray, first: np.ndarray, fill) -> np.ndarray:
    """The previous row's value within the same item (``fill`` on each item's first row)."""
    prev = np.empty_like(values)
    if len(values):
        prev[1:] = values[:-1]
        prev[first] = fill
    return prev


def _ffill_within(values: pd.Series, codes: np.ndarray) -> np.ndarray:
    return values.groupby(codes).ffill().to_numpy()


def _included(types: pd.Series, workflow: config.Workflow) -> tuple[np.ndarray, np.ndarray]:
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
    ok = np.array(allowed + [True], dtype=bool)[codes]
    return ok, np.where(ok, None, reason)


def _from_history(base: pd.DataFrame, segments: pd.DataFrame, as_of: np.datetime64,
                  workflow: config.Workflow) -> dict[str, np.ndarray]:
    """Flow fields of every item computed from its status segments (see ``flow_intervals``)."""
    n = len(base)
    codes = pd.Index(base["item_id"]).get_indexer(segments["item_id"])
    kept = np.flatnonzero(codes >= 0)
    codes = codes[kept]
    start = to_naive_utc(segments["start"])[kept]
    order = _by_item_then_time(codes, start)
    # positions in ``segments`` of the stays, by item then start: columns are taken as arrays
    # (only those needed), never the whole frame reordered
    take = kept[order]
    codes, start = codes[order], start[order]
    end = to_naive_utc(segments["end"])[take]
    phase = _codes(segments["phase"], PHASE_CODE, 1).astype(np.int64)[take]
    kind = _codes(segments["kind"], KIND_CODE, KIND_CODE["active"])[take]
    rows = np.arange(len(take))
    first = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, bool)
    last = np.r_[codes[1:] != codes[:-1], True] if len(codes) else np.zeros(0, bool)
    prev_phase = _shift_within(phase, first, -1)

    out = {"status": np.full(n, None, dtype=object), "phase": np.full(n, None, dtype=object)}
    out["status"][codes[last]] = segments["status"].to_numpy(dtype=object)[take[last]]
    out["phase"][codes[last]] = segments["phase"].to_numpy(dtype=object)[take[last]]
    phase_now = pd.Series(out["phase"]).map(PHASE_CODE).fillna(-1).to_numpy(dtype=np.int64)

    # completion / cancellation: the entry into the final run of done (canceled) statuses
    for name, code in (("completed_at", 2), ("canceled_at", 3)):
        entry = (phase == code) & (prev_phase != code)
        at = _group_reduce(codes, start, entry, n, "max")
        out[name] = np.where(phase_now == code, at, NAT)

    # start: first committed entry (else first done entry), after the last move back to backlog
    # when backward_moves is "restart"
    reset = np.full(n, -1, dtype=np.int64)
    if workflow.backward_moves == "restart":
        committed_or_done = pd.Series((phase == 1) | (phase == 2))
        seen = committed_or_done.groupby(codes).cummax().to_numpy()
        moved_back = (phase == 0) & _shift_within(seen, first, False)
        reset = _group_reduce(codes, rows, moved_back, n, "max")
    eligible = rows > reset[codes]
    started = _group_reduce(codes, start, eligible & (phase == 1), n, "min")
    first_done = _group_reduce(codes, start, eligible & (phase == 2), n, "min")
    out["started_at"] = np.where(np.isnat(started), first_done, started)

    span_end = np.where(phase_now == 2, out["completed_at"],
                        np.where(phase_now == 3, out["canceled_at"], as_of))
    span_start = out["started_at"]
    item_start, item_end = span_start[codes], span_end[codes]
    lo = np.maximum(start, item_start)
    hi = np.minimum(end, item_end)
    valid = ~np.isnat(item_start) & (hi > lo)
    lo, hi = np.where(valid, lo, item_start), np.where(valid, hi, item_start)
    days = np.where(valid, duration_days(lo, hi, workflow.calendar, workflow.holidays), 0.0)
    bucket = np.where(phase == 1, kind, KIND_CODE["queue"])
    started_any = ~np.isnat(span_start)
    for name, code in KIND_CODE.items():
        total = np.bincount(codes, weights=np.where(bucket == code, days, 0.0), minlength=n)
        out[f"{name}_days"] = np.where(started_any, total, np.nan)

    # handoffs: consecutive committed stays within the span whose known owners differ
    in_span = ~np.isnat(item_start) & (start >= item_start) & (start <= item_end)
    handing = in_span & (phase == 1)
    owner_codes = _codes(segments["owner"], {o: float(i) for i, o in enumerate(OWNERS) if o != "unknown"},
                         np.nan)[take][handing]
    sub_codes = codes[handing]
    carried = _ffill_within(pd.Series(owner_codes), sub_codes)
    sub_first = np.r_[True, sub_codes[1:] != sub_codes[:-1]] if len(sub_codes) else np.zeros(0, bool)
    previous = _shift_within(carried, sub_first, np.nan)
    change = ~np.isnan(carried) & ~np.isnan(previous) & (carried != previous)
    out["handoffs"] = np.bincount(sub_codes[change], minlength=n).astype("int64")

    # bounce-backs: a move into a committed status of lower order than the last non-blocked one
    order_value = segments["order"].to_numpy(dtype="float64")[take]
    not_blocked = pd.Series(np.where(kind == KIND_CODE["blocked"], np.nan, order_value))
    carried_order = _ffill_within(not_blocked, codes)
    prior_order = _shift_within(carried_order, first, np.nan)
    bounce = in_span & (start > item_start) & (phase == 1) & (kind != KIND_CODE["blocked"]) & (order_value < prior_order)
    out["bounce_backs"] = np.bincount(codes[bounce], minlength=n).astype("int64")
    return out


def _from_columns(base: pd.DataFrame, mapping: pd.DataFrame, as_of: np.datetime64) -> dict[str, np.ndarray]:
    """Flow fields of items without history, from their own status and timestamp columns."""
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
    from .workflow import _as_of_np, initial_segments, status_segments

    workflow = workflow or config.Workflow()
    limit = _as_of_np(as_of)
    base = items.drop_duplicates("item_id").reset_index(drop=True)
    extra = pd.Index(transitions["item_id"].dropna().unique()).difference(pd.Index(base["item_id"]))
    if len(extra):
        only_moved = pd.DataFrame({"item_id": pd.Series(extra.sort_values(), dtype="str")})
        only_moved = only_moved.reindex(columns=items.columns).astype(items.dtypes.to_dict())
        base = pd.concat([base, only_moved], ignore_index=True)
    n = len(base)
    if segments is None:
        segments = status_segments(transitions, mapping, as_of, items=base)
    elif "initial" not in segments or not segments["initial"].any():
        extra_segments = initial_segments(transitions, base, mapping, as_of)
        if len(extra_segments):
            segments = pd.concat([extra_segments, segments.reindex(columns=extra_segments.columns)],
                                 ignore_index=True)

    history = base["item_id"].isin(transitions["item_id"]).to_numpy(dtype=bool)
    hist = _from_history(base, segments, limit, workflow)
    cols = _from_columns(base, mapping, limit)
    pick = {k: np.where(history, hist[k], cols[k]) for k in cols}
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
    type_ok, reason = _included(base["item_type"], workflow)
    future = ~np.isnat(created) & (created > limit)
    included = type_ok & ~future
    reason = np.where(future & type_ok, "created after as_of", reason)

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
        "excluded_reason": pd.Series(reason, dtype="str"),
    })
    return out[FLOW_COLUMNS]


def _ts(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype="datetime64[us]")).dt.tz_localize("UTC")

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
from .workflow_calendar import DAY, duration_days, history_index, item_rows_of, to_naive_utc
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
    """``values`` mapped through ``table`` via their distinct values (fast on a million rows):
    a categorical's categories (``status_segments``' phase, kind and owner), else factorized."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    return _lookup(uniques, table, default)[codes]


def _lookup(values, table: dict, default) -> np.ndarray:
    """``table[v]`` (else ``default``) for each of ``values``, plus ``default`` last (for code -1)."""
    return np.array([table.get(u, default) for u in values] + [default])


def _changes(values: np.ndarray) -> np.ndarray:
    """True where a value differs from the one before it, and at the first."""
    changed = np.empty(len(values), dtype=bool)
    if len(values):
        changed[0] = True
        np.not_equal(values[1:], values[:-1], out=changed[1:])
    return changed


def _first_from(entries: np.ndarray, phase: np.ndarray, code: int, lower: np.ndarray,
                stop: np.ndarray) -> np.ndarray:
    """Per group, the position of its first stay in phase ``code`` at or after ``lower`` and
    before ``stop``; -1 when none. ``entries`` are the positions where a run of stays in one
    phase begins (``_changes``): the first such stay after ``lower`` begins a run, so only
    those (a few per item) are searched."""
    entries = entries[phase[entries] == code]
    after = np.append(entries, len(phase))[np.searchsorted(entries, lower, side="right")]
    inside = lower < stop
    at_lower = np.zeros(len(lower), dtype=bool)
    at_lower[inside] = phase[lower[inside]] == code
    found = np.where(at_lower, lower, after)
    return np.where(found < stop, found, -1)


def _selected_starts(mask: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Where each group's rows begin among the rows where ``mask`` (positions in
    ``values[mask]``); ``first`` holds each group's first row, ascending from 0, and a group's
    rows run to the next group's first."""
    if not len(first):
        return np.zeros(0, dtype=np.intp)
    selected = np.add.reduceat(mask, first, dtype=np.intp)  # rows where mask, per group
    return np.cumsum(selected) - selected


def _count_after_first(flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The number of True ``flags`` in each run ``starts[i]:starts[i + 1]`` (the last run to
    the end), its first row left out; ``starts`` ascending (``_selected_starts``), equal starts
    giving empty runs. ``flags`` compare each row with the one before, which a run's first row
    has not within its run: they are set False there (in place)."""
    flags[starts[starts < len(flags)]] = False
    return np.diff(np.searchsorted(np.flatnonzero(flags), np.append(starts, len(flags))))


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


_OWNER_CODE = {o: i for i, o in enumerate(OWNERS) if o != "unknown"}  # an unknown owner: -1


def _ranks(order: np.ndarray) -> np.ndarray:
    """Each of ``order``'s rank among its distinct values (ascending; -1 for NaN), as small
    integers: comparing ranks compares the orders."""
    ranks, distinct = pd.factorize(order, sort=True)
    return ranks.astype(np.int8 if len(distinct) < 128 else np.int32)


def _stays_from_frame(base: pd.DataFrame, segments: pd.DataFrame) -> dict[str, np.ndarray]:
    """The stays of ``segments`` whose item is in ``base``, as arrays grouped by item, each
    item's in order of start, then position.

    ``code`` is the stay's group, ascending (stays of one item are contiguous), ``rows[g]``
    the row in ``base`` of group ``g``'s item (-1 when absent), ``start``/``end`` naive UTC
    times. A stay's attributes are looked up through its ``label``: ``phase[label]``/
    ``kind[label]`` are ``PHASE_CODE``/``KIND_CODE`` codes (phase -1 when unknown),
    ``owner[label]`` an ``OWNERS`` position (-1 when unknown), ``rank[label]`` the rank of
    its ``order`` (-1 when it has none), ``status_names[label]``/``phase_names[label]`` text
    (a pandas array here, an object array from ``_stays_from_arrays``).
    Here a group is the item's row in ``base`` and a label the stay's row in ``segments``.
    """
    codes = pd.Index(base["item_id"]).get_indexer(segments["item_id"])
    kept = np.flatnonzero(codes >= 0)
    codes = codes[kept]
    start = to_naive_utc(segments["start"])[kept]
    order = _by_item_then_time(codes, start)
    # positions in ``segments`` of the stays, by item then start: columns are taken as arrays
    # (only those needed), never the whole frame reordered
    take = kept[order]
    return {"code": codes[order], "rows": np.arange(len(base)), "start": start[order],
            "end": to_naive_utc(segments["end"])[take], "label": take,
            "phase": _codes(segments["phase"], PHASE_CODE, -1).astype(np.int8),
            "kind": _codes(segments["kind"], KIND_CODE, KIND_CODE["active"]).astype(np.int8),
            "owner": _codes(segments["owner"], _OWNER_CODE, -1).astype(np.int8),
            "rank": _ranks(segments["order"].to_numpy(dtype="float64")),
            "status_names": segments["status"].array, "phase_names": segments["phase"].array}


def _stays_from_arrays(base: pd.DataFrame, stays, item_rows: np.ndarray | None = None
                       ) -> dict[str, np.ndarray]:
    """``_stays_from_frame`` from the ``Stays`` a segments frame was built from, without
    reading its text columns: a group is the item's position in ``stays.history.ids`` and a
    label the stay's status (its position in ``stays.history.statuses``), so attributes are
    looked up once per distinct status.

    Those stays are already grouped by item, in order of start, then position, within each
    item (``status_segments``), with codes ascending: they are taken as they are, those of
    items not in ``base`` included (``_from_history`` leaves them out). ``item_rows`` (the row
    in ``base`` of each of ``stays.history.ids``, -1 when absent) is looked up when not given.
    """
    history, attrs = stays.history, stays.attributes
    if item_rows is None:
        item_rows = first_positions(history.ids, base["item_id"])
    return {"code": stays.code, "rows": item_rows, "start": stays.start, "end": stays.end,
            "label": stays.status,
            "phase": _lookup(attrs["phase"], PHASE_CODE, -1).astype(np.int8),
            "kind": _lookup(attrs["kind"], KIND_CODE, KIND_CODE["active"]).astype(np.int8),
            "owner": _lookup(attrs["owner"], _OWNER_CODE, -1).astype(np.int8),
            "rank": _ranks(np.append(attrs["order"], np.nan)),  # a last entry as _lookup's
            "status_names": history.statuses,
            "phase_names": attrs["phase"]}


def _to_rows(values: np.ndarray, rows: np.ndarray, n: int, fill) -> np.ndarray:
    """An array of ``n`` (one per item) with ``values`` at ``rows`` (``n``: left out), else ``fill``."""
    out = np.full(n + 1, fill, dtype=values.dtype)
    out[rows] = values
    return out[:n]


def _from_history(base: pd.DataFrame, stays: dict[str, np.ndarray], as_of: np.datetime64,
                  workflow: config.Workflow) -> dict[str, np.ndarray]:
    """Flow fields of every item computed from its status stays (see ``_stays_from_frame``
    and ``flow_intervals``), each item's stays a contiguous run in time order.

    A million stays make each full-length array several megabytes, and a fresh megabyte
    costs page faults, so most steps work per item: on its first and last stay and on the
    places where the phase changes (a few per item). Only the time split, handoffs and
    bounce-backs pass over every stay, mostly on one-byte codes looked up per label.
    """
    n = len(base)
    code, start, end, label = (stays[k] for k in ("code", "start", "end", "label"))
    bounds = np.zeros(len(stays["rows"]) + 1, dtype=np.intp)  # group g: bounds[g]:bounds[g + 1]
    np.cumsum(np.bincount(code, minlength=len(stays["rows"])), out=bounds[1:])
    groups = np.flatnonzero(bounds[1:] > bounds[:-1])  # those with stays
    first, stop = bounds[groups], bounds[groups + 1]
    last = stop - 1
    rows = stays["rows"][groups]
    rows = np.where(rows >= 0, rows, n)  # row n: an item not in base, left out

    # status and phase at as_of: those of the last stay, as positions in a table of names
    names_at = label[last]
    status_names, phase_names = stays["status_names"], stays["phase_names"]
    if len(status_names) >= len(last):  # a name per stay (``_stays_from_frame``): those needed
        status_names, phase_names = (np.asarray(names[names_at], dtype=object)
                                     for names in (status_names, phase_names))
        names_at = np.arange(len(last))
    names_at = _to_rows(names_at, rows, n, -1)
    out = {"status": (status_names, names_at), "phase": (phase_names, names_at)}

    known_phase = stays["phase"]  # per label; -1 for a phase that is none of PHASE_CODE
    phase_of = np.where(known_phase >= 0, known_phase, PHASE_CODE["committed"]).astype(np.int8)
    phase = phase_of[label]
    now = known_phase[label[last]]  # the phase at as_of
    entries = np.flatnonzero(_changes(phase))  # where a run of stays in one phase begins

    # completion / cancellation: the entry into the final run of done (canceled) statuses
    final_entry = np.maximum(entries[np.searchsorted(entries, last, side="right") - 1], first)
    completed = np.where(now == PHASE_CODE["done"], start[final_entry], NAT)
    canceled = np.where(now == PHASE_CODE["canceled"], start[final_entry], NAT)

    # start: first committed entry (else first done entry), after the last move back to backlog
    # when backward_moves is "restart"; stays without a start time are skipped
    lower = first
    if np.isnat(start[first]).any():  # they sort first in their item
        unknown = np.flatnonzero(np.isnat(start))
        lower = first + np.searchsorted(unknown, stop) - np.searchsorted(unknown, first)
    if workflow.backward_moves == "restart":
        lower = np.maximum(lower, _after_last_move_back(phase, entries, first, stop))
    committed_at = _first_from(entries, phase, PHASE_CODE["committed"], lower, stop)
    done_at = _first_from(entries, phase, PHASE_CODE["done"], lower, stop)
    started = np.where(committed_at >= 0, start[committed_at],
                       np.where(done_at >= 0, start[done_at], NAT))
    out["completed_at"] = _to_rows(completed, rows, n, NAT)
    out["canceled_at"] = _to_rows(canceled, rows, n, NAT)
    out["started_at"] = _to_rows(started, rows, n, NAT)

    # each stay's item span [started_at, completed_at or canceled_at or as_of]
    span_end = np.where(now == PHASE_CODE["done"], completed,
                        np.where(now == PHASE_CODE["canceled"], canceled, as_of))
    item_start = np.full(len(bounds) - 1, NAT)
    item_end = item_start.copy()
    item_start[groups], item_end[groups] = started, span_end
    item_start, item_end = item_start[code], item_end[code]
    in_span = start >= item_start  # NaT compares False
    in_span &= start <= item_end
    moves = start > item_start  # (bounce-backs: taken before _days_in_span reuses item_start)
    moves &= in_span

    # one pass: the sum of each item's days by kind (each sum adds the same days in the same
    # order); time in a backlog, done or canceled status inside the span is queue
    committed_of = phase_of == PHASE_CODE["committed"]
    counted_kind = np.where(committed_of, stays["kind"], KIND_CODE["queue"]).astype(np.int8)
    days = _days_in_span(start, end, item_start, item_end, workflow)
    # each stay's (item, kind) key, written over item_end's memory (no longer needed)
    key = np.multiply(code, len(KIND_CODE), out=item_end.view(np.intp))
    del item_start, item_end
    key += counted_kind[label]
    totals = np.bincount(key, weights=days, minlength=len(bounds[1:]) * len(KIND_CODE))
    del key, days
    totals = totals.reshape(-1, len(KIND_CODE))[groups]
    started_any = ~np.isnat(started)
    for name, kind in KIND_CODE.items():
        out[f"{name}_days"] = _to_rows(np.where(started_any, totals[:, kind], np.nan), rows, n, np.nan)

    # handoffs: consecutive committed stays within the span whose known owners differ (a stay
    # whose owner is unknown carries the owner before it, so only those with one are compared)
    owner = stays["owner"]
    handing = (committed_of & (owner >= 0))[label]
    handing &= in_span
    owners = owner[label][handing]
    starts = _selected_starts(handing, first)
    handoffs = _count_after_first(_changes(owners), starts)
    out["handoffs"] = _to_rows(handoffs.astype("int64"), rows, n, 0)

    # bounce-backs: a move into a committed status of lower order than the last stay before it
    # with an order (a blocked stay, or one of NaN order, has none); the item's stays with an
    # order are compared with the one before
    rank = stays["rank"].copy()
    rank[stays["kind"] == KIND_CODE["blocked"]] = -1
    moves &= (committed_of & (rank >= 0))[label]
    ranks = rank[label]
    ordered = ranks >= 0
    ranks, bounce = ranks[ordered], moves[ordered]
    starts = _selected_starts(ordered, first)
    bounce[1:] &= ranks[1:] < ranks[:-1]
    bounce_backs = _count_after_first(bounce, starts)
    out["bounce_backs"] = _to_rows(bounce_backs.astype("int64"), rows, n, 0)
    return out


def _after_last_move_back(phase: np.ndarray, entries: np.ndarray, first: np.ndarray,
                          stop: np.ndarray) -> np.ndarray:
    """Per group, the position after its last move back to backlog (a backlog stay after a
    committed or done one), else its first; groups and ``entries`` as ``_first_from``."""
    backlog = np.flatnonzero(phase == PHASE_CODE["backlog"])
    last_backlog = np.append(-1, backlog)[np.searchsorted(backlog, stop)]  # before stop
    committed = _first_from(entries, phase, PHASE_CODE["committed"], first, stop)
    done = _first_from(entries, phase, PHASE_CODE["done"], first, stop)
    seen = np.where((committed >= 0) & ((done < 0) | (committed < done)), committed, done)
    return np.where((seen >= 0) & (last_backlog > seen), last_backlog + 1, first)


def _days_in_span(start, end, item_start, item_end, workflow: config.Workflow) -> np.ndarray:
    """The days of each stay inside its item's span [item_start, item_end] (0 outside it or
    when the item never started), in ``workflow.calendar``. ``item_start`` and ``item_end``
    (one per stay) are overwritten."""
    lo = np.maximum(start, item_start, out=item_start)
    hi = np.minimum(end, item_end, out=item_end)
    outside = ~(hi > lo)  # also for items never started (NaT compares False)
    if workflow.calendar == "calendar_days":  # duration_days' (hi - lo) / DAY, in their memory
        days = np.subtract(hi, lo, out=hi.view("timedelta64[us]"))
        days = np.divide(days, DAY, out=lo.view("float64"))
    else:  # no reversed interval for the working-day count (it is 0 outside anyway)
        np.copyto(hi, lo, where=outside)
        days = duration_days(lo, hi, workflow.calendar, workflow.holidays)
    days[outside] = 0.0
    return days


_OWN_COLUMNS = ("status", "status_category", "started_at", "completed_at", "canceled_at")


def _from_columns(base: pd.DataFrame, mapping: pd.DataFrame, as_of: np.datetime64) -> dict[str, np.ndarray]:
    """Flow fields of items without history, from their own status and timestamp columns
    (``_OWN_COLUMNS``: only those are read)."""
    phase_of = dict(zip(mapping["status"], mapping["phase"]))
    # each distinct status and category looked up once (the category normalised)
    phase = _codes(base["status"], phase_of, None)
    codes, categories = pd.factorize(base["status_category"])
    by_category = _lookup([normalize_category(c) for c in categories], _CATEGORY_PHASE, None)[codes]
    own_started = to_naive_utc(base["started_at"])
    completed = to_naive_utc(base["completed_at"])
    own_canceled = to_naive_utc(base["canceled_at"])
    canceled = np.where(np.isnat(own_canceled), completed, own_canceled)  # "Won't Do" resolved dates
    by_dates = np.select([~np.isnat(own_canceled), ~np.isnat(completed), ~np.isnat(own_started)],
                         ["canceled", "done", "committed"], "backlog").astype(object)
    phase = np.where(pd.isna(phase), by_category, phase)
    phase = np.where(pd.isna(phase), by_dates, phase)
    started = np.where(own_started <= as_of, own_started, NAT)
    # an item finished after as_of was not finished at as_of: back to committed, or backlog
    later = ((phase == "done") & (completed > as_of)) | ((phase == "canceled") & (canceled > as_of)) | (
        (phase == "committed") & np.isnat(started) & ~np.isnat(own_started))
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
    from .workflow import _as_of_np, initial_segments, status_segments, stays_of

    workflow = workflow or config.Workflow()
    limit = _as_of_np(as_of)
    index = history_index(transitions)
    # base: items.drop_duplicates("item_id"), and the row in base of each item with transitions
    # (index.ids: distinct, sorted; an id's first row in items is a row of base); the items
    # seen only in transitions are added after the others, in id order
    item_rows = item_rows_of(index, items)
    if items["item_id"].is_unique:  # (as usual: a quicker check than marking the repeats)
        base = items.reset_index(drop=True)
        item_rows = item_rows.copy()  # (changed below; the shared one is not)
    else:
        repeated = items["item_id"].duplicated().to_numpy(dtype=bool)
        base = items[~repeated].reset_index(drop=True)
        item_rows = np.append(np.cumsum(~repeated) - 1, -1)[item_rows]
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
    status = _text(*hist["status"], without, cols["status"])
    phase = _text(*hist["phase"], without, cols["phase"])
    pick = {}
    for k in ("started_at", "completed_at", "canceled_at"):
        pick[k] = hist[k]  # (a new array: changed in place)
        pick[k][without] = cols[k]
    for name in ("active_days", "queue_days", "blocked_days"):
        pick[name] = np.where(history, hist[name], np.nan)
    for name in ("handoffs", "bounce_backs"):
        pick[name] = np.where(history, hist[name], 0).astype("int64")

    created = to_naive_utc(base["created_at"])
    started, completed = pick["started_at"], pick["completed_at"]
    cycle = duration_days(started, completed, workflow.calendar, workflow.holidays)
    lead = duration_days(created, completed, workflow.calendar, workflow.holidays)
    age = duration_days(started, np.full(n, limit), workflow.calendar, workflow.holidays)
    in_progress = phase.eq("committed").to_numpy(dtype=bool)
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
        "team": base["team"].astype("str"), "status": status, "phase": phase,
        "created_at": base["created_at"],
        "started_at": _ts(started), "completed_at": _ts(completed),
        "canceled_at": _ts(pick["canceled_at"]),
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


def _text(names: np.ndarray, positions: np.ndarray, own_rows: np.ndarray, own: np.ndarray) -> pd.Series:
    """A ``str`` column: ``names[positions]`` (missing where -1), with ``own`` at ``own_rows``."""
    positions = positions.copy()
    positions[own_rows] = len(names) + np.arange(len(own_rows))
    return pd.Series(take_text(np.concatenate([names, own]), positions))


def _ts(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype="datetime64[us]")).dt.tz_localize("UTC")

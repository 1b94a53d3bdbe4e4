"""Handoff metrics: waits between owners, queue share, bounce-backs and blocked time.

Built on ``segments`` (one row per stay of an item in a status, with the status's phase, kind,
owner and order; open stays end at as_of) and ``flow`` (one row per item). Stays are ordered
by ``start`` within each item; consecutive stays of an item are one transition apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..text import arrow_text, isin_text, take_text
from .flow import completed, ids, included, time_dtype

WAIT_COLUMNS = ["item_id", "from_owner", "to_owner", "from_status", "to_status", "at", "received_at",
                "wait_days"]
BOUNCE_COLUMNS = ["item_id", "at", "from_status", "to_status", "from_kind", "days_in_bounced_step"]


def _ordered(segments: pd.DataFrame, item_ids=None) -> pd.DataFrame:
    positions = _ordered_positions(segments, item_ids)
    if positions is None:
        return segments.reset_index(drop=True)
    return segments.iloc[positions].reset_index(drop=True)


def _ordered_positions(segments: pd.DataFrame, item_ids=None) -> np.ndarray | None:
    """Row positions of the stays of ``item_ids`` (every item when None), by ``item_id``, then
    ``start`` (stable); None when that is every row in its own order."""
    return _item_order(segments, item_ids)[0]


def _item_order(segments: pd.DataFrame, item_ids=None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(positions, runs)``: the rows ``_ordered_positions`` gives and, when ``segments`` already
    runs by item then start, each row's run number (equal numbers = same item), else None.

    Works on runs of one item: membership is tested once per run rather than per stay, and
    ``status_segments`` output, already in this order, skips the sort (any subset of rows in
    order is in order too). A frame ``status_segments`` built (``workflow.stays_of``) is in
    that order by construction, with an item code per row as its run number: its text is
    not compared at all.
    """
    from ..workflow import stays_of  # (here: the metrics import without the workflow)

    if item_ids is None and len(segments) < 2:
        return None, np.zeros(len(segments), dtype="int64")
    if item_ids is not None and not isinstance(item_ids, (pd.Series, pd.Index, np.ndarray)):
        item_ids = list(item_ids)  # (a Series is matched as is: listing a million ids is slow)
    stays = stays_of(segments)
    if stays is not None:  # each row's item is ``stays.history.ids[stays.code]``
        if item_ids is None:
            return None, stays.code
        chosen = isin_text(pd.Series(stays.history.ids, copy=False), item_ids)  # per distinct item
        return np.flatnonzero(chosen[stays.code]), stays.code
    item = segments["item_id"]
    run_starts = _run_starts(item)
    if item_ids is None:
        positions = None
    else:
        chosen = isin_text(item.iloc[run_starts], item_ids)
        positions = np.flatnonzero(np.repeat(chosen, np.diff(np.r_[run_starts, len(item)])))
    if _runs_in_order(item, segments["start"], run_starts):
        runs = np.zeros(len(item), dtype="int64")
        runs[run_starts[1:]] = 1
        return positions, np.cumsum(runs)
    rows = np.arange(len(item)) if positions is None else positions
    keys = segments[["item_id", "start"]].iloc[rows].reset_index(drop=True)
    return rows[keys.sort_values(["item_id", "start"], kind="stable").index.to_numpy()], None


def _sorted_by_item_and_start(seg: pd.DataFrame) -> bool:
    """True when the rows already run by ``item_id``, then ``start`` (a stable sort would not move them)."""
    if len(seg) < 2:
        return True
    return _runs_in_order(seg["item_id"], seg["start"], _run_starts(seg["item_id"]))


def _run_starts(item: pd.Series) -> np.ndarray:
    """Positions where a run of equal consecutive ids starts (missing ids are runs of one)."""
    if not len(item):
        return np.zeros(0, dtype="int64")
    arrow = arrow_text(item)
    if arrow is not None:  # Arrow compares the text without a Python object per id
        import pyarrow.compute as pc

        differs = np.asarray(pc.not_equal(arrow[1:], arrow[:-1]).fill_null(True), dtype=bool)
    else:
        ids = item.to_numpy(dtype=object)
        differs = ids[1:] != ids[:-1]
    return np.flatnonzero(np.r_[True, differs])


def _runs_in_order(item: pd.Series, start: pd.Series, run_starts: np.ndarray) -> bool:
    """``_sorted_by_item_and_start`` given the positions where a new item id starts a run."""
    if len(item) < 2:
        return True
    ids = item.iloc[run_starts]  # one id per run
    # a missing id is never equal to its neighbours, so it starts a run: checking run starts is enough
    if ids.isna().any() or start.isna().any() or not isinstance(start.dtype, pd.DatetimeTZDtype):
        return False
    step = np.diff(start.array.asi8)  # instants as integers since the epoch (UTC)
    step[run_starts[1:] - 1] = 0  # a new item may start earlier than the last stay of the one before
    if (step < 0).any():
        return False
    # each run's id above the one before: every item in one run, in id order
    arrow = arrow_text(ids)
    if arrow is not None:  # Arrow compares UTF-8 bytes, which order as Python orders the text
        import pyarrow.compute as pc

        return len(arrow) < 2 or pc.all(pc.greater(arrow[1:], arrow[:-1])).as_py()
    ids = ids.to_numpy(dtype=object)
    try:
        return bool(np.all(ids[1:] > ids[:-1]))
    except TypeError:  # ids of mixed types: let the sort decide
        return False


def _empty(columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})


def _as_text(column: pd.Series) -> pd.Series:
    """A categorical column (the segments' phase, kind and owner) as ``str``, which the metrics
    return (``astype("str")``, the categories taken by Arrow); any other column as it is. Only
    the rows picked are converted."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return pd.Series(take_text(column.cat.categories.to_numpy(dtype=object), column.cat.codes.to_numpy()),
                     index=column.index, name=column.name)


def handoff_waits(segments: pd.DataFrame, *, item_ids=None) -> pd.DataFrame:
    """One row per handoff of work from one owner to another, with the wait in between.

    A handoff happens when an item's next active stay (kind ``active``, phase ``committed``)
    belongs to a different owner than its previous active stay. ``at`` = when the item left the
    last active status of the first owner; ``received_at`` = when it entered the active status
    of the next owner; wait_days = Σ ``days`` of the queue stays (kind ``queue``, phase backlog
    or committed) between the two — blocked stays in between are blocked time, not handoff wait.
    Work waiting for an owner that has not picked it up yet (no next active stay by as_of) is
    not a handoff yet; neither is the wait before the first active stay. ``unknown`` owners count
    as owners, so unmapped statuses show up in the pairs. This is stricter than the workflow's
    ``handoffs`` count (every owner change between statuses). ``item_ids`` restricts the items.
    Columns: item_id, from_owner, to_owner, from_status, to_status, at, received_at, wait_days.
    """
    dtypes = {"at": time_dtype(), "received_at": time_dtype(), "wait_days": "float64"}
    seg = _ordered(segments, item_ids)
    if seg.empty:
        return _empty(WAIT_COLUMNS, dtypes)
    queue = seg["kind"].eq("queue") & seg["phase"].isin(["backlog", "committed"])
    seg["_queued"] = seg["days"].where(queue, 0.0).fillna(0.0).groupby(seg["item_id"]).cumsum()
    active = seg[seg["kind"].eq("active") & seg["phase"].eq("committed")]
    previous = active.groupby("item_id")[["owner", "status", "end", "_queued"]].shift()
    handed = previous["owner"].notna() & previous["owner"].ne(active["owner"])
    rows, before = active[handed], previous[handed]
    out = pd.DataFrame({"item_id": rows["item_id"], "from_owner": _as_text(before["owner"]),
                        "to_owner": _as_text(rows["owner"]),
                        "from_status": before["status"], "to_status": rows["status"], "at": before["end"],
                        "received_at": rows["start"], "wait_days": rows["_queued"] - before["_queued"]})
    return out.astype(dtypes).reset_index(drop=True) if len(out) else _empty(WAIT_COLUMNS, dtypes)


def waits_by_owner_pair(waits: pd.DataFrame) -> pd.DataFrame:
    """Handoff waits summed per owner pair (e.g. engineering → qa), biggest total first.

    From :func:`handoff_waits`: handoffs = number of handoffs; total / median / p85_wait_days of
    their wait_days (p85 by linear interpolation); item_ids = the items handed over. pair is the
    label ``"<from_owner> → <to_owner>"``. Empty input gives an empty frame.
    """
    columns = ["pair", "from_owner", "to_owner", "handoffs", "total_wait_days", "median_wait_days",
               "p85_wait_days", "item_ids"]
    if waits.empty:
        return _empty(columns, {"handoffs": "int64", "total_wait_days": "float64", "median_wait_days": "float64",
                                "p85_wait_days": "float64", "item_ids": "object"})
    grouped = waits.groupby(["from_owner", "to_owner"])
    out = grouped["wait_days"].agg(handoffs="size", total_wait_days="sum", median_wait_days="median")
    out["p85_wait_days"] = grouped["wait_days"].quantile(0.85)
    out["item_ids"] = grouped["item_id"].agg(ids)
    out = out.reset_index()
    out["pair"] = out["from_owner"] + " → " + out["to_owner"]
    out["handoffs"] = out["handoffs"].astype("int64")
    out = out.sort_values(["total_wait_days", "pair"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


@dataclass(frozen=True)
class QueueShare:
    """Share of finished items' cycle time spent waiting in queues.

    share = queue_days / cycle_time_days (both summed over ``items`` completed items).
    """

    share: float
    queue_days: float
    cycle_time_days: float
    items: int
    item_ids: tuple[str, ...]


def queue_share(flow: pd.DataFrame) -> QueueShare:
    """Σ queue_days / Σ cycle_time_days over included items completed as done with a cycle time.

    Both from the workflow (its calendar); missing queue days count 0. A time-weighted share:
    long items weigh more than short ones. NaN share when nothing completed.
    """
    done = completed(flow)
    done = done[done["cycle_time_days"].notna()] if "cycle_time_days" in done.columns else done.iloc[0:0]
    queue = float(pd.to_numeric(done.get("queue_days", pd.Series(dtype="float64")), errors="coerce").fillna(0).sum())
    cycle = float(done["cycle_time_days"].sum()) if len(done) else 0.0
    return QueueShare(share=queue / cycle if cycle > 0 else float("nan"), queue_days=queue, cycle_time_days=cycle,
                      items=len(done), item_ids=ids(done["item_id"]))


def bounce_backs(segments: pd.DataFrame, *, item_ids=None) -> pd.DataFrame:
    """One row per bounce-back: a move to a committed status of lower ``order`` (DESIGN §5).

    at = start of the stay the item moved into; from_status / to_status = the statuses left and
    entered; from_kind = kind of the status left; days_in_bounced_step = the ``days`` of the stay
    the item bounced back from when that status is active (the work that failed), else 0 (a
    rejection from a queue, e.g. review). A reopen from done to a committed status counts.
    Blocked stays are skipped: leaving a block is not rework, so In QA → Blocked → In Progress
    is one bounce from In QA, and In Progress → Blocked → In Progress is none, whatever the
    blocked status's order.
    Columns: item_id, at, from_status, to_status, from_kind, days_in_bounced_step.
    """
    now, before = _bounce_positions(segments, item_ids)
    return _bounce_frame(segments, now, before)


def _bounce_positions(segments: pd.DataFrame, item_ids=None) -> tuple[np.ndarray, np.ndarray]:
    """The bounce-backs of :func:`bounce_backs` as row positions in ``segments``: (the stay moved
    into, the stay bounced back from), in the function's row order."""
    positions, runs = _item_order(segments, item_ids)
    rows = np.arange(len(segments)) if positions is None else positions
    if not len(rows):
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    # the non-blocked stays, as row numbers of ``segments`` in item-then-start order, so the stay
    # before one (within the item) is the previous row number when the item is the same
    unblocked = ~segments["kind"].eq("blocked").to_numpy(dtype=bool)
    kept = np.flatnonzero(unblocked) if positions is None else rows[unblocked[rows]]
    if runs is not None:  # rows in order: one run per item
        item_of = runs[kept]
    else:
        item_of = segments["item_id"].to_numpy(dtype=object)[kept]
    order = pd.to_numeric(segments["order"], errors="coerce").to_numpy(dtype="float64")[kept]
    # the moves down: to a lower order than the stay before, within the item
    with np.errstate(invalid="ignore"):  # (NaN orders compare False: no bounce)
        lower = np.flatnonzero((order[1:] < order[:-1]) & (item_of[1:] == item_of[:-1])) + 1
    # of the moves down, those into a committed status (compared per move, not per stay)
    bounced = lower[segments["phase"].iloc[kept[lower]].eq("committed").to_numpy(dtype=bool)]
    return kept[bounced], kept[bounced - 1]


def _bounce_frame(segments: pd.DataFrame, now: np.ndarray, before: np.ndarray) -> pd.DataFrame:
    """The rows of :func:`bounce_backs` for the bounce-backs at ``now`` / ``before`` (positions
    from ``_bounce_positions``)."""
    dtypes = {"at": time_dtype(), "days_in_bounced_step": "float64"}
    if not len(now):
        return _empty(BOUNCE_COLUMNS, dtypes)

    def pick(column: str, positions: np.ndarray) -> pd.Series:
        return _as_text(pd.Series(segments[column].array.take(positions)))

    before_kind = pick("kind", before)
    out = pd.DataFrame({"item_id": pick("item_id", now), "at": pick("start", now),
                        "from_status": pick("status", before), "to_status": pick("status", now),
                        "from_kind": before_kind,
                        "days_in_bounced_step": np.where(before_kind.eq("active").to_numpy(dtype=bool),
                                                         pd.to_numeric(pick("days", before), errors="coerce"), 0.0)})
    return out.astype(dtypes).reset_index(drop=True)


def blocked_time(flow: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Included items that spent time blocked, most blocked first.

    blocked_days = the workflow's blocked_days (between start and finish, or as_of); items with
    0 or missing are left out. From the blocked stays (kind ``blocked``) of ``segments``:
    blocked_stays = their number, blocked_statuses = the statuses (first-entered first),
    first_blocked_at = the first one's start (0 / () / NaT when the time came from elsewhere).
    Columns: item_id, item_type, team, status, blocked_days, blocked_stays, blocked_statuses,
    first_blocked_at.
    """
    columns = ["item_id", "item_type", "team", "status", "blocked_days", "blocked_stays", "blocked_statuses",
               "first_blocked_at"]
    dtypes = {"blocked_days": "float64", "blocked_stays": "int64", "blocked_statuses": "object",
              "first_blocked_at": time_dtype()}
    rows = included(flow)
    if rows.empty or "blocked_days" not in rows.columns:
        return _empty(columns, dtypes)
    rows = rows[pd.to_numeric(rows["blocked_days"], errors="coerce").fillna(0) > 0]
    out = pd.DataFrame({c: rows[c] if c in rows.columns else pd.Series(dtype="str", index=rows.index)
                        for c in columns[:5]})
    blocked = _ordered(segments, out["item_id"]) if len(segments) else segments
    blocked = blocked[blocked["kind"].eq("blocked")] if len(blocked) else blocked
    per_item = blocked.groupby("item_id").agg(blocked_stays=("status", "size"), first_blocked_at=("start", "min"),
                                              blocked_statuses=("status", ids)) if len(blocked) else None
    for column in ("blocked_stays", "first_blocked_at", "blocked_statuses"):
        mapped = out["item_id"].map(per_item[column]) if per_item is not None else pd.Series(index=out.index)
        out[column] = mapped
    out["blocked_stays"] = out["blocked_stays"].fillna(0)
    out["blocked_statuses"] = out["blocked_statuses"].map(lambda v: v if isinstance(v, tuple) else ())
    out = out.astype(dtypes)[columns]
    return out.sort_values(["blocked_days", "item_id"], ascending=[False, True], kind="stable").reset_index(drop=True)

"""Flow metrics: cycle time, throughput, WIP, cumulative flow, aging, time in status, efficiency.

Inputs are the shared tables built by ``opsdiag.workflow``: ``flow`` (one row per work item) and
``segments`` (one row per stay of an item in a status). Only ``included`` rows of ``flow`` count
(a frame without that column counts every row), so epics and sub-tasks never reach a metric.

Conventions shared by every function here:

* durations are fractional days, taken from the workflow's ``*_days`` columns (so a
  ``working_days`` calendar carries through) unless a docstring says otherwise;
* percentiles interpolate linearly between the two nearest ranks (numpy's default "linear",
  Hyndman–Fan type 7): the p85 of 1..10 days is 8.65 days;
* periods are local calendar days or Monday-started weeks in ``timezone`` (default UTC); a
  period label is the local midnight that starts it, tz-aware in ``timezone``; ``as_of`` counts as
  the end of its local day (DESIGN §5);
* empty input gives an empty frame with the documented columns and dtypes, never an error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
PHASE_ORDER = {"backlog": 0, "committed": 1, "done": 2, "canceled": 3}
DEFAULT_PERCENTILES = (50, 70, 85, 95)


# --- shared helpers (also used by handoffs.py and delivery.py) ---------------------------------

def utc(value) -> pd.Timestamp | None:
    """``value`` (Timestamp, date or ISO text) as a UTC Timestamp; naive values are read as UTC."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0–100) of the non-missing ``values``, linear interpolation; NaN if none."""
    array = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").dropna().to_numpy()
    return float(np.percentile(array, q)) if array.size else float("nan")


def ids(values) -> tuple[str, ...]:
    """Item ids as a tuple of strings, first occurrence order, duplicates dropped."""
    if isinstance(values, (pd.Series, pd.Index)) and len(values) > 32:
        values = values.to_numpy(dtype=object).tolist()  # iterating a pandas string array is slow
    return tuple(map(str, dict.fromkeys(values)))


def exploded(cells: pd.Series, dropna: bool = False
             ) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray | np.ndarray]:
    """``cells.explode()`` (``.dropna()`` after it with ``dropna``) as (position of each
    element's cell, the elements), with the dtype ``explode`` infers (``str`` for text).

    Tuples of a hundred thousand ids are chained in one pass; anything but tuples or lists
    (which ``explode`` treats specially), or an empty one when missing elements are kept
    (``explode`` gives it one), goes through ``explode``.
    """
    values = cells.to_numpy(dtype=object)
    if set(map(type, values)) <= {tuple, list}:
        lengths = np.fromiter(map(len, values), dtype="int64", count=len(values))
        if dropna or lengths.all():
            elements = np.fromiter(itertools.chain.from_iterable(values), dtype=object, count=int(lengths.sum()))
            rows = np.repeat(np.arange(len(values)), lengths)
            if dropna:
                kept = ~pd.isna(elements)
                rows, elements = rows[kept], elements[kept]
            if pd.api.types.infer_dtype(elements, skipna=True) == "string":  # text: Arrow converts it quickest
                import pyarrow as pa

                return rows, pd.array(pa.array(elements, type=pa.large_string(), from_pandas=True), dtype="str")
            return rows, elements
    out = cells.reset_index(drop=True).explode()
    if dropna:
        out = out.dropna()
    return out.index.to_numpy(), out.array


def included(flow: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``flow`` that metrics count (``included`` is True; every row without the column)."""
    if "included" not in flow.columns:
        return flow
    return flow[flow["included"].fillna(False).astype(bool)]


def completed(flow: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Included items finished as done: ``completed_at`` set (by ``as_of``) and phase ``done``."""
    rows = included(flow)
    mask = rows["completed_at"].notna() if "completed_at" in rows.columns else pd.Series(False, index=rows.index)
    if "phase" in rows.columns:
        mask &= rows["phase"].eq("done")
    if as_of is not None:
        mask &= rows["completed_at"] <= utc(as_of)
    return rows[mask]


def time_dtype(timezone: str = "UTC") -> pd.DatetimeTZDtype:
    return pd.DatetimeTZDtype("us", timezone)


def local_floor(times: pd.Series, timezone: str, freq: str = "D") -> pd.Series:
    """Naive local midnight starting the day (``"D"``) or Monday-started week (``"W"``) of each instant."""
    local = pd.to_datetime(times, utc=True).dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("D")
    if freq == "W":
        local = local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    return local.astype("datetime64[us]")


def localize(naive, timezone: str) -> pd.DatetimeIndex:
    """Naive local midnights as tz-aware ``datetime64[us, timezone]`` (DST gaps shift forward)."""
    index = pd.DatetimeIndex(naive).as_unit("us")
    return index.tz_localize(timezone, ambiguous=np.zeros(len(index), dtype=bool), nonexistent="shift_forward")


def period_grid(first, as_of, timezone: str, freq: str) -> pd.DatetimeIndex:
    """Naive local period starts from the period holding ``first`` to the one holding ``as_of``."""
    bounds = local_floor(pd.Series([utc(first), utc(as_of)]), timezone, freq)
    step = "7D" if freq == "W" else "D"
    return pd.date_range(bounds.iloc[0], bounds.iloc[1], freq=step).as_unit("us")


def micros(times) -> np.ndarray:
    """Instants as int64 microseconds since the epoch (UTC), for searchsorted."""
    return pd.DatetimeIndex(times).tz_convert("UTC").as_unit("us").asi8


def _fill_ids(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v if isinstance(v, tuple) else ())


def _days(delta: pd.Series) -> pd.Series:
    return (delta / DAY).astype("float64")


# --- cycle time --------------------------------------------------------------------------------

CYCLE_COLUMNS = ["item_id", "item_type", "team", "started_at", "completed_at", "cycle_time_days",
                 "lead_time_days"]


def cycle_times(flow: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Cycle time of each item completed in a window, one row per item, oldest completion first.

    Cycle time = ``completed_at − started_at`` in fractional days (the workflow's
    ``cycle_time_days``, so a working-day calendar carries through). Counts included items whose
    phase is done and ``start <= completed_at <= end`` (either bound optional; pass ``as_of``, an
    end-of-day instant, as ``end``); items completed without ever starting have no cycle time and
    are left out; canceled items never appear. Columns: item_id, item_type, team, started_at,
    completed_at, cycle_time_days, lead_time_days. Empty input gives an empty frame.
    """
    done = completed(flow, end)
    if start is not None:
        done = done[done["completed_at"] >= utc(start)]
    done = done[done["cycle_time_days"].notna()] if "cycle_time_days" in done.columns else done.iloc[0:0]
    out = pd.DataFrame({c: done[c] if c in done.columns else pd.Series(dtype="str", index=done.index)
                        for c in CYCLE_COLUMNS})
    for column in ("started_at", "completed_at"):
        out[column] = out[column].astype(time_dtype())
    for column in ("cycle_time_days", "lead_time_days"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out.sort_values(["completed_at", "item_id"], kind="stable").reset_index(drop=True)


def cycle_time_percentiles(flow: pd.DataFrame, percentiles=DEFAULT_PERCENTILES) -> dict[int, float]:
    """Cycle-time percentiles in days over the completed items of ``flow`` (or a ``cycle_times`` result).

    ``{50: p50, 70: p70, …}``: the p-th percentile of ``cycle_time_days`` with linear
    interpolation between the nearest ranks (numpy "linear"): for cycle times 1, 2, 3, 4 days the
    p50 is 2.5 and the p85 is 3.55. Every value is NaN when no item completed.
    """
    values = cycle_times(flow)["cycle_time_days"]
    return {int(p): percentile(values, p) for p in percentiles}


# --- throughput, WIP, net flow -----------------------------------------------------------------

def _partial(weeks: pd.Series, as_of, start, timezone: str) -> pd.Series:
    """True where a naive local week is cut by ``as_of`` (before its Sunday) or starts before ``start``."""
    as_of_day = local_floor(pd.Series([utc(as_of)]), timezone).iloc[0]
    partial = (weeks + pd.Timedelta(days=6)) > as_of_day
    if start is not None:
        partial |= weeks < local_floor(pd.Series([utc(start)]), timezone).iloc[0]
    return partial


def weekly_throughput(flow: pd.DataFrame, as_of, by: str | None = None, *, start=None,
                      timezone: str = "UTC") -> pd.DataFrame:
    """Items completed per week, one row per week (per ``by`` group), zero weeks included.

    Throughput = count of included items whose phase is done with ``completed_at`` in the
    Monday-started local week (``completed_at <= as_of``; ``>= start`` when given). Weeks run from
    the week of ``start`` (else of the first completion) to the week of ``as_of``. ``partial`` is
    True for the week ``as_of`` cuts short (as_of before its Sunday) and for a first week that
    begins before ``start``: exclude those rows before averaging or drawing limits. ``by`` names a
    column of ``flow`` (e.g. ``"team"``); every group gets every week. Columns: [by], week_start
    (local midnight, tz-aware in ``timezone``), throughput (int), partial (bool), item_ids (tuple).
    No completions and no ``start`` gives an empty frame.
    """
    done = completed(flow, as_of)
    if start is not None:
        done = done[done["completed_at"] >= utc(start)]
    keys = [by] if by else []
    columns = keys + ["week_start", "throughput", "partial", "item_ids"]
    if as_of is None or (done.empty and (start is None or by)):
        return _empty_weeks(columns, timezone, {"throughput": "int64", "partial": "bool", "item_ids": "object"})
    first = utc(start) if start is not None else done["completed_at"].min()
    weeks = period_grid(first, as_of, timezone, "W")
    counted = done.assign(week_start=local_floor(done["completed_at"], timezone, "W"))
    grouped = counted.groupby(keys + ["week_start"])["item_id"].agg(ids).rename("item_ids")
    groups = sorted(done[by].dropna().unique()) if by else [None]
    grid = (pd.MultiIndex.from_product([groups, weeks], names=[by, "week_start"]) if by
            else pd.Index(weeks, name="week_start"))
    out = grouped.reindex(grid).reset_index()
    out["item_ids"] = _fill_ids(out["item_ids"])
    out["throughput"] = out["item_ids"].map(len).astype("int64")
    out["partial"] = _partial(out["week_start"], as_of, start, timezone)
    out["week_start"] = localize(out["week_start"], timezone)
    return out[columns]


def _empty_weeks(columns, timezone, dtypes) -> pd.DataFrame:
    frame = {c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns}
    frame["week_start"] = pd.Series(dtype=time_dtype(timezone))
    return pd.DataFrame(frame)[columns]


def net_flow(flow: pd.DataFrame, as_of, *, start=None, timezone: str = "UTC") -> pd.DataFrame:
    """Weekly arrivals minus departures: is work in progress growing?

    arrivals = included items whose ``started_at`` falls in the Monday-started local week;
    departures = included items completed as done in that week; net_flow = arrivals −
    departures (positive: WIP grew). Started-then-canceled items are not departures, so the
    running sum of net_flow exceeds today's WIP by them. Times after ``as_of`` (and before
    ``start`` when given) are ignored; weeks run from the first arrival or departure (or
    ``start``) to the week of ``as_of``; ``partial`` as in :func:`weekly_throughput`. Columns:
    week_start, arrivals, departures, net_flow (ints), partial. Empty when nothing happened.
    """
    columns = ["week_start", "arrivals", "departures", "net_flow", "partial"]
    rows = included(flow)
    as_of_ts = utc(as_of)
    start_ts = utc(start)
    events = {"arrivals": rows["started_at"] if "started_at" in rows.columns else pd.Series(dtype=time_dtype()),
              "departures": completed(flow, as_of)["completed_at"]}
    for name, times in events.items():
        times = times.dropna()
        times = times[times <= as_of_ts] if as_of_ts is not None else times.iloc[0:0]
        events[name] = times[times >= start_ts] if start_ts is not None else times
    every = pd.concat(list(events.values()))
    if as_of_ts is None or (every.empty and start_ts is None):
        return _empty_weeks(columns, timezone, {c: "int64" for c in columns[1:4]} | {"partial": "bool"})
    weeks = period_grid(start_ts if start_ts is not None else every.min(), as_of_ts, timezone, "W")
    out = pd.DataFrame({"week_start": weeks})
    for name, times in events.items():
        counts = local_floor(times, timezone, "W").value_counts()
        out[name] = out["week_start"].map(counts).fillna(0).astype("int64")
    out["net_flow"] = out["arrivals"] - out["departures"]
    out["partial"] = _partial(out["week_start"], as_of_ts, start_ts, timezone)
    out["week_start"] = localize(out["week_start"], timezone)
    return out[columns]


def daily_wip(flow: pd.DataFrame, as_of, *, start=None, timezone: str = "UTC") -> pd.DataFrame:
    """Work in progress at the end of each local day.

    WIP(day) = included items with ``started_at`` before the next local midnight and not yet
    completed or canceled then (an item finishing exactly at midnight is WIP on the day before).
    Completion/cancel times after ``as_of`` are treated as not happened; items starting after
    ``as_of`` are ignored. Days run from ``start`` (else the first start) to the day of ``as_of``.
    Columns: day (local midnight, tz-aware in ``timezone``), wip (int). Empty when nothing started.
    """
    rows = included(flow)
    as_of_ts = utc(as_of)
    if "started_at" not in rows.columns or as_of_ts is None:
        rows = rows.iloc[0:0]
    rows = rows[rows["started_at"].notna() & (rows["started_at"] <= as_of_ts)] if len(rows) else rows
    if rows.empty and start is None:
        return pd.DataFrame({"day": pd.Series(dtype=time_dtype(timezone)), "wip": pd.Series(dtype="int64")})
    started = rows["started_at"]
    ends = pd.concat([rows.get("completed_at", pd.Series(pd.NaT, index=rows.index)),
                      rows.get("canceled_at", pd.Series(pd.NaT, index=rows.index))], axis=1).min(axis=1)
    ends = ends.where(ends <= as_of_ts).where(lambda e: e.isna() | (e >= started), started)
    days = period_grid(utc(start) if start is not None else started.min(), as_of_ts, timezone, "D")
    day_ends = micros(localize(days + pd.Timedelta(days=1), timezone))
    start_values, end_values = np.sort(micros(started)), np.sort(micros(ends.dropna()))
    wip = np.searchsorted(start_values, day_ends, "left") - np.searchsorted(end_values, day_ends, "left")
    return pd.DataFrame({"day": localize(days, timezone), "wip": wip.astype("int64")})


# --- state over time ----------------------------------------------------------------------------

def status_order(segments: pd.DataFrame) -> list[str]:
    """Statuses in workflow order: by phase (backlog, committed, done, canceled), then ``order``, then name."""
    if segments.empty:
        return []
    table = segments.drop_duplicates("status")[["status", "phase", "order"]]
    table = table.assign(_phase=table["phase"].map(PHASE_ORDER).fillna(len(PHASE_ORDER)),
                         _order=pd.to_numeric(table["order"], errors="coerce").fillna(0))
    return table.sort_values(["_phase", "_order", "status"])["status"].tolist()


def _select(segments: pd.DataFrame, item_ids) -> pd.DataFrame:
    if item_ids is None:
        return segments
    if not isinstance(item_ids, (pd.Series, pd.Index, np.ndarray)):
        item_ids = list(item_ids)  # (a Series is matched as is: listing a million ids is slow)
    return segments[segments["item_id"].isin(item_ids)]


def cumulative_flow(segments: pd.DataFrame, as_of, freq: str = "D", *, by: str = "status",
                    item_ids=None, timezone: str = "UTC") -> pd.DataFrame:
    """Items in each status (or phase) at the end of each day or week: the cumulative flow diagram.

    count(period, status) = stays with ``start`` before the period's end (next local midnight,
    or next Monday for ``freq="W"``) and ``end`` at or after it (open stays never end). Stays
    starting after ``as_of`` are ignored; the last period is cut at ``as_of``. Rows run from
    the period of the first stay to the period of ``as_of``; the index (``day`` or ``week_start``)
    is the local midnight starting the period, tz-aware in ``timezone``. Columns are statuses in
    workflow order (backlog … committed by ``order`` … done, canceled) or, with ``by="phase"``,
    the four phases; values are ints. ``item_ids`` restricts to those items (e.g. the included
    ones). Empty segments give an empty frame.
    """
    index_name = "week_start" if freq == "W" else "day"
    seg = _select(segments, item_ids)
    as_of_ts = utc(as_of)
    if as_of_ts is not None and len(seg):
        seg = seg[seg["start"] <= as_of_ts]
    if seg.empty or as_of_ts is None:
        return pd.DataFrame(index=pd.DatetimeIndex([], dtype=time_dtype(timezone), name=index_name),
                            dtype="int64")
    columns = list(PHASE_ORDER) if by == "phase" else status_order(seg)
    still_open = seg["open"].fillna(False).astype(bool) if "open" in seg.columns else seg["end"].isna()
    ended = seg[~still_open & seg["end"].notna() & (seg["end"] <= as_of_ts)]
    moves = pd.concat([
        pd.DataFrame({"key": seg[by].to_numpy(), "period": local_floor(seg["start"], timezone, freq).to_numpy(),
                      "delta": 1}),
        pd.DataFrame({"key": ended[by].to_numpy(), "period": local_floor(ended["end"], timezone, freq).to_numpy(),
                      "delta": -1}),
    ])
    periods = period_grid(seg["start"].min(), as_of_ts, timezone, freq)
    table = moves.pivot_table(index="period", columns="key", values="delta", aggfunc="sum", fill_value=0)
    table = table.reindex(index=periods, columns=columns, fill_value=0).cumsum().astype("int64")
    table.index = localize(table.index, timezone).rename(index_name)
    table.columns.name = by
    return table


def aging_wip(flow: pd.DataFrame, as_of, percentiles: dict[int, float] | None = None) -> pd.DataFrame:
    """Unfinished started items with their age and the cycle-time percentile they have passed.

    Counts included items in a committed phase with ``started_at <= as_of`` and no completion or
    cancel by ``as_of``. age_days = the workflow's ``age_days`` (its calendar) when present, else
    ``as_of − started_at`` in calendar days. ``exceeds_percentile`` = the highest p whose
    cycle-time percentile the age is strictly above (e.g. 85 means older than p85 but not p95);
    missing when younger than every percentile. ``percentiles`` defaults to
    :func:`cycle_time_percentiles` of the same flow. Columns: item_id, item_type, team, status,
    started_at, age_days, exceeds_percentile (Int64); oldest first. Empty when nothing is in progress.
    """
    as_of_ts = utc(as_of)
    if percentiles is None:
        percentiles = cycle_time_percentiles(flow)
    rows = included(flow)
    columns = ["item_id", "item_type", "team", "status", "started_at", "age_days", "exceeds_percentile"]
    if rows.empty or as_of_ts is None or "started_at" not in rows.columns:
        rows = rows.iloc[0:0]
    else:
        mask = rows["started_at"].notna() & (rows["started_at"] <= as_of_ts)
        for column in ("completed_at", "canceled_at"):
            if column in rows.columns:
                mask &= rows[column].isna() | (rows[column] > as_of_ts)
        if "phase" in rows.columns:
            mask &= rows["phase"].eq("committed")
        rows = rows[mask]
    out = pd.DataFrame({c: rows[c] if c in rows.columns else pd.Series(dtype="str", index=rows.index)
                        for c in columns[:5]})
    out["started_at"] = out["started_at"].astype(time_dtype())
    computed = _days(as_of_ts - out["started_at"]) if as_of_ts is not None else pd.Series(dtype="float64")
    given = pd.to_numeric(rows["age_days"], errors="coerce") if "age_days" in rows.columns else computed
    out["age_days"] = given.fillna(computed).astype("float64")
    exceeds = pd.Series(pd.NA, index=out.index, dtype="Int64")
    for p, value in sorted(percentiles.items()):
        if not pd.isna(value):
            exceeds = exceeds.mask(out["age_days"] > value, int(p))
    out["exceeds_percentile"] = exceeds
    return out.sort_values(["age_days", "item_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --- where the time goes -----------------------------------------------------------------------

def time_in_status(segments: pd.DataFrame, *, phases=("committed",), item_ids=None) -> pd.DataFrame:
    """Days spent in each status: where work waits.

    Per status (stays in ``phases``; ``None`` = every phase; done/canceled stays only measure the
    time since finishing, so they are left out by default): items = distinct items with a stay;
    stays = number of stays; total_days = Σ stay ``days`` (open stays count up to as_of);
    median_days / mean_days = median / mean over items of each item's total days there; share =
    total_days / Σ total_days of the returned statuses. Also the status's phase, kind, owner and
    order, and its item_ids. Rows in workflow order. Empty input gives an empty frame.
    """
    seg = _select(segments, item_ids)
    if phases is not None and len(seg):
        seg = seg[seg["phase"].isin(list(phases))]
    columns = ["status", "phase", "kind", "owner", "order", "items", "stays", "total_days", "median_days",
               "mean_days", "share", "item_ids"]
    if seg.empty:
        dtypes = {"order": "int64", "items": "int64", "stays": "int64", "item_ids": "object"}
        return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64" if "days" in c or c == "share"
                                                           else "str")) for c in columns})
    per_item = seg.groupby(["status", "item_id"], sort=False)["days"].sum().reset_index()
    stats = per_item.groupby("status")["days"].agg(items="size", total_days="sum", median_days="median",
                                                    mean_days="mean")
    stats["stays"] = seg.groupby("status").size()
    stats["item_ids"] = per_item.groupby("status")["item_id"].agg(ids)
    labels = seg.drop_duplicates("status").set_index("status")[["phase", "kind", "owner", "order"]]
    # (``status_segments``' categoricals as the text this table shows)
    labels = labels.astype({c: "str" for c in ("phase", "kind", "owner")
                            if isinstance(labels[c].dtype, pd.CategoricalDtype)})
    out = stats.join(labels).reindex(status_order(seg)).rename_axis("status").reset_index()
    total = out["total_days"].sum()
    out["share"] = out["total_days"] / total if total > 0 else np.nan
    out[["items", "stays"]] = out[["items", "stays"]].astype("int64")
    return out[columns]


@dataclass(frozen=True)
class FlowEfficiency:
    """Share of finished items' elapsed time that was active work.

    ``efficiency`` = Σ active_days / Σ (active + queue + blocked days) over ``items`` completed
    items; ``per_item`` has item_id, active_days, queue_days, blocked_days, efficiency.
    """

    efficiency: float
    active_days: float
    waiting_days: float
    items: int
    item_ids: tuple[str, ...]
    per_item: pd.DataFrame


def flow_efficiency(flow: pd.DataFrame) -> FlowEfficiency:
    """Flow efficiency of completed items: active time / (active + queue + blocked time).

    Uses the workflow's active_days, queue_days and blocked_days (between start and finish;
    segments are disjoint, so blocked time inside a queue is never counted twice; missing
    values count 0). Overall = Σ active / Σ (active + queue + blocked) over included items
    completed as done with a cycle time (items never started have no flow time) — a time-weighted ratio, not a mean of per-item ratios. Per item the same
    ratio (NaN for an item with no time). NaN overall and an empty per_item when nothing completed.
    """
    done = completed(flow)
    done = done[done["cycle_time_days"].notna()] if "cycle_time_days" in done.columns else done
    parts = {c: pd.to_numeric(done[c], errors="coerce").fillna(0.0).astype("float64")
             if c in done.columns else pd.Series(0.0, index=done.index)
             for c in ("active_days", "queue_days", "blocked_days")}
    per_item = pd.DataFrame({"item_id": done["item_id"].astype("str"), **parts})
    elapsed = per_item["active_days"] + per_item["queue_days"] + per_item["blocked_days"]
    per_item["efficiency"] = (per_item["active_days"] / elapsed.where(elapsed > 0)).astype("float64")
    active, total = float(per_item["active_days"].sum()), float(elapsed.sum())
    return FlowEfficiency(efficiency=active / total if total > 0 else float("nan"), active_days=active,
                          waiting_days=total - active, items=len(per_item), item_ids=ids(per_item["item_id"]),
                          per_item=per_item.reset_index(drop=True))

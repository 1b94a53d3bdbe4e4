"""Delivery metrics: release slippage and cadence, sprint say/do, carry-over and scope added.

Inputs are canonical tables (``releases``, ``sprints``, ``work_items`` with their ``sprints``
and ``releases`` tuples, ``field_changes``). Sprint membership over time comes from
``field_changes`` rows whose field is ``sprint`` (case-insensitive): from_value / to_value hold
the item's whole sprint list before and after, as Jira writes it ("Sprint 1, Sprint 2") or as a
JSON array. Sprint names are matched exactly to ``sprints.sprint``; a name containing a comma
cannot be told apart from two names (Jira's own changelog has the same ambiguity).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..text import arrow_text
from .flow import DAY, ids, percentile, time_dtype, utc


def _fill_tuples(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v if isinstance(v, tuple) else ())


def _empty(columns: list[str], dtypes: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})


# --- releases ------------------------------------------------------------------------------------

def release_items(items: pd.DataFrame | None) -> pd.DataFrame:
    """Items per release from ``work_items.releases`` (fix versions): release, items, item_ids."""
    if items is None or items.empty or "releases" not in items.columns:
        return _empty(["release", "items", "item_ids"], {"items": "int64", "item_ids": "object"})
    pairs = _tuple_pairs(items["releases"])
    if pairs is None or not len(pairs[1]):  # not all tuples, or no release at all: let pandas explode
        pairs = items[["item_id", "releases"]].explode("releases").dropna(subset=["releases"])
        grouped = pairs.groupby("releases")["item_id"].agg(ids)
        out = pd.DataFrame({"release": grouped.index.astype("str"), "item_ids": grouped.to_numpy()})
    else:
        rows, codes, releases = pairs
        # each release's items in item order (stable; numpy sorts 16-bit codes by radix, ~10× quicker)
        order = np.argsort(codes.astype(np.int16) if len(releases) <= np.iinfo(np.int16).max else codes,
                           kind="stable")
        rows = rows[order]
        bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(releases)))].tolist()
        text = arrow_text(items["item_id"])
        if text is not None and not text.null_count:  # Arrow makes the Python strings quickest
            members = text.take(rows).to_pylist()
            # (``ids`` of strings: the first of each, without converting them again)
            per_release = [tuple(dict.fromkeys(members[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]
        else:
            members = items["item_id"].to_numpy(dtype=object)[rows].tolist()
            per_release = [ids(members[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        item_ids = np.empty(len(releases), dtype=object)
        item_ids[:] = per_release
        out = pd.DataFrame({"release": pd.Index(releases).astype("str"), "item_ids": item_ids})
    out["items"] = out["item_ids"].map(len).astype("int64")
    return out[["release", "items", "item_ids"]]


def _tuple_pairs(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(row, element)`` pairs of a column of tuples, as ``explode`` and ``dropna`` give them:
    rows by position, missing elements left out, each element as its code in the sorted
    distinct elements (``pandas.factorize(..., sort=True)``): ``(rows, codes, distinct)``.
    None when some cell is not a tuple (``explode`` keeps such a cell whole; a list, which it
    explodes, is left to it too).

    A column repeats a few distinct tuples (an item's fix versions), so each distinct cell is
    read once and its pairs are repeated for every row holding it.
    """
    cells = values.to_numpy(dtype=object)
    try:
        cell_codes, distinct = pd.factorize(cells)  # (hashes each tuple; a missing cell is -1)
    except TypeError:  # an unhashable cell (a list, or a tuple holding one)
        return None
    if (cell_codes < 0).any() or not set(map(type, distinct)) <= {tuple}:
        return None
    sizes = np.fromiter(map(len, distinct), dtype=np.intp, count=len(distinct))
    elements = np.fromiter(itertools.chain.from_iterable(distinct), dtype=object, count=int(sizes.sum()))
    element_codes, names = pd.factorize(elements, sort=True)  # a missing element is -1
    lengths = sizes[cell_codes]
    rows = np.repeat(np.arange(len(cells)), lengths)
    # pair k of a row is element (first of its cell + k - pairs before its row) of ``elements``
    first = np.cumsum(sizes) - sizes
    taken = np.repeat(first[cell_codes] - (np.cumsum(lengths) - lengths), lengths) + np.arange(len(rows))
    codes = element_codes[taken]
    present = codes >= 0
    return rows[present], codes[present], np.asarray(names, dtype=object)


def release_slippage(releases: pd.DataFrame, as_of, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """How late each release shipped (or is), with the items riding on it.

    A release counts as released when ``released_date <= as_of``. slip_days = released_date −
    planned_date for released ones (negative = early), as_of − planned_date for unreleased ones
    past their planned date (``overdue``); NaN for unreleased ones not yet due or without a
    planned date. late = slip_days > 0. items / item_ids = work items listing the release among
    their ``releases`` (fix versions) in ``items`` (0 / () without). Columns: release, team,
    status, planned_date, released_date, released, overdue, late, slip_days, items, item_ids;
    ordered by planned date. Empty input gives an empty frame.
    """
    columns = ["release", "team", "status", "planned_date", "released_date", "released", "overdue", "late",
               "slip_days", "items", "item_ids"]
    dtypes = {"planned_date": time_dtype(), "released_date": time_dtype(), "released": "bool", "overdue": "bool",
              "late": "bool", "slip_days": "float64", "items": "int64", "item_ids": "object"}
    as_of_ts = utc(as_of)
    if releases.empty or as_of_ts is None:
        return _empty(columns, dtypes)
    out = releases[[c for c in columns[:5] if c in releases.columns]].copy()
    released = out["released_date"].notna() & (out["released_date"] <= as_of_ts)
    overdue = ~released & out["planned_date"].notna() & (out["planned_date"] < as_of_ts)
    end = out["released_date"].where(released, pd.Series(as_of_ts, index=out.index).where(overdue))
    out["released"], out["overdue"] = released, overdue
    out["slip_days"] = ((end - out["planned_date"]) / DAY).astype("float64")
    out["late"] = out["slip_days"] > 0
    members = release_items(items)
    # each release's tuple (``()`` for a release no item lists), looked up by name; one row per release
    found = pd.Index(members["release"]).get_indexer(out["release"])
    listed = np.empty(len(members) + 1, dtype=object)
    listed[:-1], listed[-1] = members["item_ids"].to_numpy(), ()
    out["item_ids"] = listed[found]
    out["items"] = out["item_ids"].map(len)
    out = out.astype(dtypes)[columns]
    return out.sort_values(["planned_date", "release"], kind="stable", na_position="last").reset_index(drop=True)


@dataclass(frozen=True)
class ReleaseCadence:
    """How often releases ship: gaps between consecutive releases and releases per 30 days."""

    releases: int
    median_days_between: float
    p85_days_between: float
    releases_per_30_days: float
    first_release: pd.Timestamp | None
    last_release: pd.Timestamp | None
    release_ids: tuple[str, ...]


def release_cadence(releases: pd.DataFrame, as_of, *, start=None) -> ReleaseCadence:
    """Release cadence from ``released_date`` (releases shipped by ``as_of``, from ``start`` if given).

    Gaps = days between consecutive release dates in date order (two releases on one day give a
    0-day gap); median and p85 (linear interpolation) of the gaps, NaN with fewer than two
    releases. releases_per_30_days = releases / days from ``start`` (else the first release) to
    ``as_of`` × 30, NaN when that span is 0. Empty input gives 0 releases and NaN.
    """
    as_of_ts, start_ts = utc(as_of), utc(start)
    dates = releases.loc[releases["released_date"].notna(), ["release", "released_date"]] if len(releases) \
        else pd.DataFrame({"release": [], "released_date": pd.Series(dtype=time_dtype())})
    if as_of_ts is not None:
        dates = dates[dates["released_date"] <= as_of_ts]
    if start_ts is not None:
        dates = dates[dates["released_date"] >= start_ts]
    dates = dates.sort_values(["released_date", "release"], kind="stable")
    if dates.empty or as_of_ts is None:
        return ReleaseCadence(0, np.nan, np.nan, np.nan, None, None, ())
    gaps = dates["released_date"].diff().iloc[1:] / DAY
    span = (as_of_ts - (start_ts if start_ts is not None else dates["released_date"].iloc[0])) / DAY
    return ReleaseCadence(
        releases=len(dates), median_days_between=percentile(gaps, 50), p85_days_between=percentile(gaps, 85),
        releases_per_30_days=len(dates) / span * 30 if span > 0 else np.nan,
        first_release=dates["released_date"].iloc[0], last_release=dates["released_date"].iloc[-1],
        release_ids=ids(dates["release"]))


# --- sprints -------------------------------------------------------------------------------------

def _sprint_names(values: pd.Series) -> pd.Series:
    """'S1, S2' or '["S1", "S2"]' cells as lists of names (vectorised string ops)."""
    return values.fillna("").astype("str").str.strip().str.strip("[]").str.split(",")


def sprint_events(field_changes: pd.DataFrame) -> pd.DataFrame:
    """Sprint additions and removals: item_id, sprint, at, action (+1 added, −1 removed).

    From ``field_changes`` rows with field ``sprint``: a name in to_value but not from_value was
    added at ``at``; one in from_value but not to_value was removed.
    """
    columns = ["item_id", "sprint", "at", "action"]
    if field_changes.empty:
        return _empty(columns, {"at": time_dtype(), "action": "int64"})
    changes = field_changes[field_changes["field"].fillna("").str.strip().str.lower().eq("sprint")
                            & field_changes["at"].notna()]
    changes = changes.reset_index(drop=True).rename_axis("change").reset_index()
    sides = []
    for column in ("from_value", "to_value"):
        names = changes[["change"]].assign(sprint=_sprint_names(changes[column])).explode("sprint")
        names["sprint"] = names["sprint"].astype("str").str.strip().str.strip("\"'").str.strip()
        sides.append(names[names["sprint"].ne("") & names["sprint"].ne("nan")].drop_duplicates())
    both = sides[0].merge(sides[1], on=["change", "sprint"], how="outer", indicator=True)
    both = both[both["_merge"].ne("both")]
    both["action"] = np.where(both["_merge"].eq("right_only"), 1, -1)
    out = both.merge(changes[["change", "item_id", "at"]], on="change")
    if out.empty:
        return _empty(columns, {"at": time_dtype(), "action": "int64"})
    return out[columns].astype({"action": "int64"}).sort_values(["at", "item_id"], kind="stable").reset_index(drop=True)


def _member_at(pairs: pd.DataFrame, events: pd.DataFrame, when: str) -> pd.Series:
    """Whether each (item, sprint) pair was in the sprint at ``pairs[when]`` (same index as pairs).

    The last event at or before the time decides; before any event the state is the opposite of
    the pair's first event (``_first_action``); a pair without events is in the sprint from the
    item's creation.
    """
    known = pairs.loc[pairs[when].notna(), ["item_id", "sprint", when]].reset_index()
    last = pd.merge_asof(known.sort_values(when), events.sort_values("at")[["item_id", "sprint", "at", "action"]],
                         left_on=when, right_on="at", by=["item_id", "sprint"], direction="backward")
    last = last.set_index("index")["action"].reindex(pairs.index)
    first = pairs["_first_action"]
    from_creation = pairs["created_at"].isna() | (pairs["created_at"] <= pairs[when])
    member = last.eq(1).where(last.notna(), first.eq(-1).where(first.notna(), from_creation))
    return member.astype("bool") & pairs[when].notna()


def sprint_membership(sprints: pd.DataFrame, field_changes: pd.DataFrame, items: pd.DataFrame | None = None,
                      *, as_of=None) -> pd.DataFrame:
    """One row per (sprint, item) that was ever in the sprint, with its state at start and end.

    Pairs come from ``items.sprints`` and from sprint ``field_changes`` (:func:`sprint_events`).
    member_at_start / member_at_end: in the sprint at ``start`` / at ``end`` (cut at ``as_of``
    when given) — see :func:`_member_at` for pairs without events (in the sprint since the
    item's ``created_at``). added_at = the first addition with start < at <= end, or the item's
    created_at when a pair without events was created in that span (NaT otherwise). Sprints
    starting after ``as_of`` are left out. Columns: sprint, item_id, start, end, member_at_start,
    member_at_end, added_at, completed_at, canceled_at (the item's, NaT without ``items``).
    """
    columns = ["sprint", "item_id", "start", "end", "member_at_start", "member_at_end", "added_at",
               "completed_at", "canceled_at"]
    times = {c: time_dtype() for c in ("start", "end", "added_at", "completed_at", "canceled_at")}
    dtypes = times | {"member_at_start": "bool", "member_at_end": "bool"}
    events = sprint_events(field_changes)
    pairs = [events[["item_id", "sprint"]]]
    if items is not None and len(items) and "sprints" in items.columns:
        listed = items[["item_id", "sprints"]].explode("sprints").dropna(subset=["sprints"])
        pairs.append(listed.rename(columns={"sprints": "sprint"}))
    pairs = pd.concat(pairs, ignore_index=True).astype("str").drop_duplicates()
    table = sprints[["sprint", "start", "end"]].copy() if len(sprints) else None
    as_of_ts = utc(as_of)
    if table is None or pairs.empty:
        return _empty(columns, dtypes)
    if as_of_ts is not None:
        table = table[table["start"].isna() | (table["start"] <= as_of_ts)]
        table["end"] = table["end"].where(table["end"].isna() | (table["end"] <= as_of_ts), as_of_ts)
    pairs = pairs.merge(table, on="sprint").reset_index(drop=True)
    item_times = (items.set_index("item_id")[["created_at", "completed_at", "canceled_at"]]
                  if items is not None and len(items) else None)
    for column in ("created_at", "completed_at", "canceled_at"):
        pairs[column] = (pairs["item_id"].map(item_times[column]) if item_times is not None
                         else pd.Series(pd.NaT, index=pairs.index, dtype=time_dtype())).astype(time_dtype())
    keys = ["item_id", "sprint"]
    first = events.groupby(keys, as_index=False)["action"].first().rename(columns={"action": "_first_action"})
    pairs = pairs.merge(first, on=keys, how="left")
    pairs["member_at_start"] = _member_at(pairs, events, "start")
    pairs["member_at_end"] = _member_at(pairs, events, "end")
    adds = events[events["action"].eq(1)].merge(pairs[keys + ["start", "end"]], on=keys)
    adds = adds[(adds["at"] > adds["start"]) & (adds["end"].isna() | (adds["at"] <= adds["end"]))]
    first_add = adds.groupby(keys, as_index=False)["at"].min().rename(columns={"at": "_added"})
    added = pairs[keys].merge(first_add, on=keys, how="left")["_added"].astype(time_dtype())
    created_inside = (pairs["_first_action"].isna() & (pairs["created_at"] > pairs["start"])
                      & (pairs["end"].isna() | (pairs["created_at"] <= pairs["end"])))
    pairs["added_at"] = added.where(~created_inside, pairs["created_at"])
    return pairs.astype(dtypes)[columns].sort_values(["sprint", "item_id"], kind="stable").reset_index(drop=True)


def sprint_say_do(sprints: pd.DataFrame, items: pd.DataFrame, field_changes: pd.DataFrame, *,
                  as_of=None) -> pd.DataFrame:
    """Per sprint: items committed at its start against those of them completed by its end.

    committed = items in the sprint at ``start`` (:func:`sprint_membership`), less items already
    completed before the start; completed = committed items with ``completed_at <= end`` and no
    ``canceled_at``; say_do = completed / committed (NaN when nothing was committed).
    added_after_start / added_completed = items added after the start, and those of them done by
    the end. With ``as_of``, sprints starting later are dropped and ``end`` is cut at as_of
    (``partial`` = True: the sprint is still running); without it an open-ended sprint (no end)
    counts completions whenever they happened and is ``partial``. Columns: sprint, team, start,
    end, state, partial, committed, completed, say_do, added_after_start, added_completed,
    committed_item_ids, completed_item_ids, added_item_ids. Empty input gives an empty frame.
    """
    columns = ["sprint", "team", "start", "end", "state", "partial", "committed", "completed", "say_do",
               "added_after_start", "added_completed", "committed_item_ids", "completed_item_ids", "added_item_ids"]
    dtypes = {"start": time_dtype(), "end": time_dtype(), "partial": "bool", "say_do": "float64",
              **{c: "int64" for c in ("committed", "completed", "added_after_start", "added_completed")},
              **{c: "object" for c in columns if c.endswith("_ids")}}
    as_of_ts = utc(as_of)
    table = sprints if as_of_ts is None or sprints.empty else sprints[
        sprints["start"].isna() | (sprints["start"] <= as_of_ts)]
    if table.empty:
        return _empty(columns, dtypes)
    member = sprint_membership(table, field_changes, items, as_of=as_of_ts)
    done = member["completed_at"].notna() & member["canceled_at"].isna() & (
        member["end"].isna() | (member["completed_at"] <= member["end"]))
    committed = member["member_at_start"] & ~(member["completed_at"] < member["start"])
    added = member["added_at"].notna()
    out = table[[c for c in ("sprint", "team", "start", "end", "state") if c in table.columns]].copy()
    out["partial"] = out["end"].isna() | ((out["end"] > as_of_ts) if as_of_ts is not None else False)
    for name, mask in (("committed", committed), ("completed", committed & done), ("added", added)):
        listed = member[mask].groupby("sprint")["item_id"].agg(ids)
        out[f"{name}_item_ids"] = _fill_tuples(out["sprint"].map(listed))
    added_done = member[added & done].groupby("sprint").size()
    out["committed"] = out["committed_item_ids"].map(len)
    out["completed"] = out["completed_item_ids"].map(len)
    out["say_do"] = out["completed"] / out["committed"].where(out["committed"] > 0)
    out["added_after_start"] = out["added_item_ids"].map(len)
    out["added_completed"] = out["sprint"].map(added_done).fillna(0)
    out = out.astype(dtypes)[columns]
    return out.sort_values(["start", "sprint"], kind="stable", na_position="last").reset_index(drop=True)


@dataclass(frozen=True)
class CarryOver:
    """Items carried from sprint to sprint: share = carried_items / sprint_items."""

    carried_items: int
    sprint_items: int
    share: float
    item_ids: tuple[str, ...]


def carry_over(items: pd.DataFrame) -> CarryOver:
    """Items that sat in two or more sprints (``work_items.sprints``) — work that did not finish.

    carried_items = items whose sprints tuple has ≥ 2 sprints; sprint_items = items in ≥ 1
    sprint; share = carried / sprint_items (NaN when no item was in a sprint); item_ids = the
    carried ones. Pass only the item types that count (e.g. included ones).
    """
    if items.empty or "sprints" not in items.columns:
        return CarryOver(0, 0, float("nan"), ())
    counts = items["sprints"].map(lambda v: len(v) if isinstance(v, (tuple, list)) else 0)
    carried = items.loc[counts >= 2, "item_id"]
    in_sprints = int((counts >= 1).sum())
    return CarryOver(len(carried), in_sprints, len(carried) / in_sprints if in_sprints else float("nan"),
                     ids(carried))


def scope_added_after_start(sprints: pd.DataFrame, field_changes: pd.DataFrame, *,
                            items: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
    """Per sprint: items added after it started (unplanned scope).

    An item is added after start when a sprint ``field_changes`` row adds the sprint at
    start < at <= end; with ``items``, an item listing the sprint without any such change and
    created inside that span counts too (:func:`sprint_membership`). Columns: sprint, team,
    start, end, added (int), item_ids; every sprint appears (0 when none).
    """
    columns = ["sprint", "team", "start", "end", "added", "item_ids"]
    dtypes = {"start": time_dtype(), "end": time_dtype(), "added": "int64", "item_ids": "object"}
    if sprints.empty:
        return _empty(columns, dtypes)
    member = sprint_membership(sprints, field_changes, items, as_of=as_of)
    listed = member[member["added_at"].notna()].groupby("sprint")["item_id"].agg(ids)
    out = sprints[[c for c in ("sprint", "team", "start", "end") if c in sprints.columns]].copy()
    out["item_ids"] = _fill_tuples(out["sprint"].map(listed))
    out["added"] = out["item_ids"].map(len)
    out = out.astype(dtypes)[columns]
    return out.sort_values(["start", "sprint"], kind="stable", na_position="last").reset_index(drop=True)

"""Prioritization lever: churn in priorities, unplanned work, work thrown away, evidence behind work.

Inputs are the canonical ``work_items``, ``field_changes``, ``sprints`` and ``feedback`` tables
and the ``flow`` frame (one row per work item at as_of, with ``phase`` and ``included``).
The scoring helpers (``rice``, ``ice``, ``wsjf``, ``cd3``) are vectorised over Series (or
scalars) and ``score_backlog`` applies them to the open backlog. Durations are calendar days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..text import isin_text
from .feedback import DAY, _ids, _lower, to_utc
from .flow import exploded

log = logging.getLogger(__name__)

# RICE impact scale (3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal) by priority name.
PRIORITY_IMPACT = {
    "blocker": 3.0, "highest": 3.0, "critical": 3.0, "urgent": 3.0, "p0": 3.0,
    "high": 2.0, "major": 2.0, "p1": 2.0,
    "medium": 1.0, "normal": 1.0, "p2": 1.0,
    "low": 0.5, "minor": 0.5, "p3": 0.5,
    "lowest": 0.25, "trivial": 0.25, "p4": 0.25,
}
DEFAULT_IMPACT = 1.0  # an item without a recognised priority counts as medium
UNPLANNED = ("added_after_start", "no_sprint")


def _included(flow: pd.DataFrame) -> pd.DataFrame:
    return flow[flow["included"].fillna(False).astype(bool)] if "included" in flow.columns else flow


def _optional_time(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


# --- churn, unplanned work, canceled work, evidence ------------------------------------------

@dataclass(frozen=True)
class PriorityChurn:
    """Priority changes after work started, for items in progress during the window.

    ``per_item``: item_id, changes, first_change_at, last_change_at (items with ≥ 1 change);
    ``distribution``: changes, items (how many window items had 0, 1, 2, … changes).
    """

    per_item: pd.DataFrame
    distribution: pd.DataFrame
    items_in_window: int
    items_reprioritised: int
    items_churned: int  # re-prioritised two or more times
    changes_per_item: float
    share_churned: float
    churned_ids: tuple[str, ...]
    window_start: pd.Timestamp
    as_of: pd.Timestamp


def priority_churn(field_changes: pd.DataFrame, items: pd.DataFrame, as_of,
                   window_days: float = 180) -> PriorityChurn:
    """How often priorities change once work has started (a sign of political prioritization).

    Window = (as_of − ``window_days``, as_of]. Items in the window: ``started_at`` ≤ as_of and
    not finished (``completed_at``, else ``canceled_at``) before the window starts; ``included``
    is honoured when ``items`` is the flow frame. A change counts when ``field`` is "priority"
    (any case), ``to_value`` differs from ``from_value``, and ``at`` falls in the window after the
    item's ``started_at``. changes_per_item = changes / items in window; share_churned = items
    with ≥ 2 changes / items in window (NaN when no item is in the window).
    """
    as_of = to_utc(as_of)
    window_start = as_of - pd.Timedelta(days=window_days)
    items = _included(items)
    completed, canceled = _optional_time(items, "completed_at"), _optional_time(items, "canceled_at")
    end = pd.to_datetime(completed, utc=True).where(completed.notna(), pd.to_datetime(canceled, utc=True))
    in_window = items[items["started_at"].notna() & (items["started_at"] <= as_of)
                      & (end.isna() | (end > window_start))][["item_id", "started_at"]]

    fc = field_changes[_lower(field_changes["field"]).eq("priority")
                       & field_changes["from_value"].fillna("").ne(field_changes["to_value"].fillna(""))
                       & (field_changes["at"] > window_start) & (field_changes["at"] <= as_of)]
    fc = fc.merge(in_window, on="item_id", how="inner")
    fc = fc[fc["at"] > fc["started_at"]]
    per_item = (fc.groupby("item_id").agg(changes=("at", "size"), first_change_at=("at", "min"),
                                          last_change_at=("at", "max"))
                .reset_index().sort_values(["changes", "item_id"], ascending=[False, True], ignore_index=True))
    per_item = per_item.astype({"item_id": "str", "changes": "int64"})
    counts = in_window["item_id"].map(per_item.set_index("item_id")["changes"]).fillna(0).astype("int64")
    distribution = (counts.value_counts().rename_axis("changes").rename("items").reset_index()
                    .sort_values("changes", ignore_index=True).astype("int64"))
    churned = per_item[per_item["changes"] >= 2]
    n = len(in_window)
    return PriorityChurn(per_item=per_item, distribution=distribution, items_in_window=n,
                         items_reprioritised=len(per_item), items_churned=len(churned),
                         changes_per_item=_share(int(per_item["changes"].sum()), n),
                         share_churned=_share(len(churned), n), churned_ids=_ids(churned["item_id"]),
                         window_start=window_start, as_of=as_of)


@dataclass(frozen=True)
class UnplannedWork:
    """Completed work that was not planned into its sprint.

    ``per_item``: item_id, sprint (the last one), sprint_start, added_at (when added after the
    start, else NaT), category — one of planned, added_after_start, no_sprint, unknown (sprint
    not in the sprints table or without a start), team_without_sprints (no sprint, in a team
    that does not work in assessable sprints).
    """

    per_item: pd.DataFrame
    completed: int  # completed items that could be judged (unknown and team_without_sprints left out)
    unplanned: int
    share: float
    unplanned_ids: tuple[str, ...]
    uses_sprints: bool  # some completed item's sprint and its start are known


def unplanned_share(items: pd.DataFrame, field_changes: pd.DataFrame, sprints: pd.DataFrame) -> UnplannedWork:
    """Share of completed work that was added to its sprint after the sprint started, or had no sprint.

    Completed = ``completed_at`` set and ``canceled_at`` empty (``items`` is ``work_items``,
    which carries ``sprints``). An item's sprint is the last in its ``sprints`` (the one it
    finished in), else the last sprint a ``field_changes`` row added it to. Added after start
    follows ``delivery.sprint_membership`` (the same rule as ``scope_added_after_start``): a
    sprint field change adds it with start < at ≤ end, or, with no such change, the item was
    created inside that span. Unplanned = added after start, or no sprint at all in a team that
    works in sprints (team = ``team``, else ``project``). share = unplanned / completed, leaving
    out items whose sprint is not in ``sprints`` or has no start ("unknown") and sprint-less items
    of teams without an assessable sprint item ("team_without_sprints"). When no completed item
    has an assessable sprint, share is NaN (not assessed) and ``uses_sprints`` is False.
    """
    from .delivery import sprint_events, sprint_membership

    done = items[items["completed_at"].notna() & _optional_time(items, "canceled_at").isna()]
    listed = (done[["item_id", "sprints"]].explode("sprints").dropna(subset=["sprints"])
              .groupby("item_id")["sprints"].last())
    events = sprint_events(field_changes)
    added = events[events["action"].eq(1)].sort_values("at", kind="stable").groupby("item_id")["sprint"].last()
    last = listed.combine_first(added)
    per_item = pd.DataFrame({"item_id": done["item_id"].astype("str"),
                             "team": done["team"].fillna(done["project"]).fillna("").astype("str")})
    per_item["sprint"] = per_item["item_id"].map(last).astype("str")
    member = sprint_membership(sprints, field_changes, done)[["sprint", "item_id", "start", "added_at"]]
    per_item = per_item.merge(member.rename(columns={"start": "sprint_start"}), on=["item_id", "sprint"],
                              how="left")
    category = np.select(
        [per_item["sprint"].isna(), per_item["sprint_start"].isna(), per_item["added_at"].notna()],
        ["no_sprint", "unknown", "added_after_start"], default="planned")
    per_item["category"] = pd.Series(category, index=per_item.index, dtype="str")
    sprint_teams = per_item.loc[per_item["category"].isin(["planned", "added_after_start"]), "team"]
    per_item.loc[per_item["category"].eq("no_sprint") & ~per_item["team"].isin(sprint_teams),
                 "category"] = "team_without_sprints"
    per_item = per_item[["item_id", "sprint", "sprint_start", "added_at", "category"]].sort_values(
        "item_id", ignore_index=True)

    uses_sprints = len(sprint_teams) > 0
    assessed = per_item[~per_item["category"].isin(["unknown", "team_without_sprints"])]
    unplanned = assessed[assessed["category"].isin(UNPLANNED)]
    share = _share(len(unplanned), len(assessed)) if uses_sprints else float("nan")
    if not uses_sprints and len(per_item):
        log.debug("unplanned share not assessed: no completed item has a sprint with a known start")
    return UnplannedWork(per_item=per_item, completed=len(assessed), unplanned=len(unplanned), share=share,
                         unplanned_ids=_ids(unplanned["item_id"]), uses_sprints=uses_sprints)


@dataclass(frozen=True)
class StartedThenCanceled:
    """Items that were started and then canceled: work thrown away.

    ``per_item``: item_id, started_at, canceled_at, days_before_cancel, active_days.
    """

    per_item: pd.DataFrame
    started: int
    canceled: int
    share: float
    total_days: float
    median_days: float
    ids: tuple[str, ...]


def started_then_canceled(flow: pd.DataFrame) -> StartedThenCanceled:
    """Started work that ended canceled (phase ``canceled`` at as_of) among included items.

    started = included items with ``started_at``; share = canceled / started (NaN when none
    started); days_before_cancel = (``canceled_at`` − ``started_at``) in calendar days, NaN when
    the cancel time is unknown; total_days and median_days summarise it over the canceled items
    (0 and NaN when there are none).
    """
    flow = _included(flow)
    started = flow[flow["started_at"].notna()]
    canceled = started[started["phase"].eq("canceled")]
    days = (canceled["canceled_at"] - canceled["started_at"]) / DAY
    per_item = pd.DataFrame({"item_id": canceled["item_id"].astype("str"), "started_at": canceled["started_at"],
                             "canceled_at": canceled["canceled_at"], "days_before_cancel": days.astype("float64"),
                             "active_days": canceled["active_days"].astype("float64")})
    per_item = per_item.sort_values(["days_before_cancel", "item_id"], ascending=[False, True],
                                    na_position="last", ignore_index=True)
    return StartedThenCanceled(per_item=per_item, started=len(started), canceled=len(canceled),
                               share=_share(len(canceled), len(started)), total_days=float(days.sum()),
                               median_days=float(days.median()) if days.notna().any() else float("nan"),
                               ids=_ids(per_item["item_id"]))


@dataclass(frozen=True)
class EvidenceShare:
    """Completed work with customer evidence (linked from at least one feedback)."""

    completed: int
    with_evidence: int
    share: float
    ids_with: tuple[str, ...]
    ids_without: tuple[str, ...]


def evidence_share(flow: pd.DataFrame, feedback: pd.DataFrame) -> EvidenceShare:
    """Share of completed included items that some feedback links to (``linked_item_ids``).

    Completed = phase ``done`` at as_of. share = items linked from feedback / completed items
    (NaN when nothing was completed, or when there is no feedback at all: not assessed rather
    than 0). Every feedback counts, whenever it was received.
    """
    done, has, share = _completed_with_evidence(flow, feedback)
    return EvidenceShare(completed=len(done), with_evidence=int(has.sum()), share=share,
                         ids_with=_ids(sorted(done[has].tolist())),
                         ids_without=_ids(sorted(done[~has].tolist())))


def _completed_with_evidence(flow: pd.DataFrame, feedback: pd.DataFrame) -> tuple[pd.Series, np.ndarray, float]:
    """``evidence_share`` without its id tuples: (the completed included items' ids, which of
    them some feedback links to, the share). The ``political_prioritization`` warning sign needs
    only the share; sorting the ids into tuples was most of the time."""
    done = flow["phase"].eq("done").to_numpy(dtype=bool)  # (Arrow compares the text: no object per row)
    if "included" in flow.columns:
        done = done & flow["included"].fillna(False).astype(bool).to_numpy()
    done = flow.loc[done, "item_id"]  # (only the column needed: copying every column of the flow is slow)
    linked = pd.Series(exploded(feedback["linked_item_ids"], dropna=True)[1]).astype("str")
    has = isin_text(done.astype("str"), linked)
    share = _share(int(has.sum()), len(done)) if len(feedback) else float("nan")
    return done, has, share


# --- scoring helpers -------------------------------------------------------------------------

def _per(numerator, denominator):
    """numerator / denominator, NaN where the denominator is missing or not positive."""
    if isinstance(denominator, pd.Series):
        return numerator / denominator.where(denominator > 0)
    return numerator / denominator if denominator is not None and denominator > 0 else float("nan")


def rice(reach, impact, confidence, effort):
    """RICE score = reach × impact × confidence / effort.

    reach: people or events per period (here: feedback asking for it); impact: 3 massive, 2 high,
    1 medium, 0.5 low, 0.25 minimal; confidence: 1.0 high, 0.8 medium, 0.5 low; effort:
    person-months or any consistent size. NaN where effort is missing or ≤ 0. Reference: Sean
    McBride, "RICE: Simple prioritization for product managers", Intercom, 2016.
    """
    return _per(reach * impact * confidence, effort)


def ice(impact, confidence, ease):
    """ICE score = impact × confidence × ease, each usually on a 1–10 scale.

    Reference: Sean Ellis, GrowthHackers (the ICE scoring model, 2015).
    """
    return impact * confidence * ease


def wsjf(business_value, time_criticality, risk_reduction, job_size):
    """Weighted Shortest Job First = cost of delay / job size, with cost of delay =
    business value + time criticality + risk reduction / opportunity enablement (relative units,
    usually modified Fibonacci). NaN where job size is missing or ≤ 0.

    Reference: Scaled Agile Framework, "WSJF" (after Reinertsen, The Principles of Product
    Development Flow, 2009).
    """
    return _per(business_value + time_criticality + risk_reduction, job_size)


def cd3(cost_of_delay_per_week, duration_weeks):
    """CD3 (Cost of Delay Divided by Duration) = cost of delay per week / duration in weeks.

    Money per week per week of work: do the highest first. NaN where the duration is missing
    or ≤ 0. Reference: Joshua Arnold and Don Reinertsen, Black Swan Farming "CD3" (2010s).
    """
    return _per(cost_of_delay_per_week, duration_weeks)


def priority_impact(priority: pd.Series) -> pd.Series:
    """RICE impact from a priority name (``PRIORITY_IMPACT``; "1 - Highest" finds "highest");
    unrecognised or missing priorities count as ``DEFAULT_IMPACT``."""
    pattern = r"\b(" + "|".join(sorted(PRIORITY_IMPACT, key=len, reverse=True)) + r")\b"
    words = _lower(priority).str.extract(pattern, expand=False)
    return words.map(PRIORITY_IMPACT).fillna(DEFAULT_IMPACT).astype("float64")


def score_backlog(items: pd.DataFrame, feedback: pd.DataFrame, flow: pd.DataFrame | None = None) -> pd.DataFrame:
    """RICE and WSJF order of the open backlog next to its current order.

    Open = not done and not canceled: phase backlog/committed in ``flow`` (included items)
    when given, else ``completed_at`` and ``canceled_at`` empty and status_category not done.
    Per open item (exports carry no scores, so each input is derived and documented):

    * reach = distinct feedback whose ``linked_item_ids`` name it;
    * impact = ``priority_impact(priority)``;
    * confidence = 0.5 + 0.25 if it has an estimate + 0.25 if it has reach (0.5 / 0.75 / 1.0);
    * effort = ``estimate`` when > 0, else the median positive estimate of the open items, else 1;
    * rice = ``rice(reach, impact, confidence, effort)``;
    * wsjf = ``wsjf(impact, time criticality, 0, effort)`` with time criticality = reach scaled to
      the impact range (3 × reach / largest reach) and no risk-reduction data (0). WSJF is CD3
      in relative units, so it is also the CD3 order.

    Current rank = priority (impact, highest first), then oldest ``created_at``, then id.
    rice_rank / wsjf_rank sort by score (highest first), ties in current order. A rank change is
    current_rank − new rank (positive: the item should move up).

    Returns
    -------
    DataFrame in current order: item_id, title, priority, reach, impact, confidence, effort,
    rice, wsjf, current_rank, rice_rank, wsjf_rank, rice_rank_change, wsjf_rank_change.
    Empty input gives an empty frame with these columns.
    """
    if flow is not None:
        open_ids = _included(flow).loc[lambda f: f["phase"].isin(["backlog", "committed"]), "item_id"]
        backlog = items[items["item_id"].isin(open_ids)]
    else:
        backlog = items[items["completed_at"].isna() & _optional_time(items, "canceled_at").isna()
                        & _lower(items["status_category"]).ne("done")]
    links = (feedback[["feedback_id", "linked_item_ids"]].explode("linked_item_ids")
             .dropna(subset=["linked_item_ids"]).drop_duplicates())
    reach = links.groupby("linked_item_ids")["feedback_id"].nunique()

    out = backlog[["item_id", "title", "priority", "created_at", "estimate"]].reset_index(drop=True)
    out["reach"] = out["item_id"].map(reach).fillna(0).astype("float64")
    out["impact"] = priority_impact(out["priority"])
    has_estimate = out["estimate"].gt(0)
    out["confidence"] = 0.5 + 0.25 * has_estimate + 0.25 * out["reach"].gt(0)
    typical = out.loc[has_estimate, "estimate"].median()
    out["effort"] = out["estimate"].where(has_estimate, typical if pd.notna(typical) else 1.0).astype("float64")
    out["rice"] = rice(out["reach"], out["impact"], out["confidence"], out["effort"])
    top_reach = out["reach"].max() if len(out) else 0.0
    criticality = 3.0 * out["reach"] / top_reach if top_reach > 0 else out["reach"] * 0.0
    out["wsjf"] = wsjf(out["impact"], criticality, 0.0, out["effort"])

    out = out.sort_values(["impact", "created_at", "item_id"], ascending=[False, True, True],
                          na_position="last", ignore_index=True)
    out["current_rank"] = np.arange(1, len(out) + 1, dtype="int64")
    for score in ("rice", "wsjf"):
        order = out.sort_values([score, "current_rank"], ascending=[False, True], na_position="last")
        ranks = pd.Series(np.arange(1, len(out) + 1, dtype="int64"), index=order.index)
        out[f"{score}_rank"] = ranks.reindex(out.index).astype("int64")
        out[f"{score}_rank_change"] = out["current_rank"] - out[f"{score}_rank"]
    return out[["item_id", "title", "priority", "reach", "impact", "confidence", "effort", "rice", "wsjf",
                "current_rank", "rice_rank", "wsjf_rank", "rice_rank_change", "wsjf_rank_change"]]

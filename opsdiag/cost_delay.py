"""The delay formulas of the cost model: weeks of avoidable waiting or slip × cost_of_delay_per_week.

``handoff_delay`` (queue time beyond the healthy days per handoff), ``pipeline_delay`` (waiting
in release-owned queues, ``release_queue_days``), ``release_slip`` (releases later than planned)
and ``feedback_delay`` (feedback waiting for triage). Each returns a ``CostFigure``
(``cost_inputs``) and is registered in ``opsdiag.cost.FORMULAS``.

Each delay formula is data-only weeks (or item-weeks) × cost_of_delay_per_week: the weeks, the
detail and the evidence are computed once per inputs (and healthy-days value), the
multiplication once per scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cost_inputs import DAYS_PER_YEAR, CostFigure, CostInputs, _ids
from .text import unique_positions


def _delayed(inp: CostInputs, formula: str, lever: str, ids: tuple[str, ...], part: tuple | None,
             unit: str = "weeks") -> CostFigure:
    """A delay figure from its data-only ``part`` (quantity, detail, evidence; None when nothing
    waited): quantity × cost_of_delay_per_week."""
    if part is None:
        return CostFigure(formula, lever, 0.0, 0.0, ids, (), quantity_unit=unit)
    quantity, detail, evidence = part
    return CostFigure(formula, lever, 0.0, quantity * inp.values["cost_of_delay_per_week"], ids,
                      evidence, detail, quantity, unit)


def _finished_last_year(inp: CostInputs) -> pd.DataFrame:
    def compute():
        flow = inp.flow
        # (only the columns the delay formulas read: copying all of a large flow is slow)
        return flow.loc[flow["included"] & flow["completed_at"].notna()
                        & (flow["completed_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                        & (flow["completed_at"] <= inp.as_of),
                        ["item_id", "started_at", "completed_at", "queue_days", "handoffs"]]

    return inp.memo("finished_last_year", compute, inp.flow, inp.as_of)


def _release_waits(inp: CostInputs, done: pd.DataFrame) -> pd.Series:
    """``release_queue_days`` of the items finished last year, computed once per inputs."""
    return inp.memo("release_queue_days", lambda: release_queue_days(inp.segments, done), inp.segments, done)


def release_queue_days(segments: pd.DataFrame, done: pd.DataFrame) -> pd.Series:
    """Per finished item: days in queue statuses owned by ``release`` (waiting to deploy) between
    its start and its completion, indexed like ``done``."""
    if segments.empty or done.empty:
        return pd.Series(0.0, index=done.index)
    # (on ``status_segments`` output, categoricals: each comparison is one on a byte per stay)
    owned = segments["owner"].eq("release").to_numpy(dtype=bool) & segments["kind"].eq("queue").to_numpy(dtype=bool)
    seg = segments[["item_id", "start", "days"]].iloc[np.flatnonzero(owned)]
    at = unique_positions(done["item_id"], seg["item_id"])
    if at is not None:  # one row per item (the flow): look rows up instead of merging
        seg, at = seg[at >= 0], at[at >= 0]
        start = seg["start"].array
        inside = (start >= done["started_at"].array.take(at)) & (start < done["completed_at"].array.take(at))
        # summed per row of ``done`` (the same sums, in the same order, as per item id)
        per_row = seg["days"][inside].groupby(at[inside]).sum()
        waits = np.zeros(len(done))
        waits[per_row.index.to_numpy()] = per_row.to_numpy()
        return pd.Series(waits, index=done.index, name=done["item_id"].name)
    seg = seg.merge(done[["item_id", "started_at", "completed_at"]], on="item_id")
    seg = seg[(seg["start"] >= seg["started_at"]) & (seg["start"] < seg["completed_at"])]
    per_item = seg.groupby("item_id")["days"].sum()
    return done["item_id"].map(per_item).fillna(0.0)


def handoff_delay(inp: CostInputs) -> CostFigure:
    """Handoff delay = Σ_items finished in the year before as_of max(0, queue days − healthy
    days per handoff × handoffs) / 7 × cost_of_delay_per_week, annualised.

    Queue days are the item's time in queue statuses between start and finish (workflow), less
    the time waiting for deployment (counted by ``pipeline_delay`` under delivery, never twice).
    """
    ids = ("healthy_queue_days_per_handoff", "cost_of_delay_per_week")
    done = _finished_last_year(inp)
    healthy = inp.values["healthy_queue_days_per_handoff"]
    part = None if done.empty else inp.memo(f"handoff_delay:{healthy!r}", lambda: _excess_queue(inp, done, healthy),
                                            *inp.tables())
    return _delayed(inp, "handoff_delay", "handoffs", ids, part)


def _excess_queue(inp: CostInputs, done: pd.DataFrame, healthy: float) -> tuple:
    """The data-only part of ``handoff_delay``: (annualised weeks, detail, item ids)."""
    queue = done["queue_days"].fillna(0) - _release_waits(inp, done)
    excess = (queue - healthy * done["handoffs"].fillna(0)).clip(lower=0)
    scale = inp.window_scale(inp.included_created())
    weeks = float(excess.sum()) / 7 * scale
    detail = pd.DataFrame({"item_id": done["item_id"], "queue_days": queue,
                           "handoffs": done["handoffs"], "excess_days": excess})
    detail = detail[detail["excess_days"] > 0].sort_values("excess_days", ascending=False)
    return weeks, detail, _ids(detail["item_id"])


def pipeline_delay(inp: CostInputs) -> CostFigure:
    """Pipeline delay = Σ_items finished in the year before as_of max(0, days waiting in
    release-owned queue statuses (e.g. "Ready for Release") − healthy days per handoff) / 7 ×
    cost_of_delay_per_week, annualised. Build/deploy waits belong to engineering operations.
    """
    ids = ("healthy_queue_days_per_handoff", "cost_of_delay_per_week")
    healthy = inp.values["healthy_queue_days_per_handoff"]
    part = inp.memo(f"pipeline_delay:{healthy!r}", lambda: _excess_release_wait(inp, healthy), *inp.tables())
    return _delayed(inp, "pipeline_delay", "delivery", ids, part)


def _excess_release_wait(inp: CostInputs, healthy: float) -> tuple | None:
    """The data-only part of ``pipeline_delay``: (annualised weeks, detail, item ids); None when
    no finished item waited longer than healthy."""
    done = _finished_last_year(inp)
    waits = _release_waits(inp, done)
    excess = (waits - healthy).clip(lower=0).where(waits > 0, 0.0)
    if done.empty or not (excess > 0).any():
        return None
    scale = inp.window_scale(inp.included_created())
    weeks = float(excess.sum()) / 7 * scale
    detail = pd.DataFrame({"item_id": done["item_id"], "release_wait_days": waits, "excess_days": excess})
    detail = detail[detail["excess_days"] > 0].sort_values("excess_days", ascending=False)
    return weeks, detail, _ids(detail["item_id"])


def release_slip(inp: CostInputs) -> CostFigure:
    """Release slip = Σ_releases slip weeks × items in the release × cost_of_delay_per_week.

    Releases planned in the year before as_of; slip = released − planned, or as_of − planned for
    a release still unreleased past its planned date (overdue) — ``metrics.delivery.release_slippage``;
    early releases count 0. Items per release come from work_items.releases (at least 1).
    Annualised over the span the releases cover.
    """
    ids = ("cost_of_delay_per_week",)
    part = inp.memo("release_slip", lambda: _slipped_item_weeks(inp), *inp.tables())
    return _delayed(inp, "release_slip", "delivery", ids, part, "item-weeks")


def _slipped_item_weeks(inp: CostInputs) -> tuple | None:
    """The data-only part of ``release_slip``: (annualised item-weeks, detail, release names);
    None when no release of the last year slipped."""
    slip = inp.release_slippage()
    slip = slip[slip["planned_date"].notna() & (slip["planned_date"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                & (slip["slip_days"] > 0)]
    if slip.empty:
        return None
    detail = slip.assign(items=slip["items"].clip(lower=1))
    detail["item_weeks"] = detail["slip_days"] / 7 * detail["items"]
    detail = detail.sort_values("item_weeks", ascending=False)
    total = float(detail["item_weeks"].sum()) * inp.window_scale(inp.releases["planned_date"])
    columns = ["release", "planned_date", "released_date", "slip_days", "items", "item_weeks"]
    return total, detail[columns], _ids(detail["release"])


def feedback_delay(inp: CostInputs) -> CostFigure:
    """Feedback delay = Σ_work items linked from feedback max(0, triage wait of its earliest
    feedback − healthy_triage_days) / 7 × cost_of_delay_per_week, for feedback received in the
    year before as_of, annualised. The triage wait is ``metrics.feedback.triage_delays``
    (created → triaged, else solved, else as_of while untriaged).

    ARR of accounts left waiting is revenue at risk, shown beside but not added to this cost.
    """
    ids = ("healthy_triage_days", "cost_of_delay_per_week")
    healthy = inp.values["healthy_triage_days"]
    part = inp.memo(f"feedback_delay:{healthy!r}", lambda: _late_triage_weeks(inp, healthy), *inp.tables())
    return _delayed(inp, "feedback_delay", "feedback", ids, part)


def _late_triage_weeks(inp: CostInputs, healthy: float) -> tuple | None:
    """The data-only part of ``feedback_delay``: (annualised weeks, detail, feedback ids); None
    when no feedback of the last year is linked to work."""
    from .metrics.feedback import triage_delays

    feedback = inp.feedback
    # the feedback of the last year linked to work, chosen before ``triage_delays`` (which computes
    # each row on its own, then sorts stably: filtering first gives the same rows in the same order)
    delays = triage_delays(feedback[(feedback["created_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                                    & (feedback["linked_item_ids"].map(len) > 0)], inp.as_of, healthy)
    if delays.empty:
        return None
    long = delays.explode("linked_item_ids").rename(columns={"linked_item_ids": "item_id"})
    per_item = long.sort_values("created_at", kind="stable").groupby("item_id", as_index=False).first()
    per_item = per_item[per_item["excess_days"] > 0].sort_values("excess_days", ascending=False)
    scale = inp.window_scale(inp.feedback["created_at"])
    weeks = float(per_item["excess_days"].sum()) / 7 * scale
    return weeks, per_item[["item_id", "feedback_id", "waited_days", "excess_days"]], _ids(per_item["feedback_id"])

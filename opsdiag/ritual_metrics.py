"""The metrics rituals are judged on: ``PILOT_METRICS`` (pilot windows) and ``BASELINES`` (today's value).

``PILOT_METRICS`` maps a metric id to a :class:`PilotMetric` whose ``values`` function lists the
observations of a window (one row per item, feedback or release: team, at, value). The ids are the
``primary_metric`` / ``secondary_metrics`` of ``opsdiag.rituals`` and the ``metric`` of
``opsdiag pilot --json``; ``opsdiag.deploy`` compares them between windows.

``BASELINES`` maps every id a ritual's success metric may name (each pilot metric plus survey,
feedback, release and tool figures) to a :class:`Baseline` that computes the client's current
value, which ``opsdiag.design`` turns into a target. :func:`pilot_windows` defines the baseline and
pilot windows every pilot metric is compared over.

Counting rules shared by the item metrics: an item counts in a window when its ``started_at``
(``basis="started"``, the pilot default: DESIGN §8) or ``completed_at`` (``basis="completed"``)
falls in [start, end) and it is done by ``as_of``; only ``included`` flow rows count (epics and
sub-tasks never do). Durations are the workflow's ``*_days`` (its calendar carries through).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .metrics.flow import included


@dataclass(frozen=True)
class PilotData:
    """The frames pilot metrics read: included flow rows, feedback, releases, and ``as_of``."""

    flow: pd.DataFrame
    feedback: pd.DataFrame
    releases: pd.DataFrame
    as_of: pd.Timestamp
    healthy_triage_days: float = 7.0

    @classmethod
    def from_client(cls, client) -> "PilotData":
        return cls(included(client.flow), client.dataset.feedback, client.dataset.releases, client.as_of,
                   client.engagement.costs.healthy_triage_days)


def _frame(team, at, value) -> pd.DataFrame:
    return pd.DataFrame({"team": pd.Series(team, dtype="object").to_numpy(), "at": at,
                         "value": np.asarray(value, dtype="float64")})


def _finished(data: PilotData, start, end, basis: str) -> pd.DataFrame:
    """Included items done by as_of, started (``basis="started"``) or completed in [start, end)."""
    flow = data.flow
    done = flow["phase"].eq("done") & flow["completed_at"].notna() & (flow["completed_at"] <= data.as_of)
    at = flow["started_at"] if basis == "started" else flow["completed_at"]
    return flow[done & (at >= start) & (at < end)].assign(_at=at)


def _item_metric(column: str) -> Callable:
    def values(data, start, end, basis="started"):
        rows = _finished(data, start, end, basis)
        rows = rows[rows[column].notna()]
        return _frame(rows["team"], rows["_at"], rows[column])
    return values


def _queue_per_handoff(data, start, end, basis="started"):
    rows = _finished(data, start, end, basis)
    rows = rows[rows["handoffs"].fillna(0) > 0]
    return _frame(rows["team"], rows["_at"], rows["queue_days"].fillna(0.0) / rows["handoffs"])


def _canceled_after_start(data, start, end, basis="started"):
    flow = data.flow
    rows = flow[flow["started_at"].notna() & (flow["started_at"] >= start) & (flow["started_at"] < end)
                & (flow["started_at"] <= data.as_of)]
    canceled = rows["phase"].eq("canceled") & rows["canceled_at"].notna() & (rows["canceled_at"] <= data.as_of)
    return _frame(rows["team"], rows["started_at"], canceled.astype("float64"))


def _completions(data, start, end, basis="completed"):
    rows = _finished(data, start, end, "completed")
    return _frame(rows["team"], rows["completed_at"], np.ones(len(rows)))


def _feedback_triage(data, start, end, basis="started"):
    from .metrics.feedback import triage_delays

    waits = triage_delays(data.feedback, data.as_of, data.healthy_triage_days)
    waits = waits[waits["triaged"] & waits["waited_days"].notna() & (waits["created_at"] >= start)
                  & (waits["created_at"] < end)]
    return _frame([None] * len(waits), waits["created_at"], waits["waited_days"])


def _release_slip(data, start, end, basis="started"):
    from .metrics.delivery import release_slippage

    slips = release_slippage(data.releases, data.as_of)
    slips = slips[slips["slip_days"].notna() & (slips["planned_date"] >= start) & (slips["planned_date"] < end)]
    return _frame(slips["team"], slips["planned_date"], slips["slip_days"])


@dataclass(frozen=True)
class PilotMetric:
    """A metric a pilot can be judged on.

    ``kind`` "items" compares per-observation values by ``statistic``; "rate" compares counts per
    week. ``values(data, start, end, basis)`` returns one row per observation in [start, end):
    team, at (the timestamp that places it in a window), value. ``better`` is "lower" or "higher";
    ``team_scoped`` False means the pilot teams filter does not apply (feedback has no team).
    """

    id: str
    label: str
    unit: str
    better: str
    kind: str
    statistic: str
    team_scoped: bool
    definition: str
    values: Callable


_M = PilotMetric
PILOT_METRICS: dict[str, PilotMetric] = {m.id: m for m in (
    _M("cycle_time_days", "Cycle time", "days", "lower", "items", "median", True,
       "completed_at − started_at of items started in the window and done by as_of", _item_metric("cycle_time_days")),
    _M("throughput_per_week", "Throughput", "items per week", "higher", "rate", "rate", True,
       "items completed (done) in the window ÷ window weeks", _completions),
    _M("queue_days", "Queue time", "days per item", "lower", "items", "median", True,
       "days in queue statuses between start and finish, items started in the window and done by as_of",
       _item_metric("queue_days")),
    _M("queue_days_per_handoff", "Queue time per handoff", "days", "lower", "items", "median", True,
       "queue_days ÷ handoffs of items with at least one handoff, started in the window and done by as_of",
       _queue_per_handoff),
    _M("blocked_days", "Blocked time", "days per item", "lower", "items", "mean", True,
       "days in blocked statuses, items started in the window and done by as_of (mean: most items are never blocked)",
       _item_metric("blocked_days")),
    _M("bounce_backs", "Bounce-backs", "per item", "lower", "items", "mean", True,
       "moves back to an earlier committed status per item started in the window and done by as_of",
       _item_metric("bounce_backs")),
    _M("flow_efficiency", "Flow efficiency", "share of elapsed time", "higher", "items", "median", True,
       "active ÷ (active + queue + blocked) days of items started in the window and done by as_of",
       _item_metric("flow_efficiency")),
    _M("canceled_after_start_share", "Started, then canceled", "share of started items", "lower", "items", "mean",
       True, "share of items started in the window that were canceled by as_of", _canceled_after_start),
    _M("feedback_triage_days", "Days to triage feedback", "days", "lower", "items", "median", False,
       "triaged_at − created_at of feedback received in the window and triaged by as_of (all teams)",
       _feedback_triage),
    _M("release_slip_days", "Release slip", "days per release", "lower", "items", "median", True,
       "released (or as_of when overdue) − planned date of releases planned in the window", _release_slip),
)}


# --- pilot windows ------------------------------------------------------------------------------

DAY = pd.Timedelta(days=1)
WEEK_DAYS = 7.0


@dataclass(frozen=True)
class Windows:
    """Baseline [baseline_start, pilot_start) and pilot [pilot_start, pilot_end) as UTC instants.

    ``observed_end`` = min(pilot_end, as_of): the part of the pilot the data can show.
    """

    baseline_start: pd.Timestamp
    pilot_start: pd.Timestamp
    pilot_end: pd.Timestamp
    observed_end: pd.Timestamp
    first_day: dt.date
    days: int
    sprint_length_days: int

    @property
    def in_progress(self) -> bool:
        return self.observed_end < self.pilot_end

    @property
    def pilot_weeks(self) -> float:
        return max((self.observed_end - self.pilot_start) / DAY, 0.0) / WEEK_DAYS

    @property
    def baseline_weeks(self) -> float:
        return (self.pilot_start - self.baseline_start) / DAY / WEEK_DAYS

    def dates(self) -> dict:
        day = dt.timedelta(days=1)
        return {"pilot": {"start": self.first_day.isoformat(),
                          "end": (self.first_day + self.days * day - day).isoformat()},
                "baseline": {"start": (self.first_day - self.days * day).isoformat(),
                             "end": (self.first_day - day).isoformat()}}


def local_midnight(day: dt.date, timezone: str) -> pd.Timestamp:
    """Midnight starting ``day`` in ``timezone`` (DST gaps shift forward), as a UTC timestamp."""
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")


def pilot_windows(pilot, timezone: str, as_of: pd.Timestamp) -> Windows:
    """The windows of a configured pilot (``config.Pilot``: start, sprints, sprint_length_days).

    The pilot runs from local midnight of ``start`` in ``timezone`` for sprints × sprint_length_days
    days; the baseline is the same number of days right before it; ``observed_end`` = min(pilot
    end, ``as_of``). Day arithmetic is on local dates, so a DST change does not shift a boundary.
    """
    days = int(pilot.sprints) * int(pilot.sprint_length_days)
    start = local_midnight(pilot.start, timezone)
    end = local_midnight(pilot.start + dt.timedelta(days=days), timezone)
    baseline = local_midnight(pilot.start - dt.timedelta(days=days), timezone)
    return Windows(baseline, start, end, min(end, as_of), pilot.start, days, int(pilot.sprint_length_days))


# --- baselines ----------------------------------------------------------------------------------

DESIGN_WEEKS = 12  # baselines look at this many weeks before as_of
RELEASE_WEEKS = 26  # releases are rare: their baseline looks further back


@dataclass(frozen=True)
class Baseline:
    """How a success metric's current value is computed from the client's data.

    ``compute(client, start, end, teams) -> (value, n)``: value over [start, end) (NaN when there is
    nothing to measure) and the number of observations behind it.
    """

    id: str
    label: str
    unit: str
    better: str
    definition: str
    compute: Callable


def _pilot_baseline(metric_id: str) -> Baseline:
    metric = PILOT_METRICS[metric_id]

    def compute(client, start, end, teams):
        obs = metric.values(PilotData.from_client(client), start, end, "completed")
        if metric.team_scoped and teams:
            obs = obs[obs["team"].isin(teams)]
        if metric.kind == "rate":
            return len(obs) / ((end - start) / pd.Timedelta(days=7)), len(obs)
        values = obs["value"].dropna()
        if values.empty:
            return float("nan"), 0
        return float(values.median() if metric.statistic == "median" else values.mean()), len(values)

    basis = "completed" if metric_id != "canceled_after_start_share" else "started"
    return Baseline(metric_id, metric.label, metric.unit, metric.better,
                    f"{metric.statistic} of {metric.definition} (items {basis} in the window)", compute)


def _survey(column: str) -> Baseline:
    def compute(client, start, end, teams):
        people = client.dataset.people
        if teams and people["team"].isin(teams).any():
            people = people[people["team"].isin(teams)]
        hours = people[f"hours_{column}"].dropna()
        return (float(hours.mean()) if len(hours) else float("nan")), len(hours)

    return Baseline(f"survey_hours.{column}", f"Survey: {column.replace('_', ' ')}", "hours per person per week",
                    "lower", f"mean of hours_{column} over the people who answered (pilot teams when present)",
                    compute)


def _untriaged_share(client, start, end, teams):
    from .metrics.feedback import triage_delays

    waits = triage_delays(client.dataset.feedback, client.as_of)
    waits = waits[(waits["created_at"] >= start) & (waits["created_at"] < end)]
    return (float((~waits["triaged"]).mean()) if len(waits) else float("nan")), len(waits)


def _on_time_share(client, start, end, teams):
    from .metrics.delivery import release_slippage

    start = min(start, end - pd.Timedelta(weeks=RELEASE_WEEKS))
    slips = release_slippage(client.dataset.releases, client.as_of)
    slips = slips[slips["slip_days"].notna() & (slips["planned_date"] >= start) & (slips["planned_date"] < end)]
    if teams and slips["team"].isin(teams).any():
        slips = slips[slips["team"].isin(teams)]
    return (float((slips["slip_days"] <= 0).mean()) if len(slips) else float("nan")), len(slips)


def _annual_tool_spend(client, start, end, teams):
    tools = client.dataset.tools
    costs = tools["monthly_cost"].dropna()
    return (float(costs.sum() * 12) if len(costs) else float("nan")), len(costs)


def _unused_seat_share(client, start, end, teams):
    tools = client.dataset.tools.dropna(subset=["seats", "active_seats"])
    seats = float(tools["seats"].sum())
    return (1.0 - float(tools["active_seats"].sum()) / seats if seats > 0 else float("nan")), len(tools)


BASELINES: dict[str, Baseline] = {
    **{m: _pilot_baseline(m) for m in PILOT_METRICS},
    **{b.id: b for b in (_survey(c) for c in ("status_chasing", "coordination_meetings", "data_pulls",
                                              "feedback_triage", "tool_admin"))},
    "feedback.untriaged_share": Baseline("feedback.untriaged_share", "Feedback not triaged", "share", "lower",
                                         "share of feedback received in the window not triaged by as_of",
                                         _untriaged_share),
    "releases.on_time_share": Baseline("releases.on_time_share", "Releases on time", "share", "higher",
                                       f"share of releases planned in the last {RELEASE_WEEKS} weeks (at least) "
                                       "that shipped on or before the planned date", _on_time_share),
    "tools.annual_spend": Baseline("tools.annual_spend", "Tool spend", "per year", "lower",
                                   "Σ monthly_cost × 12 over the tool inventory", _annual_tool_spend),
    "tools.unused_seat_share": Baseline("tools.unused_seat_share", "Unused seats", "share", "lower",
                                        "1 − Σ active seats / Σ seats over tools with both known",
                                        _unused_seat_share),
}

"""The people-hours formulas of the cost model: hours beyond a healthy amount × the person's rate.

``survey_waste`` (weekly survey hours above healthy, one figure per activity of
``SURVEY_LEVERS``), ``rework`` (bounced-back work redone) and ``canceled_work`` (work started,
then thrown away). Each returns a ``CostFigure`` (``cost_inputs``) and is registered in
``opsdiag.cost.FORMULAS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cost_inputs import DAYS_PER_YEAR, CostFigure, CostInputs, _RatedPeople, _ids

SURVEY_LEVERS = {
    "status_chasing": "delivery",
    "coordination_meetings": "handoffs",
    "data_pulls": "analytics",
    "feedback_triage": "feedback",
    "tool_admin": "tooling",
}


def survey_waste(inp: CostInputs, column: str) -> CostFigure:
    """Survey waste = Σ_person max(0, weekly survey hours − healthy hours) × rate × weeks_per_year.

    ``column`` is one survey activity (status_chasing, coordination_meetings, data_pulls,
    feedback_triage, tool_admin); its lever is fixed by ``SURVEY_LEVERS``. Rate = the person's
    hourly_cost, else their role's rate, else the default rate. People without an answer count 0.
    """
    lever = SURVEY_LEVERS[column]
    healthy_id = f"healthy_hours.{column}"
    people = inp.people
    hours = None if people.empty else inp.memo(f"survey:{column}", lambda: _answers(people[f"hours_{column}"]), people)
    if hours is None:
        return CostFigure(f"survey_waste.{column}", lever, 0.0, 0.0, (healthy_id,), (), quantity_unit="hours")
    survey = inp.memo("survey", lambda: _Survey.of(people), people)
    over = hours - inp.values[healthy_id]
    # Series.clip(lower=0) keeps NaN and anything >= 0; fillna(0.0) then zeroes the NaN
    excess = np.where(np.isnan(over), 0.0, np.where(over >= 0, over, 0.0))
    rate = inp._rates(survey.rated)
    weeks = inp.values["weeks_per_year"]
    kept = np.flatnonzero(excess > 0)
    excess, rate = excess[kept], rate[kept]
    hours, cost = excess * weeks, excess * weeks * rate
    # the order of DataFrame.sort_values("cost_per_year", ascending=False) (the same argsort of
    # the same values), applied while the frame is built rather than by sorting a copy
    ranked = pd.Series(cost).sort_values(ascending=False).index.to_numpy()
    rows, hours, cost = kept[ranked], hours[ranked], cost[ranked]
    # sums and evidence from the arrays the detail is built from: the model runs this formula
    # again for every rate scenario, and reading the frame's columns back was a third of its time
    hours_per_year = float(hours.sum())
    roles = sorted(key for key in survey.role_rate_ids if key in inp.values)
    ids = (healthy_id, "weeks_per_year", "rate.default", *roles)
    detail, evidence = pd.DataFrame(), ()
    if inp.detailed:  # a scenario that reads the hours and cost only: building the detail was half the time
        detail = pd.DataFrame({"person": survey.person.take(rows), "role": survey.role.take(rows),
                               "excess_hours_per_week": excess[ranked], "rate": rate[ranked],
                               "hours_per_year": hours, "cost_per_year": cost},
                              index=survey.index[rows])
        evidence = tuple(survey.person_ids[rows])
    return CostFigure(f"survey_waste.{column}", lever, hours_per_year, float(cost.sum()), ids,
                      evidence, detail, hours_per_year, "hours")


def _answers(hours: pd.Series) -> np.ndarray | None:
    """A survey column as floats (NaN without an answer); None when nobody answered."""
    return None if hours.isna().all() else hours.to_numpy(dtype="float64", na_value=np.nan)


@dataclass(frozen=True)
class _Survey:
    """The data-only part of ``survey_waste``: who answered, computed once per people table."""

    index: pd.Index  # the people table's
    person: pd.api.extensions.ExtensionArray
    person_ids: np.ndarray  # each person as evidence: ``_ids`` of ``person``, as an object array
    role: pd.api.extensions.ExtensionArray
    rated: _RatedPeople
    role_rate_ids: tuple[str, ...]  # "rate.<role>" per distinct lower-cased role (the figure's assumptions)

    @classmethod
    def of(cls, people: pd.DataFrame) -> "_Survey":
        role_ids = tuple(f"rate.{r}" for r in people["role"].dropna().str.lower().unique())
        person_ids = np.empty(len(people), dtype=object)
        person_ids[:] = _ids(people["person"])
        return cls(people.index, people["person"].array, person_ids, people["role"].array,
                   _RatedPeople.of(people["role"], people["hourly_cost"]), role_ids)


def rework(inp: CostInputs) -> CostFigure:
    """Rework = bounce-backs × median active days of the bounced step × hours_per_day × rate.

    Counts bounce-backs (moves to a committed status of lower order) of items in the year before
    as_of, annualised; the bounced step is the active stay the item was sent back from; the rate
    is the engineering rate (rework is redone build work).
    """
    ids = ("rate.engineering" if "rate.engineering" in inp.values else "rate.default", "hours_per_day")
    part = inp.memo("rework", lambda: _recent_bounces(inp), *inp.tables())
    if part is None:
        return CostFigure("rework", "handoffs", 0.0, 0.0, ids, (), quantity_unit="hours")
    recent, scale, median_days, evidence = part
    hours_per_day = inp.values["hours_per_day"]
    hours = len(recent) * median_days * hours_per_day * scale
    detail = inp.memo(f"rework_detail:{hours_per_day!r}",
                      lambda: recent.assign(hours=median_days * hours_per_day), recent)
    return CostFigure("rework", "handoffs", hours, hours * _engineering_rate(inp), ids, evidence,
                      detail, hours, "hours")


def _recent_bounces(inp: CostInputs) -> tuple | None:
    """The data-only part of ``rework``: (bounce-backs of the last year, annualisation factor,
    median days of the bounced step, item ids); None without bounce-backs."""
    from .metrics.handoffs import bounce_backs

    events = inp.memo("bounce_backs", lambda: bounce_backs(
        inp.segments, item_ids=inp.flow.loc[inp.flow["included"], "item_id"]), inp.segments, inp.flow)
    if events.empty:
        return None
    recent = events[events["at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR)]
    scale = inp.window_scale(inp.included_created())
    median_days = float(recent["days_in_bounced_step"].median()) if len(recent) else 0.0
    return recent, scale, median_days, _ids(recent["item_id"].unique())


def _engineering_rate(inp: CostInputs) -> float:
    """The engineering rate, else the default rate (rework and thrown-away work are build work)."""
    return inp.values["rate.engineering"] if "rate.engineering" in inp.values else inp.values["rate.default"]


def canceled_work(inp: CostInputs) -> CostFigure:
    """Work thrown away = Σ active days of items started then canceled × hours_per_day × rate.

    Items canceled in the year before as_of after being started, annualised; engineering rate.
    This is the prioritization lever's people-hours figure (work that should not have started).
    """
    ids = ("rate.engineering" if "rate.engineering" in inp.values else "rate.default", "hours_per_day")
    part = inp.memo("canceled_work", lambda: _canceled_after_start(inp), *inp.tables())
    if part is None:
        return CostFigure("canceled_work", "prioritization", 0.0, 0.0, ids, (), quantity_unit="hours")
    active_days, scale, evidence, detail = part
    hours = active_days * inp.values["hours_per_day"] * scale
    return CostFigure("canceled_work", "prioritization", hours, hours * _engineering_rate(inp), ids,
                      evidence, detail, hours, "hours")


def _canceled_after_start(inp: CostInputs) -> tuple | None:
    """The data-only part of ``canceled_work``: (Σ active days, annualisation factor, item ids,
    detail); None without flow."""
    flow = inp.flow
    if flow.empty:
        return None
    mask = (flow["included"] & flow["started_at"].notna() & flow["canceled_at"].notna()
            & (flow["canceled_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR)))
    done = flow[mask]
    scale = inp.window_scale(inp.included_created())
    return (float(done["active_days"].fillna(0).sum()), scale, _ids(done["item_id"]),
            done[["item_id", "started_at", "canceled_at", "active_days"]])

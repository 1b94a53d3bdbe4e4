"""The cost model: hours and money per year, every formula named, every assumption in sight.

Two families (DESIGN §7):

* **people hours** — hours a person spends beyond a healthy amount (survey hours, rework,
  work thrown away) × their hourly rate;
* **delay** — weeks of avoidable waiting or slip × ``cost_of_delay_per_week``.

Each formula is a function registered in ``FORMULAS`` under its id; its docstring is the
definition shown in the report. Every assumption is an ``Assumption`` with an id, a default
from config and a low/high range (±``range_pct`` on rates and cost of delay). A figure's
low/base/high are the formula evaluated with all ranged assumptions at low, base and high;
``sensitivity`` moves one assumption at a time for the tornado chart. No quantity is counted
under two levers: each formula belongs to exactly one lever.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from .cost_memo import figure as _figure

SURVEY_LEVERS = {
    "status_chasing": "delivery",
    "coordination_meetings": "handoffs",
    "data_pulls": "analytics",
    "feedback_triage": "feedback",
    "tool_admin": "tooling",
}
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Assumption:
    """A named input of the cost model, with the config key it comes from and its range."""

    id: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    description: str

    def as_dict(self) -> dict:
        return {"id": self.id, "value": self.value, "low": self.low, "high": self.high,
                "unit": self.unit, "source": self.source, "description": self.description}


def assumptions(costs) -> dict[str, Assumption]:
    """Every assumption of the model from the engagement's ``costs`` block (DESIGN §6)."""
    r = costs.range_pct
    out: dict[str, Assumption] = {}

    def add(id_, value, unit, source, description, ranged=False):
        value = float(value)
        low, high = (value * (1 - r), value * (1 + r)) if ranged else (value, value)
        out[id_] = Assumption(id_, value, low, high, unit, source, description)

    for role, rate in sorted(costs.rates.items()):
        add(f"rate.{role}", rate, "per hour", f"costs.rates.{role}", f"hourly rate of a {role} person", True)
    add("rate.default", costs.default_rate, "per hour", "costs.default_rate",
        "hourly rate of a role without its own rate", True)
    add("cost_of_delay_per_week", costs.cost_of_delay_per_week, "per item-week",
        "costs.cost_of_delay_per_week", "value lost per week one typical item waits", True)
    add("healthy_queue_days_per_handoff", costs.healthy_queue_days_per_handoff, "days",
        "costs.healthy_queue_days_per_handoff", "queue time per handoff that is not waste")
    for column, hours in sorted(costs.healthy_survey_hours.items()):
        add(f"healthy_hours.{column}", hours, "hours/week", f"costs.healthy_survey_hours.{column}",
            f"weekly {column.replace('_', ' ')} hours that are not waste")
    add("healthy_triage_days", costs.healthy_triage_days, "days", "costs.healthy_triage_days",
        "feedback waiting longer than this for triage is delay")
    add("weeks_per_year", costs.weeks_per_year, "weeks", "costs.weeks_per_year", "working weeks per year")
    add("hours_per_day", costs.hours_per_day, "hours", "costs.hours_per_day", "working hours per day")
    return out


@dataclass
class CostFigure:
    """One formula's result for one client: hours and money per year, with the evidence behind it."""

    formula_id: str
    lever: str
    hours_per_year: float
    cost_per_year: float
    assumptions: tuple[str, ...]
    evidence: tuple[str, ...]
    detail: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    quantity: float = 0.0  # the driver: excess hours, or delay weeks
    quantity_unit: str = ""


@dataclass
class CostInputs:
    """What the formulas read: tables, the client's flow and the assumption values."""

    flow: pd.DataFrame
    segments: pd.DataFrame
    work_items: pd.DataFrame
    people: pd.DataFrame
    tools: pd.DataFrame
    releases: pd.DataFrame
    feedback: pd.DataFrame
    as_of: pd.Timestamp
    values: dict[str, float]
    # results derived from the data alone, shared by every copy ``with_values`` makes: low, high
    # and each sensitivity scenario re-run every formula, but bounce-backs, release waits and
    # slippage do not move with the assumptions (see ``memo``)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_client(cls, client, values: dict[str, float] | None = None) -> "CostInputs":
        d = client.dataset
        base = {a.id: a.value for a in assumptions(client.engagement.costs).values()}
        return cls(client.flow, client.segments, d.work_items, d.people, d.tools, d.releases,
                   d.feedback, client.as_of, values or base)

    def with_values(self, values: dict[str, float]) -> "CostInputs":
        return replace(self, values=values)

    def memo(self, name: str, compute: Callable[[], object], *depends) -> object:
        """``compute()``, computed once while the objects in ``depends`` stay the same.

        For intermediate results that depend on the data only (never on ``values``): a copy
        made by ``with_values`` shares the cache, so the 15 evaluations of ``evaluate`` and
        ``sensitivity`` compute them once. Entries are keyed by ``name`` and checked by the
        identity of ``depends`` (kept alive by the entry), so replacing a table recomputes.
        Callers must not modify the returned object.
        """
        entry = self._memo.get(name)
        if entry is not None and len(entry[0]) == len(depends) and all(a is b for a, b in zip(entry[0], depends)):
            return entry[1]
        value = compute()
        self._memo[name] = (depends, value)
        return value

    def tables(self) -> tuple:
        """The data the formulas read (everything but ``values``), for ``memo`` dependencies."""
        return (self.flow, self.segments, self.work_items, self.people, self.tools, self.releases,
                self.feedback, self.as_of)

    def included_created(self) -> pd.Series:
        """``created_at`` of the included items of ``flow`` (the annualisation window's start)."""
        return self.memo("included_created", lambda: self.flow.loc[self.flow["included"], "created_at"], self.flow)

    def rate_for(self, roles: pd.Series, hourly_cost: pd.Series | None = None) -> pd.Series:
        """Hourly rate per person: their ``hourly_cost``, else their role's rate, else the default.

        A person's own hourly_cost scales with the default-rate range so low/high still move.
        """
        default = self.values["rate.default"]
        by_role = roles.astype("str").str.strip().str.lower().map(
            lambda r: self.values.get(f"rate.{r}", np.nan))
        rate = by_role.fillna(default).astype(float)
        if hourly_cost is not None:
            base_default = self.values.get("_base.rate.default", default)
            scale = default / base_default if base_default else 1.0
            rate = hourly_cost.astype(float).mul(scale).where(hourly_cost.notna(), rate)
        return rate

    def window_scale(self, timestamps: pd.Series) -> float:
        """Annualisation factor: 365 / days the data covers in the year before as_of.

        Coverage starts at the earliest of ``timestamps`` (when the source's history begins:
        created_at of work items, planned_date of releases, created_at of feedback) or 365 days
        before as_of, whichever is later; at least 28 days. A full year of data gives 1.
        """
        ts = timestamps.dropna()
        if ts.empty:
            return 1.0
        start = max(ts.min(), self.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
        covered = (self.as_of - start) / pd.Timedelta(days=1)
        return DAYS_PER_YEAR / max(covered, 28.0) if covered < DAYS_PER_YEAR - 1 else 1.0


def _ids(values) -> tuple[str, ...]:
    if isinstance(values, (pd.Series, pd.Index)):  # iterating a string array is slow: convert once
        values = values.to_numpy(dtype=object).tolist()
    return tuple(map(str, values))


# --- people hours ----------------------------------------------------------------------------

def survey_waste(inp: CostInputs, column: str) -> CostFigure:
    """Survey waste = Σ_person max(0, weekly survey hours − healthy hours) × rate × weeks_per_year.

    ``column`` is one survey activity (status_chasing, coordination_meetings, data_pulls,
    feedback_triage, tool_admin); its lever is fixed by ``SURVEY_LEVERS``. Rate = the person's
    hourly_cost, else their role's rate, else the default rate. People without an answer count 0.
    """
    lever = SURVEY_LEVERS[column]
    healthy_id = f"healthy_hours.{column}"
    people = inp.people
    hours_col = f"hours_{column}"
    if people.empty or people[hours_col].isna().all():
        return CostFigure(f"survey_waste.{column}", lever, 0.0, 0.0, (healthy_id,), (), quantity_unit="hours")
    excess = (people[hours_col] - inp.values[healthy_id]).clip(lower=0).fillna(0.0)
    rate = inp.rate_for(people["role"], people["hourly_cost"])
    weeks = inp.values["weeks_per_year"]
    detail = pd.DataFrame({"person": people["person"], "role": people["role"],
                           "excess_hours_per_week": excess, "rate": rate,
                           "hours_per_year": excess * weeks, "cost_per_year": excess * weeks * rate})
    detail = detail[detail["excess_hours_per_week"] > 0].sort_values("cost_per_year", ascending=False)
    roles = sorted(f"rate.{r}" for r in people["role"].dropna().str.lower().unique()
                   if f"rate.{r}" in inp.values)
    return CostFigure(f"survey_waste.{column}", lever, float(detail["hours_per_year"].sum()),
                      float(detail["cost_per_year"].sum()),
                      (healthy_id, "weeks_per_year", "rate.default", *roles),
                      _ids(detail["person"]), detail, float(detail["hours_per_year"].sum()), "hours")


def rework(inp: CostInputs) -> CostFigure:
    """Rework = bounce-backs × median active days of the bounced step × hours_per_day × rate.

    Counts bounce-backs (moves to a committed status of lower order) of items in the year before
    as_of, annualised; the bounced step is the active stay the item was sent back from; the rate
    is the engineering rate (rework is redone build work).
    """
    from .metrics.handoffs import bounce_backs

    events = inp.memo("bounce_backs", lambda: bounce_backs(
        inp.segments, item_ids=inp.flow.loc[inp.flow["included"], "item_id"]), inp.segments, inp.flow)
    ids = ("rate.engineering" if "rate.engineering" in inp.values else "rate.default", "hours_per_day")
    if events.empty:
        return CostFigure("rework", "handoffs", 0.0, 0.0, ids, (), quantity_unit="hours")
    recent = events[events["at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR)]
    scale = inp.window_scale(inp.included_created())
    median_days = float(recent["days_in_bounced_step"].median()) if len(recent) else 0.0
    hours = len(recent) * median_days * inp.values["hours_per_day"] * scale
    rate = inp.values.get("rate.engineering", inp.values["rate.default"])
    detail = recent.assign(hours=median_days * inp.values["hours_per_day"])
    return CostFigure("rework", "handoffs", hours, hours * rate, ids, _ids(recent["item_id"].unique()),
                      detail, hours, "hours")


def canceled_work(inp: CostInputs) -> CostFigure:
    """Work thrown away = Σ active days of items started then canceled × hours_per_day × rate.

    Items canceled in the year before as_of after being started, annualised; engineering rate.
    This is the prioritization lever's people-hours figure (work that should not have started).
    """
    flow = inp.flow
    ids = ("rate.engineering" if "rate.engineering" in inp.values else "rate.default", "hours_per_day")
    if flow.empty:
        return CostFigure("canceled_work", "prioritization", 0.0, 0.0, ids, (), quantity_unit="hours")
    mask = (flow["included"] & flow["started_at"].notna() & flow["canceled_at"].notna()
            & (flow["canceled_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR)))
    done = flow[mask]
    scale = inp.window_scale(inp.included_created())
    hours = float(done["active_days"].fillna(0).sum()) * inp.values["hours_per_day"] * scale
    rate = inp.values.get("rate.engineering", inp.values["rate.default"])
    return CostFigure("canceled_work", "prioritization", hours, hours * rate, ids,
                      _ids(done["item_id"]), done[["item_id", "started_at", "canceled_at", "active_days"]],
                      hours, "hours")


# --- delay -----------------------------------------------------------------------------------

def _finished_last_year(inp: CostInputs) -> pd.DataFrame:
    def compute():
        flow = inp.flow
        return flow[flow["included"] & flow["completed_at"].notna()
                    & (flow["completed_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                    & (flow["completed_at"] <= inp.as_of)]

    return inp.memo("finished_last_year", compute, inp.flow, inp.as_of)


def _release_waits(inp: CostInputs, done: pd.DataFrame) -> pd.Series:
    """``release_queue_days`` of the items finished last year, computed once per inputs."""
    return inp.memo("release_queue_days", lambda: release_queue_days(inp.segments, done), inp.segments, done)


def release_queue_days(segments: pd.DataFrame, done: pd.DataFrame) -> pd.Series:
    """Per finished item: days in queue statuses owned by ``release`` (waiting to deploy) between
    its start and its completion, indexed like ``done``."""
    if segments.empty or done.empty:
        return pd.Series(0.0, index=done.index)
    seg = segments[(segments["kind"] == "queue") & (segments["owner"] == "release")]
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
    if done.empty:
        return CostFigure("handoff_delay", "handoffs", 0.0, 0.0, ids, (), quantity_unit="weeks")
    queue = done["queue_days"].fillna(0) - _release_waits(inp, done)
    excess = (queue - inp.values["healthy_queue_days_per_handoff"] * done["handoffs"].fillna(0)).clip(lower=0)
    scale = inp.window_scale(inp.included_created())
    weeks = float(excess.sum()) / 7 * scale
    detail = pd.DataFrame({"item_id": done["item_id"], "queue_days": queue,
                           "handoffs": done["handoffs"], "excess_days": excess})
    detail = detail[detail["excess_days"] > 0].sort_values("excess_days", ascending=False)
    return CostFigure("handoff_delay", "handoffs", 0.0, weeks * inp.values["cost_of_delay_per_week"], ids,
                      _ids(detail["item_id"]), detail, weeks, "weeks")


def pipeline_delay(inp: CostInputs) -> CostFigure:
    """Pipeline delay = Σ_items finished in the year before as_of max(0, days waiting in
    release-owned queue statuses (e.g. "Ready for Release") − healthy days per handoff) / 7 ×
    cost_of_delay_per_week, annualised. Build/deploy waits belong to engineering operations.
    """
    ids = ("healthy_queue_days_per_handoff", "cost_of_delay_per_week")
    done = _finished_last_year(inp)
    waits = _release_waits(inp, done)
    excess = (waits - inp.values["healthy_queue_days_per_handoff"]).clip(lower=0).where(waits > 0, 0.0)
    if done.empty or not (excess > 0).any():
        return CostFigure("pipeline_delay", "delivery", 0.0, 0.0, ids, (), quantity_unit="weeks")
    scale = inp.window_scale(inp.included_created())
    weeks = float(excess.sum()) / 7 * scale
    detail = pd.DataFrame({"item_id": done["item_id"], "release_wait_days": waits, "excess_days": excess})
    detail = detail[detail["excess_days"] > 0].sort_values("excess_days", ascending=False)
    return CostFigure("pipeline_delay", "delivery", 0.0, weeks * inp.values["cost_of_delay_per_week"], ids,
                      _ids(detail["item_id"]), detail, weeks, "weeks")


def release_slip(inp: CostInputs) -> CostFigure:
    """Release slip = Σ_releases slip weeks × items in the release × cost_of_delay_per_week.

    Releases planned in the year before as_of; slip = released − planned, or as_of − planned for
    a release still unreleased past its planned date (overdue) — ``metrics.delivery.release_slippage``;
    early releases count 0. Items per release come from work_items.releases (at least 1).
    Annualised over the span the releases cover.
    """
    from .metrics.delivery import release_slippage

    ids = ("cost_of_delay_per_week",)
    slip = inp.memo("release_slippage", lambda: release_slippage(inp.releases, inp.as_of, inp.work_items),
                    inp.releases, inp.as_of, inp.work_items)
    slip = slip[slip["planned_date"].notna() & (slip["planned_date"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                & (slip["slip_days"] > 0)]
    if slip.empty:
        return CostFigure("release_slip", "delivery", 0.0, 0.0, ids, (), quantity_unit="item-weeks")
    detail = slip.assign(items=slip["items"].clip(lower=1))
    detail["item_weeks"] = detail["slip_days"] / 7 * detail["items"]
    detail = detail.sort_values("item_weeks", ascending=False)
    total = float(detail["item_weeks"].sum()) * inp.window_scale(inp.releases["planned_date"])
    return CostFigure("release_slip", "delivery", 0.0, total * inp.values["cost_of_delay_per_week"], ids,
                      _ids(detail["release"]), detail[["release", "planned_date", "released_date", "slip_days",
                                                       "items", "item_weeks"]], total, "item-weeks")


def feedback_delay(inp: CostInputs) -> CostFigure:
    """Feedback delay = Σ_work items linked from feedback max(0, triage wait of its earliest
    feedback − healthy_triage_days) / 7 × cost_of_delay_per_week, for feedback received in the
    year before as_of, annualised. The triage wait is ``metrics.feedback.triage_delays``
    (created → triaged, else solved, else as_of while untriaged).

    ARR of accounts left waiting is revenue at risk, shown beside but not added to this cost.
    """
    from .metrics.feedback import triage_delays

    ids = ("healthy_triage_days", "cost_of_delay_per_week")
    healthy = inp.values["healthy_triage_days"]
    delays = inp.memo(f"triage_delays:{healthy!r}", lambda: triage_delays(inp.feedback, inp.as_of, healthy),
                      inp.feedback, inp.as_of)
    delays = delays[(delays["created_at"] > inp.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
                    & (delays["linked_item_ids"].map(len) > 0)]
    if delays.empty:
        return CostFigure("feedback_delay", "feedback", 0.0, 0.0, ids, (), quantity_unit="weeks")
    long = delays.explode("linked_item_ids").rename(columns={"linked_item_ids": "item_id"})
    per_item = long.sort_values("created_at", kind="stable").groupby("item_id", as_index=False).first()
    per_item = per_item[per_item["excess_days"] > 0].sort_values("excess_days", ascending=False)
    scale = inp.window_scale(inp.feedback["created_at"])
    weeks = float(per_item["excess_days"].sum()) / 7 * scale
    return CostFigure("feedback_delay", "feedback", 0.0, weeks * inp.values["cost_of_delay_per_week"], ids,
                      _ids(per_item["feedback_id"]),
                      per_item[["item_id", "feedback_id", "waited_days", "excess_days"]], weeks, "weeks")


def unused_seat_spend(inp: CostInputs) -> CostFigure:
    """Unused seats = Σ_tools unused seats × (monthly_cost / seats) × 12
    (``metrics.tooling.unused_seat_spend``). A direct spend: it does not move with the rate or
    cost-of-delay ranges."""
    from .metrics.tooling import unused_seat_spend as per_tool

    detail = inp.memo("unused_seat_spend", lambda: per_tool(inp.tools), inp.tools)
    detail = detail[detail["unused_spend"] > 0]
    total = float(detail["unused_spend"].sum())
    return CostFigure("unused_seat_spend", "tooling", 0.0, total, (), _ids(detail["tool"]), detail, total, "money")


def duplicate_tool_spend(inp: CostInputs) -> CostFigure:
    """Duplicate tools = for each category with several tools, the annual cost of every tool but
    the most used one, less its unused seats already counted by ``unused_seat_spend``
    (``metrics.tooling.duplicate_tool_spend``)."""
    from .metrics.tooling import duplicate_tool_spend as per_tool

    detail = inp.memo("duplicate_tool_spend", lambda: per_tool(inp.tools), inp.tools)
    detail = detail[detail["duplicate_spend"] > 0]
    total = float(detail["duplicate_spend"].sum())
    return CostFigure("duplicate_tool_spend", "tooling", 0.0, total, (), _ids(detail["tool"]), detail, total,
                      "money")


FORMULAS: dict[str, Callable[[CostInputs], CostFigure]] = {
    **{f"survey_waste.{c}": (lambda inp, c=c: survey_waste(inp, c)) for c in SURVEY_LEVERS},
    "handoff_delay": handoff_delay,
    "pipeline_delay": pipeline_delay,
    "rework": rework,
    "release_slip": release_slip,
    "feedback_delay": feedback_delay,
    "unused_seat_spend": unused_seat_spend,
    "duplicate_tool_spend": duplicate_tool_spend,
    "canceled_work": canceled_work,
}

FORMULA_TEXT = {
    **{f"survey_waste.{c}": f"Σ people max(0, {c.replace('_', ' ')} h/week − healthy) × rate × weeks/year"
       for c in SURVEY_LEVERS},
    "handoff_delay": "Σ items max(0, queue days − healthy days × handoffs) / 7 × cost of delay/week",
    "pipeline_delay": "Σ items max(0, days waiting for deployment − healthy days) / 7 × cost of delay/week",
    "rework": "bounce-backs × median active days of the bounced step × hours/day × engineering rate",
    "release_slip": "Σ releases slip weeks × items in release × cost of delay/week",
    "feedback_delay": "Σ linked items max(0, triage wait − healthy days) / 7 × cost of delay/week",
    "unused_seat_spend": "Σ tools unused seats × monthly cost / seats × 12",
    "duplicate_tool_spend": "Σ categories with several tools: annual cost of all but the most used, less unused seats",
    "canceled_work": "Σ active days of started-then-canceled items × hours/day × engineering rate",
}


@dataclass
class CostModel:
    """Every formula evaluated at low/base/high, and one-at-a-time sensitivity."""

    figures: dict[str, CostFigure]
    low: dict[str, float]
    high: dict[str, float]
    assumptions: dict[str, Assumption]

    def range(self, formula_id: str) -> dict[str, float]:
        base = self.figures[formula_id].cost_per_year
        lo, hi = self.low[formula_id], self.high[formula_id]
        return {"low": round(min(lo, hi, base), 2), "base": round(base, 2), "high": round(max(lo, hi, base), 2)}


def _scenario(table: dict[str, Assumption], which: str, only: str | None = None) -> dict[str, float]:
    values = {a.id: a.value for a in table.values()}
    for a in table.values():
        if only is None or a.id == only:
            values[a.id] = getattr(a, which)
    values["_base.rate.default"] = table["rate.default"].value
    return values


def evaluate(inputs: CostInputs, table: dict[str, Assumption],
             formulas: dict[str, Callable] | None = None) -> CostModel:
    """Evaluate every formula at base, all-low and all-high assumption values."""
    formulas = formulas or FORMULAS
    base, low, high = (_scenario(table, which) for which in ("value", "low", "high"))
    figures = {fid: _figure(inputs, fid, f, base) for fid, f in formulas.items()}
    low = {fid: _figure(inputs, fid, f, low).cost_per_year for fid, f in formulas.items()}
    high = {fid: _figure(inputs, fid, f, high).cost_per_year for fid, f in formulas.items()}
    return CostModel(figures, low, high, table)


def sensitivity(inputs: CostInputs, table: dict[str, Assumption],
                formulas: dict[str, Callable] | None = None) -> pd.DataFrame:
    """Tornado data: total annual cost with each ranged assumption alone at its low and high.

    Columns: assumption, low_value, high_value, total_at_low, total_at_high, swing (|high−low|),
    sorted by swing, largest first. Assumptions without a range are left out.
    """
    formulas = formulas or FORMULAS

    def total(values):
        return sum(_figure(inputs, fid, f, values).cost_per_year for fid, f in formulas.items())

    rows = []
    for a in table.values():
        if a.low == a.high:
            continue
        lo, hi = total(_scenario(table, "value") | {a.id: a.low}), total(_scenario(table, "value") | {a.id: a.high})
        rows.append({"assumption": a.id, "low_value": a.low, "high_value": a.high,
                     "total_at_low": lo, "total_at_high": hi, "swing": abs(hi - lo)})
    frame = pd.DataFrame(rows, columns=["assumption", "low_value", "high_value", "total_at_low",
                                        "total_at_high", "swing"])
    return frame.sort_values("swing", ascending=False, ignore_index=True)

"""Design: pick the ONE ritual to fix first, with evidence, baselines and targets (DESIGN §1 step 2).

The catalog is ``RITUALS`` (data in ``opsdiag.rituals``). :func:`recommend` scores every ritual
against the diagnosis:

* addressed cost = Σ base annual cost of the assessed, non-suppressed findings the ritual lists;
* expected saving = addressed cost × the ritual's ``addressable_fraction`` (an assumption shown
  in the report; ``fractions=`` overrides it), with low/high from the findings' low/high;
* effort = the ritual's team hours per week (attendees × meeting hours × sessions + preparation)
  × ``weeks_per_year``; effort cost = those hours × ``costs.default_rate``;
* saving per effort hour = expected saving / effort hours per year.

Rituals that address a finding of the top-cost lever come first; among them the best saving per
effort hour wins (ties: larger saving, then id). The runner-up is the next in that order, and
the plan says in numbers why it lost. Baselines of the success metrics are computed from the
client's data over the last ``DESIGN_WEEKS`` weeks (``opsdiag.ritual_metrics.BASELINES``); targets
come from the ritual. ``RITUALS`` is importable from here (the registry itself lives in
``opsdiag.rituals``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .ritual_metrics import BASELINES, DESIGN_WEEKS, Baseline
from .rituals import RITUALS, Ritual, SuccessMetric

log = logging.getLogger(__name__)

FALLBACK_RITUAL = "weekly_product_review"


def _config_value(engagement, dotted: str) -> float:
    value = engagement
    for key in dotted.split("."):
        value = value[key] if isinstance(value, dict) else getattr(value, key)
    return float(value)


def target_value(metric: SuccessMetric, baseline: float, engagement) -> float:
    """The target number: baseline × (1 + value) for ``relative``, else the bound (value or config)."""
    if metric.kind == "relative":
        return baseline * (1.0 + metric.value) if np.isfinite(baseline) else float("nan")
    return float(metric.value) if metric.config is None else _config_value(engagement, metric.config)


def _target_text(metric: SuccessMetric, definition: Baseline, target: float) -> str:
    unit = definition.unit
    if metric.kind == "relative":
        if metric.value == 0:
            word = "no lower than" if definition.better == "higher" else "no higher than"
            return f"{word} today ({target:.2f} {unit})" if np.isfinite(target) else f"{word} today"
        change = f"{metric.value:+.0%}"
        return f"{change} vs today (→ {target:.2f} {unit})" if np.isfinite(target) else f"{change} vs today"
    sign = "≤" if metric.kind == "at_most" else "≥"
    source = f" (config {metric.config})" if metric.config else ""
    return f"{sign} {target:.2f} {unit}{source}"


def _met(metric: SuccessMetric, baseline: float, target: float) -> bool | None:
    if not (np.isfinite(baseline) and np.isfinite(target)):
        return None
    if metric.kind == "at_most":
        return bool(baseline <= target)
    if metric.kind == "at_least":
        return bool(baseline >= target)
    return metric.value == 0  # a relative target is met today only when it asks to hold the level


def success_metrics(client, ritual: Ritual, teams=None, weeks: int = DESIGN_WEEKS) -> pd.DataFrame:
    """The ritual's success metrics with baselines from the client's data and their targets.

    Baseline window = the ``weeks`` weeks before as_of; ``teams`` restricts team-scoped metrics
    (None or empty: every team). Columns: metric, label, unit, baseline, n, definition, target,
    target_text, met_now (True when today's value already meets the target; None when unknown).
    """
    end = client.as_of
    start = end - pd.Timedelta(weeks=weeks)
    rows = []
    for metric in ritual.success_metrics:
        definition = BASELINES[metric.metric]
        value, n = definition.compute(client, start, end, list(teams or []))
        target = target_value(metric, value, client.engagement)
        rows.append({"metric": metric.metric, "label": definition.label, "unit": definition.unit,
                     "baseline": value, "n": int(n), "definition": definition.definition, "target": target,
                     "target_text": _target_text(metric, definition, target),
                     "met_now": _met(metric, value, target)})
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "baseline", "n", "definition", "target",
                                       "target_text", "met_now"])


# --- recommendation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One ritual scored against a diagnosis (see the module docstring for every formula)."""

    ritual: str
    addresses_top_lever: bool
    findings: tuple[str, ...]  # addressed finding ids with a cost
    addressed_cost: dict  # low / base / high per year
    fraction: float
    expected_saving: dict  # low / base / high per year
    effort_hours_per_week: float
    effort_hours_per_year: float
    effort_cost_per_year: float
    saving_per_effort_hour: float

    @property
    def name(self) -> str:
        return RITUALS[self.ritual].name

    @property
    def net_saving(self) -> float:
        return self.expected_saving["base"] - self.effort_cost_per_year


def _counted(diagnosis) -> list:
    return [f for lv in diagnosis.levers for f in lv.findings
            if f.needs is None and not f.suppressed and f.cost_per_year["base"] > 0]


def score_rituals(diagnosis, *, weeks_per_year: float, rate: float, fractions: dict | None = None) -> list[Candidate]:
    """Every ritual scored against ``diagnosis``, best first (top-lever rituals first, then saving per hour)."""
    top = diagnosis.top.lever if diagnosis.top is not None else None
    findings = _counted(diagnosis)
    out = []
    for ritual in RITUALS.values():
        mine = [f for f in findings if f.id in ritual.findings]
        fraction = float((fractions or {}).get(ritual.id, ritual.addressable_fraction))
        cost = {k: round(sum(f.cost_per_year[k] for f in mine), 2) for k in ("low", "base", "high")}
        hours = ritual.effort_hours_per_week * weeks_per_year
        saving = {k: round(v * fraction, 2) for k, v in cost.items()}
        out.append(Candidate(ritual.id, any(f.lever == top for f in mine), tuple(f.id for f in mine), cost, fraction,
                             saving, ritual.effort_hours_per_week, round(hours, 1), round(hours * rate, 2),
                             saving["base"] / hours if hours > 0 else 0.0))
    return sorted(out, key=lambda c: (not c.addresses_top_lever, -c.saving_per_effort_hour,
                                      -c.expected_saving["base"], c.ritual))


def _money(value: float, currency: str) -> str:
    from .diagnose import money

    return money(value, currency)


def _why(chosen: Candidate, diagnosis, currency: str) -> str:
    titles = {f.id: f.title for f in diagnosis.findings()}
    top = diagnosis.top
    lead = (f"{top.title} is the costliest lever ({_money(top.cost_per_year['base'], currency)} a year, rank 1). "
            if top is not None else "")
    found = "; ".join(titles.get(f, f) for f in chosen.findings)
    return (f"{lead}{chosen.name} addresses {found} ({_money(chosen.addressed_cost['base'], currency)} a year). "
            f"Assuming it removes {chosen.fraction:.0%} of that, it saves about "
            f"{_money(chosen.expected_saving['base'], currency)} a year (range "
            f"{_money(chosen.expected_saving['low'], currency)}–{_money(chosen.expected_saving['high'], currency)}) "
            f"for {chosen.effort_hours_per_week:.1f} team hours a week — "
            f"{_money(chosen.saving_per_effort_hour, currency)} per hour of effort (the effort itself costs "
            f"{_money(chosen.effort_cost_per_year, currency)} a year).")


def _why_not(chosen: Candidate, runner: Candidate | None, diagnosis, currency: str) -> str:
    if runner is None or runner.expected_saving["base"] <= 0:
        return "No other ritual in the catalog addresses a cost measured in this diagnosis."
    per_hour = (f"{_money(runner.expected_saving['base'], currency)} a year for {runner.effort_hours_per_week:.1f} "
                f"hours a week, {_money(runner.saving_per_effort_hour, currency)} per effort hour")
    if chosen.addresses_top_lever and not runner.addresses_top_lever:
        levers = {f.id: f.lever for f in diagnosis.findings()}
        lever = diagnosis.lever(levers[runner.findings[0]])
        return (f"Runner-up: {runner.name} ({per_hour}). It works on {lever.title.lower()} (rank {lever.rank}, "
                f"{_money(lever.cost_per_year['base'], currency)} a year), not on the costliest lever; fix that "
                f"first and take {runner.name.lower()} next.")
    factor = chosen.saving_per_effort_hour / runner.saving_per_effort_hour if runner.saving_per_effort_hour else np.inf
    effort = runner.effort_hours_per_week / chosen.effort_hours_per_week
    more = (f" It would save more in total, but needs {effort:.1f}× the effort."
            if runner.expected_saving["base"] > chosen.expected_saving["base"] else "")
    return (f"Runner-up: {runner.name} ({per_hour}) — {chosen.name} returns {factor:.1f}× as much per hour "
            f"of effort.{more}")


@dataclass
class RitualPlan:
    """The recommended ritual with its evidence, costs, success metrics and pilot plan."""

    ritual: Ritual
    lever: str | None
    chosen: Candidate
    runner_up: Candidate | None
    why: str
    why_not: str
    candidates: list[Candidate]
    success: pd.DataFrame
    teams: list[str]
    currency: str
    notes: list[str] = field(default_factory=list)

    @property
    def next_steps(self) -> list[str]:
        return [f"Week {s.week}: {s.step}" for s in self.ritual.pilot_plan]

    def as_dict(self) -> dict:
        """The ``summary.json`` section ``recommendation`` (``ritual``, ``name``, ``why``, ``next_steps`` …)."""
        c = self.chosen
        success = self.success.replace({np.nan: None}).to_dict("records")
        return {"ritual": self.ritual.id, "name": self.ritual.name, "why": self.why,
                "why_not_runner_up": self.why_not, "runner_up": self.runner_up.ritual if self.runner_up else None,
                "lever": self.lever, "findings": list(c.findings), "addressable_fraction": c.fraction,
                "expected_saving": c.expected_saving, "effort_hours_per_week": c.effort_hours_per_week,
                "effort_cost_per_year": c.effort_cost_per_year,
                "saving_per_effort_hour": round(c.saving_per_effort_hour, 2),
                "primary_metric": self.ritual.primary_metric, "cadence": self.ritual.cadence,
                "duration_minutes": self.ritual.duration_minutes, "pilot_sprints": self.ritual.pilot_sprints,
                "teams": self.teams, "success_metrics": success, "next_steps": self.next_steps,
                "notes": list(self.notes), "currency": self.currency}


def recommend(client, diagnosis=None, *, fractions: dict | None = None, weeks: int = DESIGN_WEEKS) -> RitualPlan:
    """Pick the ritual for the top-cost lever with the best expected saving per effort hour.

    ``diagnosis`` defaults to ``opsdiag.diagnose.diagnose(client)``; ``fractions`` overrides
    addressable fractions by ritual id. Without any measured cost the plan falls back to the
    weekly product review (a single place for status and decisions) and says so.
    """
    if diagnosis is None:
        from .diagnose import diagnose

        diagnosis = diagnose(client)
    costs = client.engagement.costs
    currency = client.engagement.currency
    ranked = score_rituals(diagnosis, weeks_per_year=costs.weeks_per_year, rate=costs.default_rate,
                           fractions=fractions)
    useful = [c for c in ranked if c.expected_saving["base"] > 0]
    notes = []
    if useful:
        chosen, runner = useful[0], (useful[1] if len(useful) > 1 else None)
        why = _why(chosen, diagnosis, currency)
    else:
        chosen = next(c for c in ranked if c.ritual == FALLBACK_RITUAL)
        runner = None
        why = ("No lever has a measured cost yet, so no ritual can be priced. The weekly product review is the "
               "default first step: one place for status and decisions, which also produces the data the next "
               "diagnosis needs.")
    why_not = _why_not(chosen, runner, diagnosis, currency)
    pilot = client.engagement.pilot
    teams = list(pilot.teams) if pilot is not None else []
    if pilot is not None and pilot.ritual and pilot.ritual != chosen.ritual:
        notes.append(f"The pilot in engagement.yaml runs {pilot.ritual!r}: the consultant's choice, not this "
                     "recommendation.")
    if useful and chosen.net_saving < 0:
        notes.append(f"At these figures the effort ({_money(chosen.effort_cost_per_year, currency)} a year) exceeds "
                     f"the expected saving ({_money(chosen.expected_saving['base'], currency)}): run a lighter "
                     "version (shorter, fewer people) or check the cost assumptions before the pilot.")
    ritual = RITUALS[chosen.ritual]
    success = success_metrics(client, ritual, teams, weeks)
    log.info("recommended %s (runner-up %s)", chosen.ritual, runner.ritual if runner else None)
    return RitualPlan(ritual, diagnosis.top.lever if diagnosis.top is not None else None, chosen, runner, why,
                      why_not, ranked, success, teams, currency, notes)


# --- tables for the notebook -------------------------------------------------------------------

def plan_table(plan: RitualPlan) -> pd.DataFrame:
    """The plan on one page: ``item, value`` rows (ritual, why, cadence, people, effort, saving, target …)."""
    r, c = plan.ritual, plan.chosen
    primary = plan.success[plan.success["metric"] == r.primary_metric]
    target = primary["target_text"].iloc[0] if len(primary) else "see success metrics"
    rows = [("Ritual", r.name), ("Purpose", r.purpose), ("Why this one", plan.why),
            ("Why not the runner-up", plan.why_not), ("Cadence", r.cadence),
            ("Duration", f"{r.duration_minutes} min"),
            ("Attendees", ", ".join(f"{a.count}× {a.role}" if a.count > 1 else a.role for a in r.attendees)),
            ("Effort", f"{c.effort_hours_per_week:.1f} team hours a week ({c.effort_hours_per_year:,.0f} h a year)"),
            ("Expected saving", f"{_money(c.expected_saving['base'], plan.currency)} a year "
                                f"(assumes {c.fraction:.0%} of the addressed cost: {r.fraction_basis})"),
            ("Primary metric", f"{r.primary_metric}: {target}"),
            ("Pilot", f"{r.pilot_sprints} sprints" + (f" with {', '.join(plan.teams)}" if plan.teams else "")),
            ("Inputs", "; ".join(r.inputs)), ("Outputs", "; ".join(r.outputs))]
    rows += [("Note", note) for note in plan.notes]
    return pd.DataFrame(rows, columns=["item", "value"])


def agenda_table(plan: RitualPlan) -> pd.DataFrame:
    """The timed agenda: start and end minute, minutes, topic, lead."""
    minutes = np.array([a.minutes for a in plan.ritual.agenda], dtype="int64")
    ends = np.cumsum(minutes)
    return pd.DataFrame({"from_min": ends - minutes, "to_min": ends, "minutes": minutes,
                         "topic": [a.topic for a in plan.ritual.agenda], "lead": [a.lead for a in plan.ritual.agenda]})


def attendees_table(plan: RitualPlan) -> pd.DataFrame:
    """Who attends: role, count, why."""
    return pd.DataFrame([(a.role, a.count, a.why) for a in plan.ritual.attendees], columns=["role", "count", "why"])


def pilot_plan_table(plan: RitualPlan) -> pd.DataFrame:
    """The week-by-week pilot plan: week, step."""
    return pd.DataFrame([(s.week, s.step) for s in plan.ritual.pilot_plan], columns=["week", "step"])


def success_table(plan: RitualPlan) -> pd.DataFrame:
    """Success metrics with today's baseline (from the data), n, target and whether it is met already."""
    return plan.success[["label", "unit", "baseline", "n", "target_text", "met_now", "definition"]].copy()


def candidates_table(plan: RitualPlan) -> pd.DataFrame:
    """Every ritual as scored: addresses the top lever, addressed cost, fraction, saving, effort, per hour."""
    rows = [{"ritual": c.name, "top_lever": c.addresses_top_lever, "findings": ", ".join(c.findings),
             "addressed_cost": c.addressed_cost["base"], "fraction": c.fraction,
             "expected_saving": c.expected_saving["base"], "effort_hours_per_week": c.effort_hours_per_week,
             "saving_per_effort_hour": c.saving_per_effort_hour, "net_saving": c.net_saving,
             "chosen": c.ritual == plan.chosen.ritual} for c in plan.candidates]
    return pd.DataFrame(rows)


def catalog_table() -> pd.DataFrame:
    """The whole ritual catalog: id, name, levers, cadence, minutes, effort, fraction, primary metric."""
    return pd.DataFrame([{"id": r.id, "name": r.name, "levers": ", ".join(r.levers), "cadence": r.cadence,
                          "minutes": r.duration_minutes, "effort_hours_per_week": r.effort_hours_per_week,
                          "addressable_fraction": r.addressable_fraction, "primary_metric": r.primary_metric}
                         for r in RITUALS.values()])


# --- backlog scorecard -------------------------------------------------------------------------

@dataclass
class BacklogScorecard:
    """The open backlog scored with RICE and WSJF (= CD3 in relative units) against its current order.

    ``table``: ``metrics.prioritization.score_backlog`` (current order). ``movers``: the ``top``
    items whose rank would move most under RICE (ties: WSJF move, then current rank).
    ``summary``: open items, items with customer reach, Spearman rank correlation of the current
    order with the RICE and WSJF orders (1 = same order), and how many of the current top ``top``
    stay in the RICE top ``top``.
    """

    table: pd.DataFrame
    movers: pd.DataFrame
    summary: dict


def backlog_scorecard(client, top: int = 10) -> BacklogScorecard:
    """Score the client's open backlog (RICE, WSJF/CD3) and show what would change in the order."""
    from .metrics.prioritization import score_backlog

    table = score_backlog(client.dataset.work_items, client.dataset.feedback, client.flow)
    movers = (table.assign(_move=table["rice_rank_change"].abs(), _wsjf=table["wsjf_rank_change"].abs())
              .sort_values(["_move", "_wsjf", "current_rank"], ascending=[False, False, True])
              .head(top).drop(columns=["_move", "_wsjf"]).reset_index(drop=True))
    n = len(table)

    def spearman(column: str) -> float | None:
        return round(float(table["current_rank"].corr(table[column], method="spearman")), 3) if n > 1 else None

    kept = int(((table["current_rank"] <= top) & (table["rice_rank"] <= top)).sum())
    summary = {"open_items": n, "items_with_reach": int((table["reach"] > 0).sum()),
               "spearman_rice": spearman("rice_rank"), "spearman_wsjf": spearman("wsjf_rank"),
               "top": min(top, n), "top_kept_under_rice": kept}
    return BacklogScorecard(table, movers, summary)

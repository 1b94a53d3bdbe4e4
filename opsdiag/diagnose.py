"""The diagnosis: findings per lever, priced by the cost model, ranked by base annual cost.

A lever is *assessed* when the data its findings need is present; a lever without data is
"not assessed" with the export that would assess it — never healthy. Assessed levers are
ranked by base annual cost (rank 1 = biggest); unassessed levers follow with rank None.
Consultant overrides from config (``suppress``) remove a finding from the ranking and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import cost as cost_mod
from .routing import route

LEVERS = ("prioritization", "delivery", "feedback", "analytics", "tooling", "handoffs")

NEEDS = {
    "handoffs": "status history: Jira REST JSON with changelog, a Trello board JSON, or transitions.csv",
    "delivery": "releases with planned and released dates (releases.csv or Jira fix versions) or the time survey",
    "feedback": "a feedback export (Zendesk, Intercom, Productboard, Canny or feedback.csv) or the time survey",
    "analytics": "product events (events.csv) or the time survey (people.csv with hours_data_pulls)",
    "tooling": "the tool inventory (tools.csv) or the time survey (people.csv with hours_tool_admin)",
    "prioritization": "status history with canceled items, priority changes, or feedback linked to work items",
}

LEVER_TITLES = {
    "handoffs": "Cross-functional handoffs", "delivery": "Delivery and release cadence",
    "feedback": "Customer feedback loops", "analytics": "Product analytics",
    "tooling": "Tooling", "prioritization": "Prioritization",
}

# formula id -> (finding id, founder-language title)
COST_FINDINGS = {
    "handoff_delay": ("handoffs.queue_delay", "Work waits in queues between roles"),
    "rework": ("handoffs.rework", "Work bounces back for rework"),
    "survey_waste.coordination_meetings": ("handoffs.coordination_hours", "Hours in coordination meetings"),
    "release_slip": ("delivery.release_slip", "Releases ship later than planned"),
    "pipeline_delay": ("delivery.pipeline_wait", "Finished work waits for deployment"),
    "survey_waste.status_chasing": ("delivery.status_chasing_hours", "Hours chasing status updates"),
    "feedback_delay": ("feedback.triage_delay", "Customer requests wait for triage"),
    "survey_waste.feedback_triage": ("feedback.triage_hours", "Hours sorting feedback by hand"),
    "survey_waste.data_pulls": ("analytics.data_pull_hours", "Hours pulling data by hand"),
    "unused_seat_spend": ("tooling.unused_seats", "Paid seats nobody uses"),
    "duplicate_tool_spend": ("tooling.duplicate_tools", "Several tools doing one job"),
    "survey_waste.tool_admin": ("tooling.admin_hours", "Hours administering tools"),
    "canceled_work": ("prioritization.canceled_work", "Work started, then thrown away"),
}

# which tables make a formula's figure meaningful (else the finding is "not assessed")
FORMULA_DATA = {
    "handoff_delay": ("transitions",), "rework": ("transitions",), "pipeline_delay": ("transitions",),
    "release_slip": ("releases",), "feedback_delay": ("feedback",),
    "unused_seat_spend": ("tools",), "duplicate_tool_spend": ("tools",), "canceled_work": ("transitions",),
    **{f"survey_waste.{c}": ("people",) for c in cost_mod.SURVEY_LEVERS},
}


@dataclass
class Finding:
    """One measured fact about a lever, with its price and the evidence behind it (DESIGN §7)."""

    id: str
    lever: str
    metric: str
    title: str
    value: float | None
    unit: str
    threshold: dict | None
    severity: str
    hours_per_year: float
    cost_per_year: dict
    formula_id: str | None
    assumptions: list[str]
    owner_function: str
    evidence: list[str]
    needs: str | None = None
    suppressed: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "lever": self.lever, "metric": self.metric, "title": self.title,
                "value": None if self.value is None else round(float(self.value), 3), "unit": self.unit,
                "threshold": self.threshold, "severity": self.severity,
                "hours_per_year": round(float(self.hours_per_year), 1), "cost_per_year": self.cost_per_year,
                "formula_id": self.formula_id, "formula": cost_mod.FORMULA_TEXT.get(self.formula_id or ""),
                "assumptions": list(self.assumptions), "owner_function": self.owner_function,
                "evidence": list(self.evidence), "needs": self.needs, "suppressed": self.suppressed}


@dataclass
class LeverResult:
    lever: str
    rank: int | None
    assessed: bool
    cost_per_year: dict
    hours_per_year: float
    findings: list[Finding]
    needs: str | None = None

    @property
    def title(self) -> str:
        return LEVER_TITLES[self.lever]

    def as_dict(self) -> dict:
        return {"lever": self.lever, "rank": self.rank, "assessed": self.assessed,
                "cost_per_year": self.cost_per_year, "hours_per_year": round(self.hours_per_year, 1),
                "findings": [f.as_dict() for f in self.findings], "needs": self.needs}


@dataclass
class Diagnosis:
    client: str
    as_of: str
    currency: str
    levers: list[LeverResult]
    model: cost_mod.CostModel
    sensitivity: pd.DataFrame
    signs: list = field(default_factory=list)

    @property
    def ranked(self) -> list[LeverResult]:
        return [lv for lv in self.levers if lv.assessed]

    @property
    def top(self) -> LeverResult | None:
        ranked = self.ranked
        return ranked[0] if ranked and ranked[0].cost_per_year["base"] > 0 else None

    def lever(self, name: str) -> LeverResult:
        return next(lv for lv in self.levers if lv.lever == name)

    def findings(self) -> list[Finding]:
        return [f for lv in self.levers for f in lv.findings]

    def as_dict(self) -> dict:
        return {"client": self.client, "as_of": self.as_of, "currency": self.currency,
                "levers": [lv.as_dict() for lv in self.levers],
                "signs": [s.as_dict() for s in self.signs],
                "assumptions": [a.as_dict() for a in self.model.assumptions.values()],
                "sensitivity": self.sensitivity.round(2).to_dict("records")}


def _severity(base: float, total: float) -> str:
    """high: ≥ 30 % of the client's total base cost; medium: ≥ 10 %; low: > 0; none: 0."""
    if base <= 0 or total <= 0:
        return "none"
    share = base / total
    return "high" if share >= 0.3 else "medium" if share >= 0.1 else "low"


def _threshold(figure: cost_mod.CostFigure, table: dict) -> dict | None:
    healthy = [a for a in figure.assumptions if a.startswith("healthy")]
    if not healthy:
        return None
    a = table[healthy[0]]
    return {"value": a.value, "unit": a.unit, "source": f"engagement config {a.source} (default)"}


def cost_findings(client, model: cost_mod.CostModel) -> list[Finding]:
    """One finding per cost formula, priced low/base/high, with evidence ids and routing."""
    total = sum(f.cost_per_year for f in model.figures.values())
    out = []
    for formula_id, (finding_id, title) in COST_FINDINGS.items():
        if formula_id not in model.figures:
            continue
        figure = model.figures[formula_id]
        lever, metric = finding_id.split(".", 1)
        has_data = client.dataset.has(*FORMULA_DATA[formula_id])
        if formula_id.startswith("survey_waste."):
            column = "hours_" + formula_id.split(".", 1)[1]
            has_data = has_data and client.dataset.people[column].notna().any()
        out.append(Finding(
            id=finding_id, lever=lever, metric=metric, title=title,
            value=figure.quantity if has_data else None, unit=figure.quantity_unit + " per year",
            threshold=_threshold(figure, model.assumptions), severity=_severity(figure.cost_per_year, total)
            if has_data else "not_assessed",
            hours_per_year=figure.hours_per_year, cost_per_year=model.range(formula_id),
            formula_id=formula_id, assumptions=list(figure.assumptions),
            owner_function=route(finding_id, client, figure), evidence=list(figure.evidence[:50]),
            needs=None if has_data else NEEDS[lever]))
    return out


def _apply_overrides(findings: list[Finding], overrides) -> None:
    for override in overrides:
        for f in findings:
            if f.id == override.finding and override.action == "suppress":
                f.suppressed = override.reason or "suppressed by the consultant"


def _zero() -> dict:
    return {"low": 0.0, "base": 0.0, "high": 0.0}


def diagnose(client) -> Diagnosis:
    """Price every finding, group by lever and rank the levers by base annual cost."""
    from .signs import warning_signs

    table = cost_mod.assumptions(client.engagement.costs)
    inputs = cost_mod.CostInputs.from_client(client)
    model = cost_mod.evaluate(inputs, table)
    findings = cost_findings(client, model)
    _apply_overrides(findings, client.engagement.overrides)
    levers = []
    for lever in LEVERS:
        mine = [f for f in findings if f.lever == lever]
        assessed_findings = [f for f in mine if f.needs is None]
        counted = [f for f in assessed_findings if not f.suppressed]
        cost = _zero()
        for f in counted:
            for k in cost:
                cost[k] = round(cost[k] + f.cost_per_year[k], 2)
        hours = sum(f.hours_per_year for f in counted)
        mine.sort(key=lambda f: (f.needs is not None, -f.cost_per_year["base"]))
        levers.append(LeverResult(lever, None, bool(assessed_findings), cost, hours, mine,
                                  None if assessed_findings else NEEDS[lever]))
    assessed = sorted((lv for lv in levers if lv.assessed), key=lambda lv: -lv.cost_per_year["base"])
    for rank, lv in enumerate(assessed, start=1):
        lv.rank = rank
    ordered = assessed + [lv for lv in levers if not lv.assessed]
    diagnosis = Diagnosis(client.name, client.as_of_date.isoformat(), client.engagement.currency, ordered,
                          model, cost_mod.sensitivity(inputs, table))
    diagnosis.signs = warning_signs(client, diagnosis, inputs.release_slippage())
    return diagnosis


def money(value: float, currency: str = "") -> str:
    """Money for people: 12,300 → "12.3k", 1,250,000 → "1.25M" (with the currency code)."""
    v = float(value)
    text = f"{v / 1e6:.2f}M" if abs(v) >= 1e6 else f"{v / 1e3:.1f}k" if abs(v) >= 1e3 else f"{v:.0f}"
    return f"{currency} {text}".strip()


def render_text(diagnosis: Diagnosis) -> str:
    """The ranking as plain text for the terminal."""
    cur = diagnosis.currency
    lines = [f"{diagnosis.client} — diagnosis as of {diagnosis.as_of}", ""]
    for lv in diagnosis.levers:
        if lv.assessed:
            c = lv.cost_per_year
            lines.append(f"{lv.rank}. {lv.title}: {money(c['base'], cur)} per year "
                         f"(range {money(c['low'], cur)}–{money(c['high'], cur)}), {lv.hours_per_year:,.0f} h")
            for f in lv.findings:
                if f.needs is None and f.cost_per_year["base"] > 0:
                    note = f" [suppressed: {f.suppressed}]" if f.suppressed else ""
                    lines.append(f"     - {f.title}: {money(f.cost_per_year['base'], cur)} "
                                 f"({f.formula_id}; owner {f.owner_function}){note}")
        else:
            lines.append(f"-. {lv.title}: not assessed — needs {lv.needs}")
    if diagnosis.signs:
        lines += ["", "Warning signs:"]
        lines += [f"  [{s.status}] {s.title}" + (f" — {s.detail}" if s.detail else "") for s in diagnosis.signs]
    return "\n".join(lines)

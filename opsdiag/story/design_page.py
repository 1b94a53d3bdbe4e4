"""The design page's sections (``02_design``): the one ritual, its plan and the backlog scorecard."""

from __future__ import annotations

from .. import display
from ..diagnose import money
from ._common import rich


def recommendation(plan) -> display.Rich:
    """The recommended ritual, why, why not the runner-up, and what it is expected to save."""
    c = plan.chosen
    cur = plan.currency
    saving = c.expected_saving
    parts = [display.callout_html(f"Run first: {plan.ritual.name}", plan.why, "good"),
             display.kpis_html({"Expected saving per year": money(saving["base"], cur),
                                "Range": f"{money(saving['low'], cur)}–{money(saving['high'], cur)}",
                                "Team effort (hours/week)": c.effort_hours_per_week,
                                "Saving per hour of effort": money(c.saving_per_effort_hour, cur)},
                               {"Team effort (hours/week)": "{:.1f}"})]
    if plan.why_not:
        parts.append(display.callout_html("Why not the runner-up", plan.why_not, "info"))
    for note in plan.notes:
        parts.append(display.callout_html("Note", note, "warn"))
    return rich(parts, f"recommend {plan.ritual.id}")


def ritual_card(plan) -> display.Rich:
    """How the ritual runs: the plan at a glance, the timed agenda and who attends."""
    from ..design import agenda_table, attendees_table, plan_table

    return rich([display.table_html(plan_table(plan), "The ritual at a glance"),
                 display.table_html(agenda_table(plan), "Agenda (minutes)"),
                 display.table_html(attendees_table(plan), "Who attends")], plan.ritual.name)


def success(plan) -> display.Rich:
    """Success metrics: today's baseline from the client's data and the stated target."""
    from ..design import success_table

    return rich([display.table_html(success_table(plan), "Success metrics: baseline from your data, target",
                                    formats={"baseline": "{:,.2f}"})], "success metrics")


def pilot_plan(plan) -> display.Rich:
    """The 2–4 sprint pilot, week by week."""
    from ..design import pilot_plan_table

    return rich([display.table_html(pilot_plan_table(plan), f"Pilot plan ({plan.ritual.pilot_sprints} sprints)")],
                "pilot plan")


def candidates(plan) -> display.Rich:
    """Every ritual in the catalog scored on this client: saving, effort, saving per effort hour."""
    from ..design import candidates_table

    cur = plan.currency
    table = candidates_table(plan)
    fmt = {c: (lambda v, cur=cur: money(v, cur)) for c in ("addressed_cost", "expected_saving", "net_saving",
                                                          "saving_per_effort_hour") if c in table}
    return rich([display.table_html(table, "All rituals scored on this client", formats=fmt | {"fraction": "{:.0%}"})],
                "candidates")


def backlog(client, top: int = 10) -> display.Rich:
    """The open backlog scored with RICE and WSJF/CD3: how the order would change."""
    from ..design import backlog_scorecard

    card = backlog_scorecard(client, top=top)
    s = card.summary
    if not s.get("open_items"):
        return rich([display.callout_html("No open backlog to score", "", "info")], "no backlog")
    parts = [display.kpis_html({"Open items scored": s["open_items"], "With customer evidence": s["items_with_reach"],
                                "Order agreement with RICE (Spearman)": s.get("spearman_rice"),
                                f"Today's top {s['top']} kept under RICE": s.get("top_kept_under_rice")},
                               {"Order agreement with RICE (Spearman)": "{:.2f}"})]
    shown = card.movers[[c for c in ("item_id", "title", "priority", "reach", "rice", "wsjf", "current_rank",
                                     "rice_rank", "wsjf_rank", "rice_rank_change") if c in card.movers]]
    parts.append(display.table_html(shown, "Items whose rank would move most under RICE",
                                    formats={"rice": "{:.2f}", "wsjf": "{:.2f}"}))
    return rich(parts, "backlog scorecard")

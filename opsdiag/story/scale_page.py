"""The scale page's sections (``04_scale``): forecasts, the dashboard, tools, automation, what next."""

from __future__ import annotations

import datetime as dt

from .. import display
from ..diagnose import money
from ._common import close_figures, figure, rich

FORECAST_WEEKS = 12  # "how many by this date" looks this far ahead of as_of


def open_items(client) -> int:
    """Included items not finished or canceled at as_of (the backlog the forecast is about)."""
    flow = client.flow
    return int((flow["included"] & flow["phase"].isin(["backlog", "committed"])).sum())


def forecasts(client):
    """The two forecasts the page shows: when the open items are done, and how many in 12 weeks."""
    from ..forecast import make_forecast

    n = open_items(client)
    by = client.as_of_date + dt.timedelta(weeks=FORECAST_WEEKS)
    return (make_forecast(client, items=n) if n else None), make_forecast(client, by=by.isoformat())


def forecast_view(client) -> display.Rich:
    """Monte Carlo answers with their backtest: hit rate of past 85 % forecasts on this team's history."""
    from ..plots.scale import plot_backtest, plot_forecast

    items, by = forecasts(client)
    parts = []
    if items is not None:
        parts.append(display.table_html(items.table(), f"When will the {items.target} open items be done?"))
        parts.append(figure(plot_forecast(items), "Distribution of simulated finish dates with 50, 85 and 95 % lines"))
    parts.append(display.table_html(by.table(), f"How many items by {by.target.isoformat()}?"))
    hit = by.backtest.hit_rate(85)
    parts.append(display.kpis_html({"Past 85 % forecasts that came true": hit,
                                    "Past forecasts checked": len(by.backtest.forecasts),
                                    "Weeks of history used": len(by.window)}, {"Past 85 % forecasts that came true": "{:.0%}"}))
    parts.append(figure(plot_backtest(by.backtest), "Backtest: 85 % forecasts made in the past against what happened"))
    close_figures()
    return rich(parts, "forecasts")


def dashboard_view(client) -> display.Rich:
    """The weekly dashboard (exported as CSV for the client's BI tool) and each metric's target."""
    from ..plots.scale import plot_dashboard
    from ..scale import dashboard_summary, weekly_dashboard

    board = weekly_dashboard(client)
    summary = dashboard_summary(client, board)
    parts = [figure(plot_dashboard(board), "Small multiples of the weekly dashboard metrics"),
             display.table_html(summary, "Dashboard metrics: definition, latest value and target", max_rows=20)]
    close_figures()
    return rich(parts, "dashboard")


def tools_view(client) -> display.Rich:
    """The tool consolidation plan: keep, retire or cut seats, with the annual savings."""
    from ..scale import tool_consolidation_plan

    plan = tool_consolidation_plan(client)
    if plan.empty:
        return rich([display.callout_html("No tool spend to cut", "No duplicate tools or unused seats were found "
                                          "(or no tool inventory was received).", "good")], "no tool plan")
    cur = client.engagement.currency
    fmt = {c: (lambda v, cur=cur: money(v, cur)) for c in plan.columns if "saving" in c or "cost" in c}
    return rich([display.table_html(plan, "Tool consolidation plan", formats=fmt)], "tool plan")


def automation_view(client) -> display.Rich:
    """Automation candidates from the time survey: hours above healthy and what to automate."""
    from ..scale import automation_candidates

    table = automation_candidates(client)
    if table.empty:
        return rich([display.callout_html("No manual work above healthy levels", "", "good")], "no automation")
    cur = client.engagement.currency
    shown = table.drop(columns=[c for c in ("person_ids", "survey_column") if c in table])
    return rich([display.table_html(shown, "Automation candidates", formats={
        "annual_cost": lambda v: money(v, cur), "annual_hours": "{:,.0f}", "hours_per_week_above_healthy": "{:.1f}"})],
        "automation")


def next_view(client, diagnosis, ritual_id: str) -> display.Rich:
    """The next bottleneck to attack once the ritual is in place."""
    from ..scale import next_bottleneck

    nb = next_bottleneck(client, diagnosis, ritual_id)
    if nb is None:
        return rich([display.callout_html("No other priced bottleneck", "Re-run the diagnosis after the pilot.",
                                          "good")], "no next bottleneck")
    return rich([display.callout_html(f"Next bottleneck: {nb.title}", nb.why, "warn")], nb.title)

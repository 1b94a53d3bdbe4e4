"""The executive summary (``index.html``) of one client's report, and the batch index.

Both are rendered from ``summary.json`` content only (never from the notebooks), by Jinja
templates in ``templates/pages`` with autoescaping on: every client string is escaped. A
section whose producer has not run says "not assessed yet".
"""

from __future__ import annotations

from .render import PageContext, cover_html, footer_html, nav_html, page_css, pages_jinja
from ..display import format_value

LEVER_LABELS = {
    "prioritization": "Prioritization", "delivery": "Delivery and releases",
    "feedback": "Customer feedback", "analytics": "Metrics and analytics",
    "tooling": "Tooling", "handoffs": "Handoffs between functions",
}
VERDICT_LABELS = {
    "improved": "Improved", "no_change": "No clear change", "worse": "Worse",
    "not_enough_data": "Not enough data yet",
}
NOT_ASSESSED = "Not assessed yet."


def money(value, currency: str) -> str:
    """``EUR 48,300`` (whole units); an en dash when missing."""
    if value is None:
        return "–"
    return f"{currency} {float(value):,.0f}"


def ritual_label(recommendation: dict) -> str:
    name = recommendation.get("name") or recommendation.get("title")
    ritual = recommendation.get("ritual") or ""
    return str(name or str(ritual).replace("_", " ").capitalize() or "–")


def _bottleneck(summary: dict, currency: str) -> dict:
    diagnosis = summary.get("diagnosis")
    if not diagnosis:
        return {"status": "not_assessed", "text": NOT_ASSESSED}
    ranked = sorted((lv for lv in diagnosis.get("levers", []) if lv.get("assessed") and lv.get("rank")),
                    key=lambda lv: lv["rank"])
    if not ranked:
        return {"status": "none", "text": "No lever could be assessed with the data received."}
    top = ranked[0]
    cost = top.get("cost_per_year") or {}
    findings = sorted(top.get("findings") or [], key=lambda f: -((f.get("cost_per_year") or {}).get("base") or 0))
    return {
        "status": "ok",
        "lever": LEVER_LABELS.get(top.get("lever"), str(top.get("lever"))),
        "low": money(cost.get("low"), currency), "base": money(cost.get("base"), currency),
        "high": money(cost.get("high"), currency),
        "hours": format_value(top.get("hours_per_year")),
        "findings": [str(f.get("id") or f.get("metric") or "") for f in findings[:3]],
        "others": [{"lever": LEVER_LABELS.get(lv.get("lever"), str(lv.get("lever"))),
                    "base": money((lv.get("cost_per_year") or {}).get("base"), currency)} for lv in ranked[1:]],
    }


def _ritual(summary: dict) -> dict:
    recommendation = summary.get("recommendation")
    if not recommendation:
        return {"status": "not_assessed", "text": NOT_ASSESSED}
    return {"status": "ok", "name": ritual_label(recommendation), "why": str(recommendation.get("why") or "")}


def _pilot(summary: dict) -> dict:
    pilot = summary.get("pilot")
    if not pilot:
        return {"status": "not_assessed", "text": NOT_ASSESSED}
    verdict = pilot.get("verdict")
    metrics = [m for m in pilot.get("metrics") or [] if m.get("verdict") is not None]
    lines = [f"{str(m.get('metric', '')).replace('_', ' ')}: {format_value(m.get('baseline'))} → "
             f"{format_value(m.get('pilot'))} ({VERDICT_LABELS.get(m.get('verdict'), m.get('verdict'))})"
             for m in metrics[:3]]
    return {"status": "ok", "verdict": VERDICT_LABELS.get(verdict, str(verdict)), "lines": lines}


def _forecast(summary: dict) -> dict:
    forecast = summary.get("forecast")
    if not forecast:
        return {"status": "not_assessed", "text": NOT_ASSESSED}
    target = (f"{forecast['items']} items" if forecast.get("items") is not None
              else f"by {forecast.get('by')}" if forecast.get("by") else "")
    return {"status": "ok", "target": target,
            "p50": format_value(forecast.get("p50")), "p85": format_value(forecast.get("p85"))}


def next_steps(summary: dict) -> list[str]:
    """What to do next: the recommendation's own steps, else derived from how far the work got."""
    recommendation = summary.get("recommendation") or {}
    if recommendation.get("next_steps"):
        return [str(s) for s in recommendation["next_steps"]]
    steps = []
    for lever in (summary.get("diagnosis") or {}).get("levers", []):
        needs = lever.get("needs") or next((f.get("needs") for f in lever.get("findings") or [] if f.get("needs")),
                                           None)
        if not lever.get("assessed") and needs:
            steps.append(f"Ask for {needs} to assess {LEVER_LABELS.get(lever.get('lever'), lever.get('lever'))}.")
    pilot = summary.get("pilot") or {}
    if not summary.get("diagnosis"):
        steps.insert(0, "Complete the diagnosis: review what was received and fill the gaps (Diagnose page).")
    elif not recommendation:
        steps.insert(0, "Choose the one ritual to fix the top bottleneck first (Design page).")
    elif pilot.get("verdict") in (None, "not_enough_data"):
        steps.insert(0, f"Pilot the {ritual_label(recommendation).lower()} with one team for 2–4 sprints "
                        "and measure before and after (Deploy page).")
    elif pilot.get("verdict") == "improved":
        steps.insert(0, f"Scale the {ritual_label(recommendation).lower()} to the other teams and hand "
                        "the dashboards over (Scale page).")
    else:
        steps.insert(0, "Review the pilot with the team: adjust the ritual or move to the next lever.")
    return steps[:5]


def kpi_cards(summary: dict) -> list[tuple[str, str]]:
    flow = summary.get("flow") or {}
    inspect = summary.get("inspect") or {}
    cards = [("Items analysed", flow.get("items")), ("Completed", flow.get("completed")),
             ("Median cycle time (days)", flow.get("median_cycle_time_days")),
             ("Files received", len(inspect.get("files", [])) if inspect else None),
             ("Data-quality findings", len(inspect.get("quality", [])) if inspect else None)]
    return [(label, format_value(value)) for label, value in cards]


def page_context(summary: dict, pages: list[tuple[str, str | None]], logo_uri: str | None = None) -> PageContext:
    """The cover/navigation context of a client's pages, from ``summary.json`` content."""
    report = (summary.get("config") or {}).get("report") or {}
    return PageContext(client=summary.get("client", ""), title=report.get("title") or "Product operations diagnostic",
                       consultant=report.get("consultant") or "", as_of=summary.get("as_of", ""),
                       brand_color=report.get("brand_color"), logo_uri=logo_uri, pages=pages,
                       parameters=summary.get("parameters") or {})


def render_index(summary: dict, pages: list[tuple[str, str | None]], logo_uri: str | None = None) -> str:
    """The executive summary page (HTML text) of one client's report.

    ``pages`` is the navigation list ``(label, href or None)``, the index first.
    """
    ctx = page_context(summary, pages, logo_uri)
    currency = (summary.get("config") or {}).get("currency") or ""
    return pages_jinja().get_template("index.html.j2").render(
        css=page_css(ctx.brand_color), ctx=ctx,
        nav=nav_html(pages, "index.html"), cover=cover_html(ctx, "Executive summary"), footer=footer_html(ctx),
        kpis=kpi_cards(summary), bottleneck=_bottleneck(summary, currency), ritual=_ritual(summary),
        pilot=_pilot(summary), forecast=_forecast(summary), steps=next_steps(summary),
        phase_pages=[(label, href) for label, href in pages if href != "index.html"],
        handback=bool(summary.get("handback")),
    )


def render_batch_index(result: dict, title: str = "opsdiag batch") -> str:
    """The batch index: every client with its status, headline numbers and report link."""
    return pages_jinja().get_template("batch.html.j2").render(
        css=page_css(None), title=title, clients=result.get("clients", []), fmt=format_value,
        version=result.get("opsdiag_version", ""))

"""The diagnose page's sections (``01_diagnose``).

Each function takes a ``Client`` and/or ``Diagnosis`` and returns one ``display.Rich`` object,
so a notebook cell is one line (``story.signs(diagnosis)``). Nothing here computes a metric:
it calls ``opsdiag.metrics``, ``opsdiag.diagnose`` and ``opsdiag.plots`` and lays the results
out for a founder. All client text goes through ``display``'s escaping.
"""

from __future__ import annotations

import pandas as pd

from .. import display
from ._common import close_figures as _close, rich as _rich
from ..diagnose import LEVER_TITLES, Diagnosis, money
from ..routing import FUNCTIONS

STATUS_TONE = {"red": "bad", "amber": "warn", "green": "good", "not_measured": "info"}
STATUS_LABEL = {"red": "● red", "amber": "● amber", "green": "● green", "not_measured": "○ not measured"}


def received(client) -> display.Rich:
    """What we received: files, rows, date spans and data-quality findings."""
    from ..inspect import inspect_payload

    payload = inspect_payload(client)
    tables = pd.DataFrame([{"table": name, "rows": t["rows"], "from": (t["start"] or "")[:10],
                            "to": (t["end"] or "")[:10]} for name, t in payload["tables"].items() if t["rows"]])
    files = pd.DataFrame(payload["files"], columns=["path", "format", "rows"])
    parts = [display.kpis_html({"Files read": len(files), "Work items": payload["tables"]["work_items"]["rows"],
                                "Status changes": payload["tables"]["transitions"]["rows"],
                                "As of": payload["as_of"]}),
             display.table_html(files, "Files read"), display.table_html(tables, "Tables and date spans")]
    if payload["unrecognized"]:
        parts.append(display.table_html(pd.DataFrame(payload["unrecognized"]), "Files not read"))
    quality = pd.DataFrame(payload["quality"], columns=["check", "severity", "count", "message", "examples"])
    if not quality.empty:
        quality["examples"] = quality["examples"].map(lambda e: ", ".join(e[:5]))
    parts.append(display.table_html(quality, "Data-quality findings (they limit what the numbers can say)"))
    return _rich(parts, f"{len(files)} files read")


def signs(diagnosis: Diagnosis) -> display.Rich:
    """The six warning signs scorecard, with the answer to "do we need product ops?"."""
    frame = pd.DataFrame([{"sign": s.title, "status": STATUS_LABEL[s.status],
                           "what we measured": s.detail or "", "threshold": s.threshold} for s in diagnosis.signs])
    reds = sum(s.status == "red" for s in diagnosis.signs)
    ambers = sum(s.status == "amber" for s in diagnosis.signs)
    measured = sum(s.status != "not_measured" for s in diagnosis.signs)
    if reds >= 2 or reds + ambers >= 3:
        title, tone = f"Yes: {reds} red and {ambers} amber of {measured} measured warning signs", "bad"
    elif reds or ambers:
        title, tone = f"Some: {reds} red and {ambers} amber of {measured} measured warning signs", "warn"
    else:
        title, tone = f"Not on this evidence: no warning sign fires ({measured} measured)", "good"
    return _rich([display.callout_html("Does this team need product operations? " + title,
                                       "Each sign is measured from the exports; 'not measured' names the export "
                                       "that would measure it.", tone),
                  display.table_html(frame, "Six warning signs")], title)


def headline(diagnosis: Diagnosis) -> display.Rich:
    """The top bottleneck, its annual cost range and who owns the fix."""
    top = diagnosis.top
    if top is None:
        return _rich([display.callout_html("No priced bottleneck", "The data received does not show a cost; "
                                           "see the levers not assessed below.", "info")], "no bottleneck")
    cur = diagnosis.currency
    c = top.cost_per_year
    main = max((f for f in top.findings if f.needs is None and not f.suppressed),
               key=lambda f: f.cost_per_year["base"])
    owner = FUNCTIONS[main.owner_function]
    body = (f"{main.title}: about {money(c['base'], cur)} per year (between {money(c['low'], cur)} and "
            f"{money(c['high'], cur)} on the stated assumptions). Owner of the fix: {owner}.")
    if main.owner_function != "product_ops":
        body += f"\n\nThis is not a product-operations problem: it belongs to {owner}."
    return _rich([display.callout_html(f"Biggest bottleneck: {top.title}", body, "bad")], body)


def lever_costs(diagnosis: Diagnosis) -> pd.DataFrame:
    """One row per lever: title, rank, assessed, low/base/high annual cost, hours, needs."""
    return pd.DataFrame([{"lever": lv.title, "rank": lv.rank, "assessed": lv.assessed,
                          "low": lv.cost_per_year["low"], "base": lv.cost_per_year["base"],
                          "high": lv.cost_per_year["high"], "hours": lv.hours_per_year,
                          "needs": lv.needs or ""} for lv in diagnosis.levers]).astype({"rank": "Int64"})


def ranking(diagnosis: Diagnosis) -> display.Rich:
    """The lever ranking table and the cost Pareto chart."""
    from ..plots import plot_cost_pareto

    costs = lever_costs(diagnosis)
    cur = diagnosis.currency
    fmt = {c: (lambda v: money(v, cur)) for c in ("low", "base", "high")} | {"hours": "{:,.0f}"}
    shown = costs.assign(assessed=costs["assessed"].map({True: "yes", False: "not assessed"}))
    parts = [display.table_html(shown, "Levers ranked by annual cost (rank 1 = biggest)", formats=fmt)]
    assessed = costs[costs["assessed"]]
    parts.append(display.figure_html(plot_cost_pareto(assessed, cur).figure,
                                     "Bar chart of annual cost per lever with low to high ranges"))
    _close()
    return _rich(parts, "lever ranking")


def findings(client, diagnosis: Diagnosis, lever: str) -> display.Rich:
    """A lever's findings with formula, assumptions and owner, and the items behind the top one."""
    lv = diagnosis.lever(lever)
    cur = diagnosis.currency
    if not lv.assessed:
        return _rich([display.callout_html(f"{LEVER_TITLES[lever]}: not assessed", f"Needs {lv.needs}.", "info")],
                     "not assessed")
    rows = [{"finding": f.title, "value": f.value, "unit": f.unit, "cost per year": f.cost_per_year["base"],
             "range": f"{money(f.cost_per_year['low'], cur)}–{money(f.cost_per_year['high'], cur)}",
             "formula": f.formula_id, "owner": FUNCTIONS[f.owner_function],
             "note": f"suppressed: {f.suppressed}" if f.suppressed else (f"needs {f.needs}" if f.needs else "")}
            for f in lv.findings]
    parts = [display.table_html(pd.DataFrame(rows), f"{LEVER_TITLES[lever]}: findings",
                                formats={"cost per year": lambda v: money(v, cur), "value": "{:,.1f}"})]
    priced = [f for f in lv.findings if f.needs is None and f.cost_per_year["base"] > 0]
    if priced:
        top = priced[0]
        figure = diagnosis.model.figures[top.formula_id]
        detail = figure.detail.head(15).copy()
        if "item_id" in detail and not client.dataset.work_items.empty:
            titles = client.dataset.work_items.set_index("item_id")["title"]
            detail.insert(1, "title", detail["item_id"].map(titles))
        parts.append(display.table_html(detail, f"Evidence behind '{top.title}' (largest first)", max_rows=15))
    return _rich(parts, f"{lever} findings")


def flow_overview(client) -> display.Rich:
    """Flow basics: KPIs, cycle-time scatter with percentiles, throughput with XmR limits, CFD, aging WIP."""
    from ..metrics import flow as fm
    from ..metrics.xmr import xmr_limits
    from ..plots import plot_aging_wip, plot_cumulative_flow, plot_cycle_times, plot_weekly_throughput

    tz = client.engagement.timezone
    included = client.flow[client.flow["included"]]
    ct = fm.cycle_times(client.flow)
    pct = fm.cycle_time_percentiles(client.flow)
    tp = fm.weekly_throughput(client.flow, client.as_of, timezone=tz)
    full = tp[~tp["partial"]] if "partial" in tp else tp
    limits = xmr_limits(full["throughput"]) if "throughput" in full and len(full) >= 2 else None
    efficiency = fm.flow_efficiency(client.flow)
    aging = fm.aging_wip(client.flow, client.as_of, pct)
    parts = [display.kpis_html({
        "Items (included)": len(included), "Completed": int(included["completed_at"].notna().sum()),
        "In progress": int((included["phase"] == "committed").sum()),
        "Median cycle time (days)": pct.get(50), "85% finish within (days)": pct.get(85),
        "Flow efficiency": getattr(efficiency, "efficiency", None)},
        {"Median cycle time (days)": "{:.1f}", "85% finish within (days)": "{:.1f}", "Flow efficiency": "{:.0%}"})]
    parts.append(display.figure_html(plot_cycle_times(ct, pct).figure,
                                     "Scatter of cycle time per completed item with percentile lines"))
    parts.append(display.figure_html(plot_weekly_throughput(tp, limits).figure,
                                     "Weekly throughput bars with process-behaviour limits"))
    if not client.segments.empty:
        ids = included["item_id"]
        cfd = fm.cumulative_flow(client.segments, client.as_of, item_ids=ids, timezone=tz)
        parts.append(display.figure_html(plot_cumulative_flow(cfd).figure,
                                         "Cumulative flow diagram of items per status over time"))
    parts.append(display.figure_html(plot_aging_wip(aging, pct).figure,
                                     "Age of work in progress against cycle-time percentiles"))
    _close()
    return _rich(parts, "flow overview")


def handoff_view(client) -> display.Rich:
    """Waits by owner pair (who waits for whom), with the items behind each pair."""
    from ..metrics.handoffs import handoff_waits, waits_by_owner_pair
    from ..plots import plot_handoff_waits

    ids = client.flow.loc[client.flow["included"], "item_id"]
    pairs = waits_by_owner_pair(handoff_waits(client.segments, item_ids=ids))
    shown = pairs.copy()
    if "item_ids" in shown:
        shown["items (examples)"] = shown.pop("item_ids").map(lambda t: ", ".join(t[:5]))
    parts = [display.figure_html(plot_handoff_waits(pairs).figure, "Bar chart of waiting days per handoff pair"),
             display.table_html(shown, "Handoff waits by owner pair")]
    _close()
    return _rich(parts, "handoff waits")


def feedback_view(client) -> display.Rich:
    """The feedback funnel (received → triaged → linked → shipped) and revenue waiting."""
    from ..metrics.feedback import arr_waiting, feedback_funnel
    from ..plots.levers import plot_feedback_funnel

    if client.dataset.feedback.empty:
        return _rich([display.callout_html("No feedback export received", "", "info")], "no feedback")
    funnel = feedback_funnel(client.dataset.feedback, client.flow, client.as_of)
    waiting = arr_waiting(client.dataset.feedback, client.as_of, client.engagement.costs.healthy_triage_days)
    shown = funnel.drop(columns=[c for c in funnel.columns if c.endswith("ids")], errors="ignore")
    parts = [display.figure_html(plot_feedback_funnel(funnel).figure, "Feedback funnel from received to shipped"),
             display.table_html(shown, "Feedback funnel", formats={"share": "{:.0%}"})]
    if len(waiting):
        w = waiting.drop(columns=[c for c in waiting.columns if c.endswith("ids")], errors="ignore")
        parts.append(display.table_html(w, "Accounts left waiting (revenue at risk, not added to cost)"))
    _close()
    return _rich(parts, "feedback funnel")


def assumptions(diagnosis: Diagnosis) -> display.Rich:
    """Every assumption with its value, range and config key; formulas; the tornado chart."""
    from ..cost import FORMULA_TEXT
    from ..plots import plot_tornado

    table = pd.DataFrame([a.as_dict() for a in diagnosis.model.assumptions.values()])
    formulas = pd.DataFrame([{"formula": k, "definition": v} for k, v in FORMULA_TEXT.items()])
    base_total = sum(f.cost_per_year for f in diagnosis.model.figures.values())
    parts = [display.table_html(table[["id", "value", "low", "high", "unit", "source"]],
                                "Assumptions (edit them in engagement.yaml)", max_rows=40),
             display.table_html(formulas, "Formulas", max_rows=40),
             display.figure_html(plot_tornado(diagnosis.sensitivity, base_total, diagnosis.currency).figure,
                                 "Tornado chart of how each assumption moves the total annual cost")]
    _close()
    return _rich(parts, "assumptions")

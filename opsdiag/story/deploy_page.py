"""The deploy page's sections (``03_deploy``): the pilot's verdict with honest uncertainty."""

from __future__ import annotations

from .. import display
from ._common import close_figures, figure, rich

VERDICT_TONE = {"improved": "good", "no_change": "warn", "worse": "bad", "not_enough_data": "info"}
VERDICT_TEXT = {"improved": "The pilot worked", "no_change": "No measurable change",
                "worse": "The pilot made things worse", "not_enough_data": "Not enough data to judge yet"}


def verdict(result) -> display.Rich:
    """The overall verdict (the ritual's primary metric), its sentence, and any warnings."""
    payload = result.as_dict()
    pilot, base = payload["pilot"], payload["baseline"]
    title = f"{VERDICT_TEXT[result.verdict]}: {payload['ritual_name'] or result.ritual or 'no ritual configured'}"
    body = result.reason or ""
    if pilot.get("start"):
        body += (f"\n\nPilot {pilot['start'][:10]} → {pilot['end'][:10]} ({', '.join(result.teams) or 'all teams'}); "
                 f"baseline {base['start'][:10]} → {base['end'][:10]}.")
    parts = [display.callout_html(title, body, VERDICT_TONE[result.verdict])]
    parts += [display.callout_html("Read with care", w, "warn") for w in result.warnings]
    return rich(parts, title)


def metrics(result) -> display.Rich:
    """Each success metric: baseline vs pilot, change with its 95 % interval, p-value, verdict, n needed."""
    from ..deploy import metrics_table

    table = metrics_table(result)
    if table.empty:
        return rich([display.callout_html("No metric evaluated", result.reason or "", "info")], "no metrics")
    shown = table[["metric", "unit", "baseline", "pilot", "change", "change_pct", "ci_low", "ci_high", "p_value",
                   "n_baseline", "n_pilot", "verdict", "needed_n", "did"]]
    fmt = {"baseline": "{:.2f}", "pilot": "{:.2f}", "change": "{:+.2f}", "change_pct": "{:+.0%}",
           "ci_low": "{:+.2f}", "ci_high": "{:+.2f}", "p_value": "{:.3f}", "did": "{:+.2f}"}
    return rich([display.table_html(shown, "Baseline vs pilot (CI = 95 % interval of the change; did = "
                                    "difference-in-differences against the other teams)", formats=fmt)], "metrics")


def figures(result) -> display.Rich:
    """Before/after distributions, sprint by sprint, and the weekly control chart."""
    from ..plots.pilot import plot_pilot_distributions, plot_pilot_sprints, plot_pilot_xmr

    if not result.metrics:
        return rich([], "no figures")
    metric = result.primary_metric if any(m.metric.id == result.primary_metric for m in result.metrics) \
        else result.metrics[0].metric.id
    parts = [figure(plot_pilot_distributions(result, metric), "Distributions of the primary metric before and "
                    "during the pilot"),
             figure(plot_pilot_sprints(result, metric), "The primary metric sprint by sprint"),
             figure(plot_pilot_xmr(result), "Weekly throughput with process-behaviour limits from the baseline")]
    close_figures()
    return rich(parts, "pilot figures")


def sprints(result) -> display.Rich:
    """The sprint-by-sprint table of every metric."""
    return rich([display.table_html(result.sprint_table, "Sprint by sprint", max_rows=12,
                                    formats={c: "{:.2f}" for c in result.sprint_table.columns
                                             if c.endswith("_days") or c.endswith("per_week")
                                             or c.endswith("per_handoff")})], "sprints")

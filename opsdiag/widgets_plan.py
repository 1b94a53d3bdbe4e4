"""Pilot window picker and forecast explorer: the deploy and scale questions, interactively.

- :class:`PilotExplorer`: pilot start, number of sprints and teams → the before/after comparison
  of :func:`opsdiag.deploy.evaluate_pilot` (with the configured ritual and sprint length);
- :class:`ForecastExplorer`: N items or a target date, a confidence level and a seed →
  ``opsdiag.scale.make_forecast`` (whose ``as_dict()`` is :func:`opsdiag.scale.forecast`, the
  ``opsdiag forecast`` payload) and its distribution and backtest charts.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as w

from . import display as show
from .config import Pilot
from .widgets_base import Explorer, figure
from .widgets_flow import NO_VALUE, choices

VERDICT_TONE = {"improved": "good", "worse": "bad", "no_change": "info", "not_enough_data": "warn"}
CONFIDENCE = (50, 85, 95)


def pilot_with(pilot: Pilot | None, *, start: dt.date | None, sprints: int, teams) -> Pilot:
    """A copy of the configured ``pilot`` (ritual, sprint length kept) with another start, sprint
    count and team list; a default ``Pilot`` when none is configured. The input is not modified."""
    base = pilot if pilot is not None else Pilot()
    return base.model_copy(update={"start": start, "sprints": int(sprints), "teams": list(teams)})


def default_pilot_start(client) -> dt.date:
    """The configured pilot start, else the Monday six weeks before the as-of date."""
    pilot = client.engagement.pilot
    if pilot is not None and pilot.start is not None:
        return pilot.start
    day = client.as_of_date - dt.timedelta(weeks=6)
    return day - dt.timedelta(days=day.weekday())


class PilotExplorer(Explorer):
    """Pilot start, sprints and teams → before/after comparison (``deploy.evaluate_pilot``).

    Attributes
    ----------
    start : ipywidgets.DatePicker
    sprints : ipywidgets.IntSlider
    teams : ipywidgets.SelectMultiple
        No team selected means every team (as in ``engagement.pilot``).
    pilot : opsdiag.config.Pilot
        The pilot built from the controls (:func:`pilot_with`).
    result : opsdiag.deploy.PilotResult
    metrics : DataFrame
        ``deploy.metrics_table(result)``: one row per metric.
    """

    heading = "Pilot: pick the window and the teams"

    def __init__(self, client):
        super().__init__()
        self.client = client
        configured = client.engagement.pilot or Pilot()
        teams = [t for t in choices(client.flow, "team") if t != NO_VALUE]
        self.start = w.DatePicker(value=default_pilot_start(client), description="Pilot start")
        self.sprints = w.IntSlider(value=configured.sprints, min=1, max=max(8, configured.sprints),
                                   description="Sprints", continuous_update=False)
        height = f"{min(8, max(3, len(teams))) * 1.6 + 0.5}em"
        self.teams = w.SelectMultiple(options=teams, value=tuple(t for t in configured.teams if t in teams),
                                      description="Teams", layout=w.Layout(height=height))
        note = w.HTML(f"<span style='color:#555'>ritual {show.escape(configured.ritual or 'not set')}, "
                      f"sprints of {configured.sprint_length_days} days; no team selected = every team</span>")
        controls = [self.start, self.sprints, self.teams]
        self._start([w.HBox([w.VBox([self.start, self.sprints, note]), self.teams])], watch=controls)

    def _compute(self) -> None:
        from .deploy import evaluate_pilot, metrics_table

        self.pilot = pilot_with(self.client.engagement.pilot, start=self.start.value, sprints=self.sprints.value,
                                teams=self.teams.value)
        self.result = evaluate_pilot(self.client, self.pilot)
        self.metrics = metrics_table(self.result)

    def _render(self) -> list:
        from .plots.pilot import plot_pilot_distributions

        result = self.result
        payload = result.as_dict()
        windows = (f"Pilot {payload['pilot']['start']} – {payload['pilot']['end']}, baseline "
                   f"{payload['baseline']['start']} – {payload['baseline']['end']}; teams "
                   f"{', '.join(result.teams) or 'all'}.") if result.windows else ""
        body = "\n\n".join(p for p in (result.reason, windows, *result.warnings) if p)
        columns = ["metric", "unit", "baseline", "pilot", "change", "ci_low", "ci_high", "p_value", "n_baseline",
                   "n_pilot", "verdict"]
        shown = self.metrics[[c for c in columns if c in self.metrics.columns]]
        fmt = {c: "{:,.2f}" for c in ("baseline", "pilot", "change", "ci_low", "ci_high")} | {"p_value": "{:.3f}"}
        return [show.callout(f"Verdict: {result.verdict.replace('_', ' ')}", body,
                             VERDICT_TONE.get(result.verdict, "info")),
                show.table(shown, caption="Baseline against pilot, per metric (95 % interval of the change)",
                           formats=fmt),
                figure(lambda ax: plot_pilot_distributions(result, "cycle_time_days", ax=ax),
                       "Cycle time of the pilot teams' items before and during the pilot", (7.0, 3.6))]


class ForecastExplorer(Explorer):
    """N items or a target date, confidence and seed → Monte Carlo forecast (``scale.forecast``).

    Attributes
    ----------
    mode : ipywidgets.ToggleButtons
        ``"items"`` (when will N items be done?) or ``"date"`` (how many by this date?).
    items : ipywidgets.BoundedIntText
    by : ipywidgets.DatePicker
    confidence : ipywidgets.Dropdown
        50, 85 or 95 (%): which percentile the headline answers with.
    seed : ipywidgets.IntText
        Default the engagement's seed; the same seed gives the same forecast.
    forecast : opsdiag.forecast.ClientForecast
        ``scale.make_forecast`` for the question asked.
    result : dict
        Its JSON payload, what ``scale.forecast`` returns (``items`` | ``by``, ``p50``, ``p85``,
        ``p95``, ``backtest``).
    answer : the ``p<confidence>`` value of ``result`` (an ISO date or an item count).
    """

    heading = "Forecast: when, or how many"

    def __init__(self, client, items: int = 20, weeks_ahead: int = 8):
        super().__init__()
        self.client = client
        self.mode = w.ToggleButtons(options=[("N items: when?", "items"), ("By a date: how many?", "date")],
                                    value="items", description="Question")
        self.items = w.BoundedIntText(value=items, min=1, max=100_000, description="Items")
        self.by = w.DatePicker(value=client.as_of_date + dt.timedelta(weeks=weeks_ahead), description="Target date")
        self.confidence = w.Dropdown(options=[(f"{p} %", p) for p in CONFIDENCE], value=85, description="Confidence")
        self.seed = w.IntText(value=int(client.engagement.seed), description="Seed")
        controls = [self.mode, self.items, self.by, self.confidence, self.seed]
        self._start([self.mode, w.HBox([self.items, self.by]), w.HBox([self.confidence, self.seed])], watch=controls)

    def _compute(self) -> None:
        from .scale import make_forecast

        if self.mode.value == "items":
            self.forecast = make_forecast(self.client, items=int(self.items.value), seed=int(self.seed.value))
        else:
            if self.by.value is None:
                raise ValueError("Target date: pick a date to forecast to")
            self.forecast = make_forecast(self.client, by=self.by.value.isoformat(), seed=int(self.seed.value))
        self.result = self.forecast.as_dict()  # what scale.forecast returns
        self.answer = self.result.get(f"p{self.confidence.value}")

    def _render(self) -> list:
        from .plots.scale import plot_backtest, plot_forecast

        r, p = self.result, self.confidence.value
        if self.mode.value == "items":
            title = f"{p} % of simulated futures finish {r.get('items')} items by {self.answer or 'no date (too far)'}"
        else:
            title = f"{p} % of simulated futures finish at least {self.answer} items by {r.get('by')}"
        hit = (r.get("backtest") or {}).get("hit_rate_p85")
        body = (f"Backtest: the 85 % forecast was met in {hit:.0%} of past forecasts." if isinstance(hit, (int, float))
                else "Backtest: not enough history to check past forecasts.")
        return [show.callout(title, f"{body} Seed {self.seed.value}.", "info"),
                show.table(self.forecast.table(), caption="Forecast at each confidence level"),
                figure(lambda ax: plot_forecast(self.forecast, ax=ax), "Share of simulations per outcome, "
                       "with the 50, 85 and 95 % lines", (8.0, 3.6)),
                figure(lambda ax: plot_backtest(self.forecast, ax=ax), "Past forecasts against what happened",
                       (8.0, 3.4))]

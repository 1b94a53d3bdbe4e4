"""Cost assumptions explorer: move a rate or the cost of delay, see the lever ranking move.

The controls are the cost model's ranged assumptions plus working weeks (ids as in
``opsdiag.cost.assumptions``: ``rate.<role>``, ``rate.default``, ``cost_of_delay_per_week``,
``weeks_per_year``). A change builds a modified ``Costs`` block (:func:`costs_with`) and
re-runs the same :func:`opsdiag.diagnose.diagnose` the report runs on a copy of the client
(:func:`with_costs`); the ranking table, the cost Pareto and the tornado are drawn from that
``Diagnosis``. Nothing here prices anything itself.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import ipywidgets as w
import pandas as pd

from .config import Costs
from .diagnose import Diagnosis, diagnose
from .widgets_base import Explorer, figure

RANKING_COLUMNS = ["rank", "lever", "title", "assessed", "low", "base", "high", "hours_per_year"]


def costs_with(costs: Costs, values: Mapping[str, float]) -> Costs:
    """A copy of ``costs`` with assumption values replaced, keyed by assumption id.

    ``rate.<role>`` sets ``rates[role]``; ``rate.default`` sets ``default_rate``; any other key
    (``cost_of_delay_per_week``, ``weeks_per_year`` …) sets the ``Costs`` field of that name.
    Unknown ids raise ``KeyError`` naming the id. The input is not modified.
    """
    rates = dict(costs.rates)
    update: dict[str, object] = {}
    for key, value in values.items():
        if key == "rate.default":
            update["default_rate"] = float(value)
        elif key.startswith("rate."):
            rates[key.split(".", 1)[1]] = float(value)
        elif key in Costs.model_fields:
            update[key] = float(value)
        else:
            raise KeyError(f"cost assumption {key!r}: expected rate.<role>, rate.default or a costs field")
    return costs.model_copy(update={**update, "rates": rates}, deep=True)


def with_costs(client, costs: Costs):
    """A shallow copy of ``client`` whose engagement uses ``costs`` (tables are shared, not copied)."""
    engagement = client.engagement.model_copy(update={"costs": costs})
    return dataclasses.replace(client, engagement=engagement)


def ranking_table(diagnosis: Diagnosis) -> pd.DataFrame:
    """The lever ranking as a frame: one row per lever in ranking order.

    Columns: rank (Int64; missing for levers not assessed), lever (id), title, assessed,
    low / base / high (annual cost, currency of the engagement) and hours_per_year, exactly as
    ``Diagnosis.levers`` holds them (assessed levers by base cost, biggest first).
    """
    rows = [{"rank": lv.rank, "lever": lv.lever, "title": lv.title, "assessed": lv.assessed,
             **{k: float(lv.cost_per_year[k]) for k in ("low", "base", "high")},
             "hours_per_year": float(lv.hours_per_year)} for lv in diagnosis.levers]
    frame = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    return frame.astype({"rank": "Int64", "assessed": "bool"})


def total_cost(diagnosis: Diagnosis) -> float:
    """Σ base annual cost of every formula (the tornado's centre line, as ``cost.sensitivity`` totals)."""
    return float(sum(f.cost_per_year for f in diagnosis.model.figures.values()))


def _slider(description: str, value: float, top: float, step: float) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=0.0, max=top, step=step, description=description,
                         continuous_update=False, readout_format=",.0f",
                         style={"description_width": "14em"}, layout=w.Layout(width="34em"))


class CostExplorer(Explorer):
    """Hourly rates by role, cost of delay per week and working weeks → ranking, Pareto, tornado.

    Parameters
    ----------
    client : opsdiag.client.Client

    Attributes
    ----------
    controls : dict[str, ipywidgets.FloatSlider]
        Keyed by assumption id (``rate.engineering``, ``cost_of_delay_per_week``, ``weeks_per_year`` …).
    costs : opsdiag.config.Costs
        The costs block built from the controls.
    diagnosis : opsdiag.diagnose.Diagnosis
        ``diagnose`` of the client with those costs.
    ranking : DataFrame
        :func:`ranking_table` of that diagnosis.
    sensitivity : DataFrame
        The tornado data (``Diagnosis.sensitivity``).
    """

    heading = "Cost assumptions: what moves the ranking"

    def __init__(self, client):
        super().__init__()
        self.client = client
        self.base_costs = client.engagement.costs
        base = self.base_costs
        controls: dict[str, w.FloatSlider] = {}
        for role, rate in sorted(base.rates.items()):
            controls[f"rate.{role}"] = _slider(f"{role} rate per hour", rate, max(300.0, 3 * rate), 5.0)
        controls["rate.default"] = _slider("other roles rate per hour", base.default_rate,
                                           max(300.0, 3 * base.default_rate), 5.0)
        controls["cost_of_delay_per_week"] = _slider("cost of delay per item-week", base.cost_of_delay_per_week,
                                                     max(5000.0, 3 * base.cost_of_delay_per_week), 50.0)
        controls["weeks_per_year"] = w.FloatSlider(
            value=base.weeks_per_year, min=1.0, max=52.0, step=1.0, description="working weeks per year",
            continuous_update=False, readout_format=".0f", style={"description_width": "14em"},
            layout=w.Layout(width="34em"))
        self.controls = controls
        self.reset_button = w.Button(description="Reset to engagement.yaml", icon="undo",
                                      layout=w.Layout(width="18em"))
        self.reset_button.on_click(lambda _: self.reset())
        self.add_class("opsdiag-cost-explorer")
        self._start([w.VBox(list(controls.values())), self.reset_button], watch=list(controls.values()))

    def values(self) -> dict[str, float]:
        """The controls' values keyed by assumption id."""
        return {key: float(control.value) for key, control in self.controls.items()}

    def reset(self) -> None:
        """Put every control back to the engagement's value (one recompute at the end)."""
        with self.paused():
            for key, control in self.controls.items():
                if key == "rate.default":
                    control.value = self.base_costs.default_rate
                elif key.startswith("rate."):
                    control.value = self.base_costs.rates[key.split(".", 1)[1]]
                else:
                    control.value = getattr(self.base_costs, key)

    def _compute(self) -> None:
        self.costs = costs_with(self.base_costs, self.values())
        self.diagnosis = diagnose(with_costs(self.client, self.costs))
        self.ranking = ranking_table(self.diagnosis)
        self.sensitivity = self.diagnosis.sensitivity

    def _render(self) -> list:
        from . import story
        from .plots.cost import plot_tornado

        currency = self.client.engagement.currency
        total = total_cost(self.diagnosis)
        return [
            story.ranking(self.diagnosis),  # the report's ranking table and cost Pareto
            figure(lambda ax: plot_tornado(self.sensitivity, total, currency, ax=ax),
                   "Tornado chart of how each assumption moves the total annual cost"),
        ]

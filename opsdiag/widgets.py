"""Interactive explorers for JupyterLab (ipywidgets) over the functions the reports use.

Each explorer is an ``ipywidgets.VBox``: controls on top, one ``Output`` below. Its callbacks
only read the controls and call the same pure functions the report pages call; the results
stay on the explorer as attributes for tests and for the consultant, and ``snapshot()`` gives
the static HTML (tables, PNG figures) of its default state for rendered reports.

- :class:`CostExplorer` — hourly rates, cost of delay, working weeks → lever ranking, cost
  Pareto, tornado (``opsdiag.diagnose`` / ``opsdiag.cost``);
- :class:`FlowExplorer` — team, item type, date window → cycle-time scatter, weekly
  throughput, aging WIP (``opsdiag.metrics.flow``);
- :class:`MappingEditor` — status → phase/kind/owner → median/p85 cycle time, saved into
  ``engagement.yaml`` (``opsdiag.workflow``);
- :class:`PilotExplorer` — pilot start, sprints, teams → before/after comparison
  (``opsdiag.deploy.evaluate_pilot``);
- :class:`ForecastExplorer` — N items or a target date, confidence → Monte Carlo forecast
  (``opsdiag.scale.forecast``).

In a notebook::

    from opsdiag import widgets
    widgets.CostExplorer(client)
"""

from __future__ import annotations

from .widgets_base import Explorer
from .widgets_cost import CostExplorer, costs_with, ranking_table, with_costs
from .widgets_flow import FlowExplorer, FlowView, flow_view, select
from .widgets_mapping import (MappingEditor, cycle_time_effect, edited_overrides, merged_workflow, remap,
                              save_status_overrides)
from .widgets_plan import ForecastExplorer, PilotExplorer, pilot_with

EXPLORERS = {
    "cost": CostExplorer,
    "flow": FlowExplorer,
    "mapping": MappingEditor,
    "pilot": PilotExplorer,
    "forecast": ForecastExplorer,
}

__all__ = ["EXPLORERS", "Explorer", "CostExplorer", "FlowExplorer", "MappingEditor", "PilotExplorer",
           "ForecastExplorer", "FlowView", "costs_with", "cycle_time_effect", "edited_overrides", "flow_view",
           "merged_workflow", "pilot_with", "ranking_table", "remap", "save_status_overrides",
           "select", "with_costs"]

"""Charts drawn from metric results: ``plot_x(result, ax=None) -> Axes``, draw only, compute nothing."""

from .cost import plot_cost_pareto, plot_tornado
from .flow import (plot_aging_wip, plot_cumulative_flow, plot_cycle_times, plot_handoff_waits,
                   plot_release_slippage, plot_weekly_throughput)
# feedback/prioritization/analytics/tooling charts: `from .levers import ...` goes on this line's place.

__all__ = [
    "plot_cost_pareto", "plot_tornado",
    "plot_aging_wip", "plot_cumulative_flow", "plot_cycle_times", "plot_handoff_waits", "plot_release_slippage",
    "plot_weekly_throughput",
]

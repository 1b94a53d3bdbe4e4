"""The report pages' sections: results laid out as escaped HTML for the notebooks.

Each function takes a ``Client`` and/or a result (``Diagnosis``, ``RitualPlan``, ``PilotResult``,
forecast …) and returns one ``display.Rich`` object, so a notebook cell is one line
(``story.signs(diagnosis)``). Nothing here computes a metric: it calls ``opsdiag.metrics``,
the phase modules and ``opsdiag.plots`` and arranges their results for a founder. All client
text goes through ``display``'s escaping. One module per page.
"""

from .diagnose_page import (assumptions, feedback_view, findings, flow_overview, handoff_view, headline,
                            lever_costs, ranking, received, signs)

__all__ = ["assumptions", "feedback_view", "findings", "flow_overview", "handoff_view", "headline",
           "lever_costs", "ranking", "received", "signs"]

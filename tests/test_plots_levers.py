"""Lever plots draw metric results (and empty results) onto Axes without computing anything."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from opsdiag.metrics.analytics import retention_cohorts  # noqa: E402
from opsdiag.metrics.feedback import feedback_funnel, feedback_themes  # noqa: E402
from opsdiag.metrics.prioritization import priority_churn  # noqa: E402
from opsdiag.metrics.tooling import tool_spend_by_category  # noqa: E402
from opsdiag.plots.levers import (plot_feedback_funnel, plot_feedback_themes, plot_priority_churn,  # noqa: E402
                                  plot_retention_cohorts, plot_tool_spend)
from opsdiag.schema import conform, empty_frame  # noqa: E402

AS_OF = pd.Timestamp("2026-03-31T00:00:00Z")
FEEDBACK = conform("feedback", pd.DataFrame({
    "feedback_id": ["f1", "f2", "f3"], "created_at": ["2026-03-01", "2026-03-02", "2026-03-03"],
    "title": ["CSV export", "CSV import", "Dark mode"], "status": ["open", "new", "new"],
    "linked_item_ids": [("I1",), (), ()]}))
FLOW = pd.DataFrame({"item_id": ["I1"], "created_at": pd.to_datetime(["2026-02-01"], utc=True),
                     "completed_at": pd.to_datetime(["2026-03-10"], utc=True)})
EVENTS = conform("events", pd.DataFrame({"user_id": ["u1", "u1", "u2"], "event": ["x", "x", "x"],
                                         "at": ["2026-03-02", "2026-03-10", "2026-03-09"]}))
TOOLS = conform("tools", pd.DataFrame({"tool": ["Jira", "Linear"], "category": ["tracker", "tracker"],
                                       "seats": [10, 5], "active_seats": [8, 5], "monthly_cost": [100, 50]}))
CHANGES = conform("field_changes", pd.DataFrame({"item_id": ["A", "A"], "at": ["2026-02-05", "2026-02-06"],
                                                 "field": ["priority"] * 2, "from_value": ["Low", "High"],
                                                 "to_value": ["High", "Low"]}))
ITEMS = conform("work_items", pd.DataFrame({"item_id": ["A", "B"], "started_at": ["2026-02-01", "2026-02-01"]}))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_funnel_bars_per_step():
    ax = plot_feedback_funnel(feedback_funnel(FEEDBACK, FLOW, AS_OF))
    assert isinstance(ax, Axes)
    assert [p.get_width() for p in ax.patches] == [1, 1, 1, 3]  # shipped, linked, triaged, received


def test_themes_bars():
    ax = plot_feedback_themes(feedback_themes(FEEDBACK))
    assert len(ax.patches) == 5 and "keyword" in ax.get_title()


def test_retention_heatmap():
    ax = plot_retention_cohorts(retention_cohorts(EVENTS, AS_OF))
    image = ax.get_images()[0].get_array()
    # weeks ended by 03-31: 03-02 … 03-23, so cohort 03-02 has offsets 0-3 and cohort 03-09 offsets 0-2
    assert image.shape == (2, 4)
    # cohort 03-02 is u1 alone: active in weeks 0 (03-02) and 1 (03-10), not in 2
    assert image[0, 0] == 1.0 and image[0, 1] == 1.0 and image[0, 2] == 0.0
    assert np.isnan(np.ma.filled(image, np.nan)[1, 3])  # not observed yet: left blank, not shown as churn


def test_tool_spend_stacked():
    ax = plot_tool_spend(tool_spend_by_category(TOOLS))
    # one category × three stacks (used, unused, duplicate)
    assert len(ax.patches) == 3
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(1800.0)


def test_priority_churn_bars():
    ax = plot_priority_churn(priority_churn(CHANGES, ITEMS, AS_OF))
    assert [p.get_height() for p in ax.patches] == [1, 1]  # B: 0 changes, A: 2 changes
    assert "50%" in ax.get_title()


def test_plots_accept_empty_results_and_given_axes():
    _, ax = plt.subplots()
    empty_churn = priority_churn(empty_frame("field_changes"), empty_frame("work_items"), AS_OF)
    results = [
        (plot_feedback_funnel, feedback_funnel(empty_frame("feedback"), FLOW.iloc[:0], AS_OF)),
        (plot_feedback_themes, feedback_themes(empty_frame("feedback"))),
        (plot_retention_cohorts, retention_cohorts(empty_frame("events"), AS_OF)),
        (plot_tool_spend, tool_spend_by_category(empty_frame("tools"))),
        (plot_priority_churn, empty_churn),
    ]
    for plot, result in results:
        assert plot(result, ax=ax) is ax
        assert isinstance(plot(result), Axes)


def test_cost_axes_read_as_money_not_with_a_scientific_offset():
    from opsdiag.plots._base import short_money
    from opsdiag.plots.cost import plot_cost_pareto

    assert [short_money(v) for v in (0, 950, 12_500, 3_000_000, 1_250_000, -40_000)] == \
        ["0", "950", "12.5k", "3M", "1.25M", "-40k"]
    levers = pd.DataFrame({"lever": ["Handoffs", "Delivery"], "low": [3.8e7, 9e6],
                           "base": [5.4e7, 1.3e7], "high": [7.0e7, 1.7e7]})
    ax = plot_cost_pareto(levers, "EUR")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "10M" in labels and ax.xaxis.get_offset_text().get_text() == ""
    plt.close(ax.figure)

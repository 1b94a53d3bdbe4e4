"""Flow/handoff/delivery charts: each draws the expected artists and survives empty results."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from opsdiag.metrics import XmR  # noqa: E402
from opsdiag.plots import (plot_aging_wip, plot_cumulative_flow, plot_cycle_times, plot_handoff_waits,  # noqa: E402
                           plot_release_slippage, plot_weekly_throughput)

UTC = "datetime64[us, UTC]"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def times(*values, tz="UTC"):
    return pd.Series(pd.to_datetime(list(values)).tz_localize(tz)).astype(f"datetime64[us, {tz}]")


def test_cycle_time_scatter_with_one_line_per_percentile():
    result = pd.DataFrame({"item_id": ["A", "B", "C"], "completed_at": times("2026-03-04", "2026-03-07", "2026-03-11"),
                           "cycle_time_days": [2.0, 4.0, 6.0]})
    ax = plot_cycle_times(result, {50: 4.0, 85: 5.4, 95: float("nan")})
    assert len(ax.collections) == 1 and len(ax.collections[0].get_offsets()) == 3
    assert len(ax.lines) == 2  # the NaN percentile is not drawn
    assert ax.get_ylabel() == "Cycle time (days)"


def test_throughput_bars_with_xmr_limits():
    result = pd.DataFrame({"week_start": times("2026-03-02", "2026-03-09", "2026-03-16"),
                           "throughput": [2, 4, 1], "partial": [False, False, True], "item_ids": [(), (), ()]})
    ax = plot_weekly_throughput(result, XmR(mean=3.0, mr_bar=2.0, unpl=8.32, lnpl=-2.32, url=6.536, n=2))
    assert len(ax.patches) == 3
    assert len(ax.lines) == 2  # mean and upper limit; a negative lower limit is not drawn
    assert [p.get_height() for p in ax.patches] == [2, 4, 1]
    assert len(plot_weekly_throughput(result).lines) == 0


def test_cumulative_flow_one_band_per_status():
    index = pd.DatetimeIndex(times("2026-03-01", "2026-03-02", "2026-03-03"), name="day")
    cfd = pd.DataFrame({"Backlog": [2, 1, 0], "In Progress": [0, 1, 1], "Done": [0, 0, 1]}, index=index)
    ax = plot_cumulative_flow(cfd)
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Backlog", "In Progress", "Done"]


def test_aging_wip_dots_and_percentile_lines():
    aging = pd.DataFrame({"item_id": ["I", "J", "D"], "status": ["In Review", "In Progress", "In Progress"],
                          "age_days": [12.0, 5.0, 4.0],
                          "exceeds_percentile": pd.array([95, 70, pd.NA], dtype="Int64")})
    ax = plot_aging_wip(aging, {50: 4.0, 70: 4.8, 85: 5.4, 95: 5.8}, statuses=["In Progress", "In Review"])
    assert len(ax.collections) == 1 and len(ax.lines) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["In Progress", "In Review"]


def test_handoff_wait_bars_per_owner_pair():
    pairs = pd.DataFrame({"pair": ["engineering → qa", "qa → engineering"], "handoffs": [3, 1],
                          "total_wait_days": [4.5, 0.0], "median_wait_days": [1.0, 0.0]})
    ax = plot_handoff_waits(pairs)
    assert len(ax.patches) == 2
    assert [p.get_width() for p in ax.patches] == [4.5, 0.0]


def test_release_slippage_bars_skip_releases_not_due():
    slippage = pd.DataFrame({"release": ["1.0", "1.1", "1.2", "2.0"], "slip_days": [2.0, -2.0, 10.0, float("nan")],
                             "overdue": [False, False, True, False]})
    ax = plot_release_slippage(slippage)
    assert len(ax.patches) == 3 and len(ax.lines) == 1  # three bars and the on-time line
    assert ax.patches[2].get_hatch() == "//"


@pytest.mark.parametrize("draw, empty", [
    (plot_cycle_times, pd.DataFrame({"completed_at": pd.Series(dtype=UTC), "cycle_time_days": []})),
    (plot_weekly_throughput, pd.DataFrame({"week_start": pd.Series(dtype=UTC), "throughput": [], "partial": []})),
    (plot_cumulative_flow, pd.DataFrame(index=pd.DatetimeIndex([], dtype=UTC, name="day"))),
    (plot_aging_wip, pd.DataFrame({"status": [], "age_days": [], "exceeds_percentile": []})),
    (plot_handoff_waits, pd.DataFrame({"pair": [], "handoffs": [], "total_wait_days": [], "median_wait_days": []})),
    (plot_release_slippage, pd.DataFrame({"release": [], "slip_days": [], "overdue": []})),
])
def test_empty_results_draw_a_message(draw, empty):
    fig, ax = plt.subplots()
    assert draw(empty, ax=ax) is ax
    assert ax.get_title() and len(ax.texts) == 1

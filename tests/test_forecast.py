"""Monte Carlo forecasts and their backtest (opsdiag.forecast): seeded, hand-worked, calibrated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opsdiag import forecast as fc

START = dt.date(2026, 1, 5)
SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"


def rng(seed=0):
    return np.random.default_rng(seed)


def weeks_frame(counts, first="2024-01-01"):
    return pd.DataFrame({"week_start": pd.date_range(first, periods=len(counts), freq="7D", tz="UTC"),
                         "throughput": np.asarray(counts, dtype="int64")})


# --- percentiles -------------------------------------------------------------------------------------

def test_count_percentile_is_the_largest_count_reached_by_that_share():
    counts = np.arange(1, 11)  # ten simulations reaching 1..10 items
    # 9 of 10 reach 2 (90 % >= 85 %), only 8 reach 3 (80 %): the p85 count is 2
    assert fc.count_percentile(counts, 0.85) == 2
    assert fc.count_percentile(counts, 0.50) == 6  # 5 of 10 reach 6
    assert fc.count_percentile(counts, 0.95) == 1
    assert fc.count_percentile(np.array([]), 0.85) is None


def test_finish_percentile_is_the_week_by_which_that_share_finished():
    weeks = np.arange(1, 11)
    assert fc.finish_percentile(weeks, 0.85) == 9  # 9 of 10 finished by week 9
    assert fc.finish_percentile(weeks, 0.50) == 5
    assert fc.finish_percentile(np.array([1.0, np.inf]), 0.95) == np.inf
    assert np.isnan(fc.finish_percentile(np.array([]), 0.5))


# --- items ---------------------------------------------------------------------------------------------

def test_constant_five_a_week_takes_exactly_four_weeks_for_twenty_items():
    result = fc.forecast_items([5] * 12, 20, START, rng(), sims=500, scope_growth=0.0)
    assert result.weeks == {50: 4, 85: 4, 95: 4}
    assert set(result.dates.values()) == {dt.date(2026, 2, 2)}


def test_scope_growth_stretches_the_work():
    # half an item added per item completed: 20 items need 40 completions at 5 a week = 8 weeks
    result = fc.forecast_items([5] * 12, 20, START, rng(), sims=200, scope_growth=0.5)
    assert result.weeks[85] == 8
    assert result.dates[85] == START + dt.timedelta(weeks=8)


def test_items_dates_are_ordered_and_seeded():
    history = [0, 3, 7, 2, 9, 4, 5, 1, 6, 8]
    a = fc.forecast_items(history, 40, START, rng(3), sims=2000)
    b = fc.forecast_items(history, 40, START, rng(3), sims=2000)
    c = fc.forecast_items(history, 40, START, rng(4), sims=2000)
    assert a.dates[50] <= a.dates[85] <= a.dates[95]
    assert a.dates[50] < a.dates[95]
    np.testing.assert_array_equal(a.weeks_needed, b.weeks_needed)
    assert not np.array_equal(a.weeks_needed, c.weeks_needed)


def test_items_without_any_completion_never_finish():
    result = fc.forecast_items([0, 0, 0], 5, START, rng(), sims=50)
    assert result.dates == {50: None, 85: None, 95: None}
    assert fc.forecast_items([], 0, START, rng(), sims=10).dates[95] == START


# --- counts ---------------------------------------------------------------------------------------------

def test_by_date_counts_are_ordered_and_seeded():
    history = [0, 3, 7, 2, 9, 4, 5, 1, 6, 8]
    end = START + dt.timedelta(days=45)
    a = fc.forecast_by_date(history, end, START, rng(1), sims=2000)
    b = fc.forecast_by_date(history, end, START, rng(1), sims=2000)
    c = fc.forecast_by_date(history, end, START, rng(2), sims=2000)
    assert a.percentiles[95] <= a.percentiles[85] <= a.percentiles[50]
    assert a.percentiles[95] < a.percentiles[50]
    np.testing.assert_array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)


def test_by_date_whole_and_partial_weeks():
    two_weeks = fc.forecast_by_date([5] * 8, START + dt.timedelta(days=14), START, rng(), sims=300)
    assert two_weeks.percentiles == {50: 10, 85: 10, 95: 10}
    # 10 days = one week (5 items) + 3 days: each of the next week's 5 items kept with p = 3/7
    partial = fc.forecast_by_date([5] * 8, START + dt.timedelta(days=10), START, rng(), sims=4000)
    assert partial.counts.min() >= 5 and partial.counts.max() <= 10
    assert partial.counts.mean() == pytest.approx(5 + 5 * 3 / 7, abs=0.1)
    assert fc.forecast_by_date([5], START, START, rng(), sims=10).percentiles[50] == 0


def test_sprint_blocks_keep_the_rhythm():
    # a two-week sprint closing 10 items in its second week: any 4 aligned weeks hold exactly 20
    history = [0, 10] * 6
    blocked = fc.forecast_by_date(history, START + dt.timedelta(weeks=4), START, rng(), sims=1000, block_weeks=2)
    assert blocked.percentiles == {50: 20, 85: 20, 95: 20}
    # single weeks: 10 × Binomial(4, ½) items; P(≥ 20) = 11/16, P(≥ 10) = 15/16, P(≥ 0) = 1
    single = fc.forecast_by_date(history, START + dt.timedelta(weeks=4), START, rng(), sims=4000, block_weeks=1)
    assert single.percentiles == {50: 20, 85: 10, 95: 0}


def test_history_blocks_align_to_the_latest_week():
    blocks = fc.history_blocks(np.array([1, 2, 3, 4, 5]), 2)
    np.testing.assert_array_equal(blocks, [[2, 3], [4, 5]])
    np.testing.assert_array_equal(fc.history_blocks(np.array([7]), 2), [[7]])


# --- history helpers ---------------------------------------------------------------------------------------

def test_sprint_weeks_from_sprint_starts():
    sprints = pd.DataFrame({
        "sprint": ["A1", "A2", "A3", "B1", "B2"], "team": ["A", "A", "A", "B", "B"],
        "start": pd.to_datetime(["2026-01-05", "2026-01-19", "2026-02-02", "2026-01-12", "2026-01-26"], utc=True),
        "end": pd.to_datetime(["2026-01-16", "2026-01-30", "2026-02-13", "2026-01-23", "2026-02-06"], utc=True),
        "state": "closed"})
    assert fc.sprint_weeks(sprints) == 2
    assert fc.sprint_weeks(sprints.iloc[0:0]) == 1
    one = sprints.iloc[[0]]  # a single sprint: 11 days long → 2 weeks
    assert fc.sprint_weeks(one) == 2


def flow_frame(rows):
    frame = pd.DataFrame(rows, columns=["item_id", "created_at", "started_at", "completed_at"])
    for column in ("created_at", "started_at", "completed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.assign(phase=np.where(frame["completed_at"].notna(), "done", "committed"), included=True,
                        canceled_at=pd.NaT, cycle_time_days=1.0)


def test_scope_growth_is_the_share_of_completions_picked_up_within_a_week():
    flow = flow_frame([
        ("A", "2026-01-01", "2026-01-03", "2026-02-02"),  # started 2 days after creation: new scope
        ("B", "2025-11-01", "2026-01-05", "2026-02-03"),  # waited in the backlog
        ("C", "2025-12-01", "2026-01-10", "2026-02-04"),
        ("D", "2025-12-20", "2026-01-20", "2026-02-05"),
        ("E", "2026-02-01", "2026-02-02", None),          # not completed: not counted
    ])
    assert fc.scope_growth(flow, "2026-01-01", "2026-02-28") == pytest.approx(0.25)
    assert fc.scope_growth(flow, "2026-03-01", "2026-03-31") == 0.0


def test_complete_weeks_leave_out_the_week_as_of_cuts_short():
    flow = flow_frame([
        ("A", "2026-01-01", "2026-01-02", "2026-01-06"),  # week of Mon 5 Jan
        ("B", "2026-01-01", "2026-01-02", "2026-01-07"),
        ("C", "2026-01-01", "2026-01-02", "2026-01-20"),  # week of 19 Jan
        ("D", "2026-01-01", "2026-01-02", "2026-01-27"),  # week of 26 Jan, cut short by as_of
    ])
    weeks = fc.complete_weeks(flow, pd.Timestamp("2026-01-28 23:59", tz="UTC"))
    assert weeks["throughput"].tolist() == [2, 0, 1]
    assert weeks["week_start"].iloc[0] == pd.Timestamp("2026-01-05", tz="UTC")


# --- backtest -------------------------------------------------------------------------------------------

def test_backtest_hand_worked_on_constant_throughput():
    # 12 weeks of 3: the only origin with 8 weeks before it and 4 after is week 8; it forecasts 12, 12 happen
    result = fc.backtest_weeks(weeks_frame([3] * 12), rng(), horizon_weeks=4, min_history_weeks=8, sims=200)
    rows = result.forecasts
    assert len(rows) == 1
    assert rows.loc[0, ["p50", "p85", "p95", "actual"]].tolist() == [12, 12, 12, 12]
    assert rows.loc[0, "made_on"] == dt.date(2024, 2, 26)
    assert result.hit_rate_p85 == 1.0


def test_backtest_uses_only_the_past():
    # throughput jumps from 2 to 20 at week 10: a forecast made at week 10 cannot know it
    counts = [2] * 10 + [20] * 4
    rows = fc.backtest_weeks(weeks_frame(counts), rng(), horizon_weeks=4, min_history_weeks=8, sims=200).forecasts
    made_at_10 = rows[rows["made_on"] == dt.date(2024, 3, 11)].iloc[0]
    assert made_at_10["p50"] == 8 and made_at_10["actual"] == 80


def test_backtest_too_short_is_empty():
    result = fc.backtest_weeks(weeks_frame([3] * 6), rng())
    assert result.forecasts.empty and result.hit_rate_p85 is None
    assert result.as_dict()["hit_rate_p85"] is None and result.as_dict()["forecasts"] == []


def test_backtest_on_stationary_poisson_is_calibrated():
    counts = np.random.default_rng(11).poisson(6, size=200)
    result = fc.backtest_weeks(weeks_frame(counts), rng(11))
    assert len(result.forecasts) > 150
    assert 0.75 <= result.hit_rate_p85 <= 0.95
    assert result.hit_rate(50) < result.hit_rate_p85 < result.hit_rate(95)


@pytest.mark.parametrize("name", ["acme-robotics", "beacon-health", "cobalt-pay", "delta-logistics"])
def test_sample_backtest_hit_rate(name):
    folder = SAMPLES / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not generated (opsdiag sample {name} --out data_samples/{name})")
    from opsdiag.client import load_client
    from opsdiag.scale import forecast

    result = forecast(load_client(folder), by=None, items=20)
    assert len(result["backtest"]["forecasts"]) >= 20
    assert 0.75 <= result["backtest"]["hit_rate_p85"] <= 0.95

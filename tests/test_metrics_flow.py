"""Flow metrics and XmR limits on tiny literal frames with hand-worked values."""

import math

import numpy as np
import pandas as pd
import pytest

from opsdiag.metrics import (aging_wip, cumulative_flow, cycle_time_percentiles, cycle_times, daily_wip,
                             flow_efficiency, net_flow, time_in_status, weekly_throughput, xmr_limits, xmr_signals)

FLOW_COLUMNS = ["item_id", "item_type", "team", "status", "phase", "created_at", "started_at", "completed_at",
                "canceled_at", "cycle_time_days", "lead_time_days", "age_days", "active_days", "queue_days",
                "blocked_days", "handoffs", "bounce_backs", "has_history", "included"]
SEGMENT_COLUMNS = ["item_id", "status", "phase", "kind", "owner", "order", "start", "end"]
UTC = "datetime64[us, UTC]"


def ts(text):
    return pd.Timestamp(text, tz="UTC")


def flow_frame(rows):
    defaults = dict(item_type="Story", team="Core", status="Done", phase="done", created_at=None, started_at=None,
                    completed_at=None, canceled_at=None, cycle_time_days=np.nan, lead_time_days=np.nan,
                    age_days=np.nan, active_days=np.nan, queue_days=np.nan, blocked_days=0.0, handoffs=0,
                    bounce_backs=0, has_history=True, included=True)
    frame = pd.DataFrame([{**defaults, **row} for row in rows], columns=FLOW_COLUMNS)
    for column in ("created_at", "started_at", "completed_at", "canceled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(UTC)
    return frame


def segment_frame(rows, as_of):
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(UTC)
    frame["days"] = (frame["end"] - frame["start"]) / pd.Timedelta(days=1)
    frame["open"] = frame["end"].eq(ts(as_of))
    return frame


# 2026-03-02 is a Monday. As of the end of Thursday 2026-03-12.
AS_OF = ts("2026-03-12 23:59:59.999999")


@pytest.fixture
def flow():
    return flow_frame([
        dict(item_id="A", started_at="2026-03-02", completed_at="2026-03-04", cycle_time_days=2.0,
             lead_time_days=3.0, active_days=1.5, queue_days=0.5),
        dict(item_id="B", started_at="2026-03-03", completed_at="2026-03-07", cycle_time_days=4.0,
             active_days=2.0, queue_days=1.0, blocked_days=1.0),
        dict(item_id="C", team="Web", item_type="Bug", started_at="2026-03-05", completed_at="2026-03-11",
             cycle_time_days=6.0, active_days=3.0, queue_days=3.0),
        dict(item_id="D", team="Web", status="In Progress", phase="committed", started_at="2026-03-09", age_days=4.0),
        dict(item_id="E", status="Won't Do", phase="canceled", started_at="2026-03-04", canceled_at="2026-03-06"),
        dict(item_id="F", item_type="Epic", included=False, started_at="2026-03-01", completed_at="2026-03-05",
             cycle_time_days=4.0),
        dict(item_id="G", status="Backlog", phase="backlog"),
        dict(item_id="H", completed_at="2026-03-10"),  # done without ever starting: throughput, no cycle time
    ])


def test_cycle_times_keep_included_started_done_items_in_the_window(flow):
    result = cycle_times(flow)
    assert result["item_id"].tolist() == ["A", "B", "C"]  # F is an epic, H never started, E canceled
    assert result["cycle_time_days"].tolist() == [2.0, 4.0, 6.0]
    assert str(result["completed_at"].dtype) == UTC
    window = cycle_times(flow, start="2026-03-05", end=ts("2026-03-10"))
    assert window["item_id"].tolist() == ["B"]  # A before the window, C after it


def test_cycle_time_percentiles_interpolate_linearly(flow):
    # values 2, 4, 6: rank (n−1)·p = 2·p; p70 → 1.4 → 4 + 0.4·2 = 4.8; p85 → 1.7 → 5.4; p95 → 5.8
    assert cycle_time_percentiles(flow) == pytest.approx({50: 4.0, 70: 4.8, 85: 5.4, 95: 5.8})
    assert cycle_time_percentiles(flow, (90,)) == pytest.approx({90: 5.6})


def test_cycle_time_percentiles_empty_and_single(flow):
    empty = cycle_time_percentiles(flow.iloc[0:0])
    assert list(empty) == [50, 70, 85, 95] and all(math.isnan(v) for v in empty.values())
    assert cycle_time_percentiles(flow[flow["item_id"] == "B"]) == {50: 4.0, 70: 4.0, 85: 4.0, 95: 4.0}
    assert cycle_times(flow.iloc[0:0]).empty


def test_weekly_throughput_counts_per_monday_week_and_flags_the_partial_week(flow):
    result = weekly_throughput(flow, AS_OF)
    # week of Mon 03-02: A (03-04), B (03-07); week of 03-09: H (03-10), C (03-11); as_of is Thursday
    assert result["week_start"].tolist() == [ts("2026-03-02"), ts("2026-03-09")]
    assert result["throughput"].tolist() == [2, 2]
    assert result["partial"].tolist() == [False, True]
    assert result["item_ids"].tolist() == [("A", "B"), ("C", "H")]
    assert str(result["week_start"].dtype) == UTC


def test_weekly_throughput_full_week_when_as_of_is_sunday(flow):
    result = weekly_throughput(flow, ts("2026-03-15 23:59:59.999999"))
    assert result["partial"].tolist() == [False, False]


def test_weekly_throughput_by_team_gives_every_team_every_week(flow):
    result = weekly_throughput(flow, AS_OF, by="team")
    assert result[["team", "throughput"]].values.tolist() == [["Core", 2], ["Core", 1], ["Web", 0], ["Web", 1]]
    assert result["item_ids"].tolist() == [("A", "B"), ("H",), (), ("C",)]


def test_weekly_throughput_start_adds_empty_weeks_and_flags_a_cut_first_week(flow):
    result = weekly_throughput(flow, AS_OF, start="2026-02-25")  # a Wednesday
    assert result["throughput"].tolist() == [0, 2, 2]
    assert result["partial"].tolist() == [True, False, True]


def test_weekly_throughput_uses_local_weeks():
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: a different week there
    flow = flow_frame([dict(item_id="A", started_at="2026-03-01", completed_at="2026-03-08T23:30:00Z",
                            cycle_time_days=7.0)])
    utc_weeks = weekly_throughput(flow, ts("2026-03-10"))
    berlin = weekly_throughput(flow, ts("2026-03-10"), timezone="Europe/Berlin")
    assert utc_weeks["throughput"].tolist() == [1, 0]
    assert berlin["throughput"].tolist() == [1]
    assert berlin["week_start"].iloc[0] == pd.Timestamp("2026-03-09", tz="Europe/Berlin")


def test_weekly_throughput_empty(flow):
    result = weekly_throughput(flow.iloc[0:0], AS_OF)
    assert result.empty and list(result.columns) == ["week_start", "throughput", "partial", "item_ids"]
    assert str(result["throughput"].dtype) == "int64"
    zeros = weekly_throughput(flow.iloc[0:0], AS_OF, start="2026-03-02")
    assert zeros["throughput"].tolist() == [0, 0]


def test_daily_wip_counts_items_open_at_each_day_end(flow):
    result = daily_wip(flow, AS_OF)
    # A 03-02→03-04, B 03-03→03-07, E 03-04→canceled 03-06, C 03-05→03-11, D 03-09→open.
    # An item finishing at midnight still counts on the day before.
    assert result["day"].iloc[0] == ts("2026-03-02") and result["day"].iloc[-1] == ts("2026-03-12")
    assert result["wip"].tolist() == [1, 2, 2, 3, 2, 1, 1, 2, 2, 1, 1]


def test_daily_wip_empty_and_single(flow):
    assert daily_wip(flow.iloc[0:0], AS_OF).empty
    single = daily_wip(flow[flow["item_id"] == "D"], AS_OF)
    assert single["wip"].tolist() == [1, 1, 1, 1]  # 03-09 … 03-12


def test_net_flow_is_weekly_arrivals_minus_departures(flow):
    result = net_flow(flow, AS_OF)
    # arrivals: A, B, E, C in week 03-02, D in week 03-09; departures: A, B then H, C
    assert result["arrivals"].tolist() == [4, 1]
    assert result["departures"].tolist() == [2, 2]
    assert result["net_flow"].tolist() == [2, -1]
    assert result["partial"].tolist() == [False, True]
    assert net_flow(flow.iloc[0:0], AS_OF).empty


def test_aging_wip_reports_age_and_passed_percentile(flow):
    extra = flow_frame([
        dict(item_id="I", status="In Review", phase="committed", started_at="2026-03-01", age_days=12.0),
        dict(item_id="J", status="In Progress", phase="committed", started_at="2026-03-07", age_days=5.0),
        dict(item_id="K", status="In Progress", phase="committed", started_at="2026-03-10T12:00:00Z"),
    ])
    result = aging_wip(pd.concat([flow, extra], ignore_index=True), ts("2026-03-12"))
    # percentiles 4.0 / 4.8 / 5.4 / 5.8: I 12 > p95; J 5.0 > p70 only; D 4.0 is not above p50;
    # K has no age_days: as_of − started = 1.5 days
    assert result["item_id"].tolist() == ["I", "J", "D", "K"]
    assert result["age_days"].tolist() == [12.0, 5.0, 4.0, 1.5]
    assert result["exceeds_percentile"].tolist() == [95, 70, pd.NA, pd.NA]
    assert str(result["exceeds_percentile"].dtype) == "Int64"


def test_aging_wip_with_given_percentiles_and_empty(flow):
    result = aging_wip(flow, AS_OF, {50: 3.0})
    assert result["exceeds_percentile"].tolist() == [50]  # D: 4 > 3
    assert aging_wip(flow.iloc[0:0], AS_OF).empty


def test_flow_efficiency_is_time_weighted_over_completed_items(flow):
    result = flow_efficiency(flow)
    # A 1.5/(1.5+0.5), B 2/(2+1+1), C 3/(3+3); overall (1.5+2+3)/(2+4+6) = 6.5/12
    assert result.efficiency == pytest.approx(6.5 / 12)
    assert result.active_days == 6.5 and result.waiting_days == 5.5
    assert result.items == 3 and result.item_ids == ("A", "B", "C")
    assert result.per_item["efficiency"].tolist() == [0.75, 0.5, 0.5]


def test_flow_efficiency_empty(flow):
    result = flow_efficiency(flow.iloc[0:0])
    assert math.isnan(result.efficiency) and result.items == 0 and result.per_item.empty


SEGMENTS = [
    ("X", "Backlog", "backlog", "queue", "product", 0, "2026-03-01", "2026-03-02"),
    ("X", "In Progress", "committed", "active", "engineering", 2, "2026-03-02", "2026-03-04"),
    ("X", "Ready for QA", "committed", "queue", "qa", 4, "2026-03-04", "2026-03-06"),
    ("X", "Done", "done", "queue", "release", 7, "2026-03-06", "2026-03-09"),
    ("Y", "In Progress", "committed", "active", "engineering", 2, "2026-03-03", "2026-03-04T12:00:00Z"),
    ("Y", "Blocked", "committed", "blocked", "engineering", 6, "2026-03-04T12:00:00Z", "2026-03-09"),
]


def test_cumulative_flow_counts_items_per_status_at_each_day_end():
    segments = segment_frame(SEGMENTS, "2026-03-09")
    result = cumulative_flow(segments, ts("2026-03-08 23:59:59.999999"))
    assert list(result.columns) == ["Backlog", "In Progress", "Ready for QA", "Blocked", "Done"]
    # Day ends are the next midnights 03-02 … 03-09; a stay ending exactly then still counts that day.
    assert result.index[0] == ts("2026-03-01") and len(result) == 8
    assert result.loc[ts("2026-03-01")].tolist() == [1, 0, 0, 0, 0]
    assert result.loc[ts("2026-03-02")].tolist() == [0, 1, 0, 0, 0]
    assert result.loc[ts("2026-03-03")].tolist() == [0, 2, 0, 0, 0]
    assert result.loc[ts("2026-03-04")].tolist() == [0, 0, 1, 1, 0]  # Y blocked at noon
    assert result.loc[ts("2026-03-06")].tolist() == [0, 0, 0, 1, 1]
    assert result.loc[ts("2026-03-08")].tolist() == [0, 0, 0, 1, 1]


def test_cumulative_flow_by_phase_weekly_and_filtered():
    segments = segment_frame(SEGMENTS, "2026-03-09")
    weekly = cumulative_flow(segments, ts("2026-03-09"), freq="W", by="phase")
    assert list(weekly.columns) == ["backlog", "committed", "done", "canceled"]
    # end of week of 02-23 (Mon 03-02 00:00): X in Backlog; end of week of 03-02: X done, Y blocked;
    # week of 03-09 is cut at as_of 03-09 00:00, when X (Done) and Y (Blocked) stays end but are open.
    assert weekly.values.tolist() == [[1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0]]
    only_y = cumulative_flow(segments, ts("2026-03-09"), item_ids=["Y"])
    assert list(only_y.columns) == ["In Progress", "Blocked"]
    assert cumulative_flow(segments.iloc[0:0], ts("2026-03-09")).empty


def test_time_in_status_per_committed_status():
    segments = segment_frame(SEGMENTS, "2026-03-09")
    result = time_in_status(segments)
    # In Progress: X 2 + Y 1.5 = 3.5; Ready for QA: X 2; Blocked: Y 4.5; total 10
    assert result["status"].tolist() == ["In Progress", "Ready for QA", "Blocked"]
    assert result["total_days"].tolist() == [3.5, 2.0, 4.5]
    assert result["items"].tolist() == [2, 1, 1]
    assert result["median_days"].tolist() == [1.75, 2.0, 4.5]
    assert result["share"].tolist() == pytest.approx([0.35, 0.2, 0.45])
    assert result["item_ids"].iloc[0] == ("X", "Y")
    every = time_in_status(segments, phases=None)
    assert every["status"].tolist() == ["Backlog", "In Progress", "Ready for QA", "Blocked", "Done"]
    assert time_in_status(segments.iloc[0:0]).empty


def test_xmr_limits_use_wheeler_constants():
    # values 2, 4, 3, 5, 6: mean 4; moving ranges 2, 1, 2, 1 → mR̄ 1.5
    limits = xmr_limits([2, 4, 3, 5, 6])
    assert limits.mean == 4.0 and limits.mr_bar == 1.5 and limits.n == 5
    assert limits.unpl == pytest.approx(4 + 2.66 * 1.5)  # 7.99
    assert limits.lnpl == pytest.approx(4 - 2.66 * 1.5)  # 0.01
    assert limits.url == pytest.approx(3.268 * 1.5)  # 4.902


def test_xmr_limits_empty_and_single():
    assert math.isnan(xmr_limits([]).mean) and xmr_limits([]).n == 0
    single = xmr_limits([3.0])
    assert single.mean == 3.0 and math.isnan(single.unpl)


def test_xmr_signals_flag_points_outside_limits_and_runs_of_eight():
    baseline = xmr_limits([2, 4, 3, 5, 6])
    points = pd.Series([9.0, 5, 5, 5, 5, 5, 5, 5, 4, 0.0], index=list("abcdefghij"))
    result = xmr_signals(points, baseline)
    # 9 > 7.99; 0 < 0.01; a..h are eight points above the mean 4 (i = 4 is on the mean, breaks nothing more)
    assert result["above_unpl"].tolist() == [True] + [False] * 9
    assert result["below_lnpl"].tolist() == [False] * 9 + [True]
    assert result["run_of_8"].tolist() == [True] * 8 + [False, False]
    assert result["large_range"].tolist() == [False] * 9 + [False]  # |0 − 4| = 4 < 4.902
    assert result.index.tolist() == list("abcdefghij")
    seven = xmr_signals(pd.Series([9.0, 5, 5, 5, 5, 5, 5, 3]), baseline)
    assert not seven["run_of_8"].any()


def test_xmr_signals_empty():
    result = xmr_signals(pd.Series([], dtype="float64"))
    assert result.empty and "signal" in result.columns


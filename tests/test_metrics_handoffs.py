"""Handoff metrics on tiny literal segment and flow frames with hand-worked values."""

import math

import numpy as np
import pandas as pd
import pytest

from opsdiag.metrics import blocked_time, bounce_backs, handoff_waits, queue_share, waits_by_owner_pair

SEGMENT_COLUMNS = ["item_id", "status", "phase", "kind", "owner", "order", "start", "end"]
UTC = "datetime64[us, UTC]"
AS_OF = "2026-03-12"


def ts(text):
    return pd.Timestamp(text, tz="UTC")


def segment_frame(rows, as_of=AS_OF):
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(UTC)
    frame["days"] = (frame["end"] - frame["start"]) / pd.Timedelta(days=1)
    frame["open"] = frame["end"].eq(ts(as_of))
    return frame


# X: eng works, waits in review and QA queue, QA tests, sends it back, eng fixes, review, QA again.
# Y: eng works, is blocked, waits for QA, QA tests (still open).
# Z: QA tests, item blocked, back to In Progress (a bounce across a block).
ROWS = [
    ("X", "Backlog", "backlog", "queue", "product", 0, "2026-03-01", "2026-03-02"),
    ("X", "In Progress", "committed", "active", "engineering", 2, "2026-03-02", "2026-03-04"),
    ("X", "Code Review", "committed", "queue", "engineering", 3, "2026-03-04", "2026-03-05"),
    ("X", "Ready for QA", "committed", "queue", "qa", 4, "2026-03-05", "2026-03-07"),
    ("X", "In QA", "committed", "active", "qa", 5, "2026-03-07", "2026-03-08"),
    ("X", "In Progress", "committed", "active", "engineering", 2, "2026-03-08", "2026-03-09"),
    ("X", "Code Review", "committed", "queue", "engineering", 3, "2026-03-09", "2026-03-09T12:00:00Z"),
    ("X", "In QA", "committed", "active", "qa", 5, "2026-03-09T12:00:00Z", "2026-03-10"),
    ("X", "Done", "done", "queue", "release", 7, "2026-03-10", AS_OF),
    ("Y", "In Progress", "committed", "active", "engineering", 2, "2026-03-02", "2026-03-03"),
    ("Y", "Blocked", "committed", "blocked", "engineering", 6, "2026-03-03", "2026-03-05"),
    ("Y", "Ready for QA", "committed", "queue", "qa", 4, "2026-03-05", "2026-03-06"),
    ("Y", "In QA", "committed", "active", "qa", 5, "2026-03-06", AS_OF),
]


@pytest.fixture
def segments():
    return segment_frame(ROWS)


def test_handoff_waits_sum_queue_time_between_owners_active_stays(segments):
    result = handoff_waits(segments)
    assert result[["item_id", "from_owner", "to_owner"]].values.tolist() == [
        ["X", "engineering", "qa"], ["X", "qa", "engineering"], ["X", "engineering", "qa"],
        ["Y", "engineering", "qa"]]
    # X: Code Review 1 + Ready for QA 2 = 3; QA → eng direct = 0; Code Review 0.5.
    # Y: Blocked 2 days is not wait, Ready for QA 1 is. The backlog day before X's first start is no handoff.
    assert result["wait_days"].tolist() == [3.0, 0.0, 0.5, 1.0]
    assert result["at"].tolist() == [ts("2026-03-04"), ts("2026-03-08"), ts("2026-03-09"), ts("2026-03-03")]
    assert result["received_at"].iloc[0] == ts("2026-03-07")
    assert result[["from_status", "to_status"]].iloc[1].tolist() == ["In QA", "In Progress"]


def test_handoff_waits_ignore_same_owner_and_pending_handoffs():
    segments = segment_frame([
        ("W", "In Progress", "committed", "active", "engineering", 2, "2026-03-02", "2026-03-03"),
        ("W", "Code Review", "committed", "queue", "engineering", 3, "2026-03-03", "2026-03-04"),
        ("W", "Building", "committed", "active", "engineering", 4, "2026-03-04", "2026-03-05"),
        ("W", "Ready for QA", "committed", "queue", "qa", 5, "2026-03-05", AS_OF),
    ])
    assert handoff_waits(segments).empty  # eng → eng is no handoff; QA has not picked it up yet


def test_handoff_waits_empty_and_item_filter(segments):
    empty = handoff_waits(segments.iloc[0:0])
    assert empty.empty and str(empty["wait_days"].dtype) == "float64" and str(empty["at"].dtype) == UTC
    assert handoff_waits(segments, item_ids=["Y"])["item_id"].tolist() == ["Y"]


def test_waits_by_owner_pair(segments):
    result = waits_by_owner_pair(handoff_waits(segments))
    assert result["pair"].tolist() == ["engineering → qa", "qa → engineering"]
    assert result["handoffs"].tolist() == [3, 1]
    # eng → qa waits 3, 0.5, 1: total 4.5, median 1; p85 rank 2·0.85 = 1.7 → 1 + 0.7·(3 − 1) = 2.4
    assert result["total_wait_days"].tolist() == [4.5, 0.0]
    assert result["median_wait_days"].tolist() == [1.0, 0.0]
    assert result["p85_wait_days"].tolist() == pytest.approx([2.4, 0.0])
    assert result["item_ids"].tolist() == [("X", "Y"), ("X",)]
    assert waits_by_owner_pair(handoff_waits(segments.iloc[0:0])).empty


def test_bounce_backs_moves_to_lower_committed_order(segments):
    extra = segment_frame([
        ("Z", "In QA", "committed", "active", "qa", 5, "2026-03-02", "2026-03-04T06:00:00Z"),
        ("Z", "Blocked", "committed", "blocked", "engineering", 6, "2026-03-04T06:00:00Z", "2026-03-05"),
        ("Z", "In Progress", "committed", "active", "engineering", 2, "2026-03-05", AS_OF),
        ("R", "Code Review", "committed", "queue", "engineering", 3, "2026-03-02", "2026-03-03"),
        ("R", "In Progress", "committed", "active", "engineering", 2, "2026-03-03", AS_OF),
    ])
    result = bounce_backs(pd.concat([segments, extra], ignore_index=True))
    # X: In QA (5) → In Progress (2) after 1 active day in QA. Y: Blocked (6) → Ready for QA (4) is
    # leaving a block, not a bounce. Z: In QA → Blocked → In Progress bounces from In QA (2.25 days).
    # R: rejected in review (a queue): a bounce with 0 active days.
    assert result[["item_id", "from_status", "to_status"]].values.tolist() == [
        ["R", "Code Review", "In Progress"], ["X", "In QA", "In Progress"], ["Z", "In QA", "In Progress"]]
    assert result["days_in_bounced_step"].tolist() == [0.0, 1.0, 2.25]
    assert result["at"].tolist() == [ts("2026-03-03"), ts("2026-03-08"), ts("2026-03-05")]
    assert result["from_kind"].tolist() == ["queue", "active", "active"]


def test_bounce_backs_empty_and_single(segments):
    assert bounce_backs(segments.iloc[0:0]).empty
    assert bounce_backs(segments[segments["item_id"] == "Y"]).empty


def flow_frame(rows):
    columns = ["item_id", "item_type", "team", "status", "phase", "started_at", "completed_at", "cycle_time_days",
               "queue_days", "blocked_days", "included"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("started_at", "completed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(UTC)
    return frame


FLOW = [
    ("X", "Story", "Core", "Done", "done", "2026-03-02", "2026-03-10", 8.0, 3.5, 0.0, True),
    ("Y", "Story", "Core", "In QA", "committed", "2026-03-02", None, np.nan, 1.0, 2.0, True),
    ("V", "Bug", "Core", "Done", "done", "2026-03-01", "2026-03-05", 4.0, 2.5, 0.5, True),
    ("E", "Epic", "Core", "Done", "done", "2026-03-01", "2026-03-09", 8.0, 8.0, 3.0, False),
]


def test_queue_share_over_completed_items():
    result = queue_share(flow_frame(FLOW))
    # X and V completed (E is an epic): (3.5 + 2.5) / (8 + 4) = 0.5
    assert result.share == 0.5 and result.queue_days == 6.0 and result.cycle_time_days == 12.0
    assert result.items == 2 and result.item_ids == ("X", "V")
    empty = queue_share(flow_frame(FLOW).iloc[0:0])
    assert math.isnan(empty.share) and empty.items == 0


def test_blocked_time_lists_blocked_items_with_their_blocked_stays(segments):
    result = blocked_time(flow_frame(FLOW), segments)
    # Y: 2 blocked days in one Blocked stay from 03-03; V: 0.5 days but no blocked stay in segments
    assert result["item_id"].tolist() == ["Y", "V"]
    assert result["blocked_days"].tolist() == [2.0, 0.5]
    assert result["blocked_stays"].tolist() == [1, 0]
    assert result["blocked_statuses"].tolist() == [("Blocked",), ()]
    assert result["first_blocked_at"].iloc[0] == ts("2026-03-03") and pd.isna(result["first_blocked_at"].iloc[1])
    empty = blocked_time(flow_frame(FLOW).iloc[0:0], segments.iloc[0:0])
    assert empty.empty and str(empty["blocked_stays"].dtype) == "int64"

"""Delivery metrics on tiny literal canonical tables with hand-worked values."""

import math

import pandas as pd
import pytest

from opsdiag.metrics import (carry_over, release_cadence, release_slippage, scope_added_after_start, sprint_events,
                             sprint_membership, sprint_say_do)
from opsdiag.schema import conform, empty_frame


def ts(text):
    return pd.Timestamp(text, tz="UTC")


AS_OF = ts("2026-03-11")


@pytest.fixture
def releases():
    return conform("releases", pd.DataFrame({
        "release": ["1.0", "1.1", "1.2", "2.0", "0.9", "1.3"],
        "team": ["Core"] * 6,
        "planned_date": ["2026-01-10", "2026-02-01", "2026-03-01", "2026-04-01", None, "2026-03-05"],
        "released_date": ["2026-01-12", "2026-01-30", None, None, "2026-01-02", "2026-03-20"],
        "status": ["released", "released", "unreleased", "unreleased", "released", "released"],
    }))


@pytest.fixture
def items():
    return conform("work_items", pd.DataFrame({
        "item_id": ["A", "B", "C", "D", "P"],
        "releases": [("1.0",), ("1.0", "1.1"), (), ("1.2",), ()],
        "sprints": [("S1",), ("S1", "S2"), ("S2",), (), ("S1",)],
        "created_at": ["2026-01-01", "2026-01-01", "2026-01-20", "2026-01-01", "2025-12-01"],
        "completed_at": ["2026-01-10", "2026-01-25", None, None, "2026-01-02"],
    }))


@pytest.fixture
def sprints():
    return conform("sprints", pd.DataFrame({
        "sprint": ["S1", "S2"], "team": ["Core", "Core"], "start": ["2026-01-05", "2026-01-19"],
        "end": ["2026-01-19", "2026-02-02"], "state": ["closed", "closed"]}))


@pytest.fixture
def changes():
    return conform("field_changes", pd.DataFrame({
        "item_id": ["B", "C", "D", "D", "A"],
        "at": ["2026-01-19", "2026-01-20", "2026-01-07", "2026-01-08", "2026-01-06"],
        "field": ["Sprint", "Sprint", "Sprint", "sprint", "priority"],
        "from_value": ["S1", None, None, '["S1"]', "Low"],
        "to_value": ["S1, S2", "S2", '["S1"]', "[]", "High"],
    }))


def test_release_slippage(releases, items):
    result = release_slippage(releases, AS_OF, items)
    assert result["release"].tolist() == ["1.0", "1.1", "1.2", "1.3", "2.0", "0.9"]
    # 1.0: 01-12 − 01-10 = 2 late; 1.1: 2 days early; 1.2 overdue: 03-11 − 03-01 = 10;
    # 1.3 ships after as_of, so at as_of it is overdue by 6; 2.0 not due; 0.9 has no plan
    slip = result["slip_days"].tolist()
    assert slip[:4] == [2.0, -2.0, 10.0, 6.0] and math.isnan(slip[4]) and math.isnan(slip[5])
    assert result["overdue"].tolist() == [False, False, True, True, False, False]
    assert result["late"].tolist() == [True, False, True, True, False, False]
    assert result["released"].tolist() == [True, True, False, False, False, True]
    assert result["items"].tolist() == [2, 1, 1, 0, 0, 0]
    assert result["item_ids"].tolist() == [("A", "B"), ("B",), ("D",), (), (), ()]


def test_release_slippage_empty_and_without_items(releases):
    empty = release_slippage(empty_frame("releases"), AS_OF)
    assert empty.empty and str(empty["slip_days"].dtype) == "float64"
    alone = release_slippage(releases.iloc[[0]], AS_OF)
    assert alone["slip_days"].tolist() == [2.0] and alone["items"].tolist() == [0]


def test_release_cadence(releases):
    result = release_cadence(releases, AS_OF)
    # shipped by as_of: 0.9 01-02, 1.0 01-12, 1.1 01-30 → gaps 10, 18: median 14, p85 10 + 0.85·8 = 16.8
    # 3 releases over 01-02 … 03-11 = 68 days → 3 / 68 · 30
    assert result.releases == 3 and result.release_ids == ("0.9", "1.0", "1.1")
    assert result.median_days_between == 14.0
    assert result.p85_days_between == pytest.approx(16.8)
    assert result.releases_per_30_days == pytest.approx(3 / 68 * 30)
    assert result.first_release == ts("2026-01-02") and result.last_release == ts("2026-01-30")
    windowed = release_cadence(releases, AS_OF, start="2026-01-10")
    assert windowed.releases == 2 and windowed.releases_per_30_days == pytest.approx(2 / 60 * 30)


def test_release_cadence_empty_and_single(releases):
    empty = release_cadence(empty_frame("releases"), AS_OF)
    assert empty.releases == 0 and math.isnan(empty.median_days_between) and empty.first_release is None
    single = release_cadence(releases.iloc[[0]], AS_OF)
    assert single.releases == 1 and math.isnan(single.median_days_between)
    assert single.releases_per_30_days == pytest.approx(1 / 58 * 30)


def test_sprint_events_diff_the_sprint_lists(changes):
    result = sprint_events(changes)
    # D added to S1 then removed (JSON arrays), B added to S2 (S1 stays listed), C added to S2
    assert result[["item_id", "sprint", "action"]].values.tolist() == [
        ["D", "S1", 1], ["D", "S1", -1], ["B", "S2", 1], ["C", "S2", 1]]
    assert sprint_events(empty_frame("field_changes")).empty


def test_sprint_membership(sprints, items, changes):
    result = sprint_membership(sprints, changes, items)
    assert result[["sprint", "item_id"]].values.tolist() == [
        ["S1", "A"], ["S1", "B"], ["S1", "D"], ["S1", "P"], ["S2", "B"], ["S2", "C"]]
    # A, B, P: no event for their S1 membership, created before 01-05 → in from the start.
    # D: added 01-07 and removed 01-08. B added to S2 at its start instant (counts as committed).
    assert result["member_at_start"].tolist() == [True, True, False, True, True, False]
    assert result["member_at_end"].tolist() == [True, True, False, True, True, True]
    assert result["added_at"].tolist()[2] == ts("2026-01-07") and result["added_at"].tolist()[5] == ts("2026-01-20")
    assert result["added_at"].isna().tolist() == [True, True, False, True, True, False]


def test_sprint_say_do(sprints, items, changes):
    result = sprint_say_do(sprints, items, changes)
    # S1 committed A, B (P was finished before the start); A done 01-10 ≤ 01-19, B only 01-25 → 1/2
    # S2 committed B (done 01-25 ≤ 02-02) → 1/1; C added on 01-20, never done
    assert result["committed"].tolist() == [2, 1]
    assert result["completed"].tolist() == [1, 1]
    assert result["say_do"].tolist() == [0.5, 1.0]
    assert result["added_after_start"].tolist() == [1, 1]
    assert result["added_completed"].tolist() == [0, 0]
    assert result["committed_item_ids"].tolist() == [("A", "B"), ("B",)]
    assert result["completed_item_ids"].tolist() == [("A",), ("B",)]
    assert result["added_item_ids"].tolist() == [("D",), ("C",)]
    assert result["partial"].tolist() == [False, False]


def test_sprint_say_do_cuts_a_running_sprint_at_as_of(sprints, items, changes):
    result = sprint_say_do(sprints, items, changes, as_of="2026-01-24")
    # S2 is running on 01-24: B (done 01-25) is not done yet
    assert result["partial"].tolist() == [False, True]
    assert result["completed"].tolist() == [1, 0]
    assert sprint_say_do(sprints, items, changes, as_of="2026-01-10")["sprint"].tolist() == ["S1"]


def test_sprint_say_do_without_changes_uses_creation(sprints, items):
    result = sprint_say_do(sprints, items, empty_frame("field_changes"))
    # C lists S2 and was created 01-20, after S2 started: added, not committed
    assert result["committed_item_ids"].tolist() == [("A", "B"), ("B",)]
    assert result["added_item_ids"].tolist() == [(), ("C",)]


def test_sprint_say_do_empty(items, changes):
    result = sprint_say_do(empty_frame("sprints"), items, changes)
    assert result.empty and "say_do" in result.columns
    none = sprint_say_do(conform("sprints", pd.DataFrame({"sprint": ["S9"], "start": ["2026-01-01"],
                                                          "end": ["2026-01-14"]})), items, changes)
    assert none["committed"].tolist() == [0] and math.isnan(none["say_do"].iloc[0])


def test_carry_over(items):
    result = carry_over(items)
    # in a sprint: A, B, C, P (4); in two: B → 1/4
    assert result.carried_items == 1 and result.sprint_items == 4 and result.share == 0.25
    assert result.item_ids == ("B",)
    empty = carry_over(empty_frame("work_items"))
    assert empty.carried_items == 0 and math.isnan(empty.share)


def test_scope_added_after_start(sprints, items, changes):
    result = scope_added_after_start(sprints, changes)
    assert result["added"].tolist() == [1, 1] and result["item_ids"].tolist() == [("D",), ("C",)]
    late_item = conform("work_items", pd.DataFrame({"item_id": ["N"], "sprints": [("S1",)],
                                                    "created_at": ["2026-01-12"]}))
    with_items = scope_added_after_start(sprints, changes, items=late_item)
    assert with_items["item_ids"].tolist() == [("D", "N"), ("C",)]  # N was created inside S1
    assert scope_added_after_start(empty_frame("sprints"), changes).empty
    none = scope_added_after_start(sprints, empty_frame("field_changes"))
    assert none["added"].tolist() == [0, 0]


def test_release_items_the_same_whether_cells_are_all_tuples_or_not():
    from opsdiag.metrics import release_items

    items = pd.DataFrame({"item_id": ["A", "B", "C", "B"],
                          "releases": [("1.1", "1.0"), ("1.0", None, "1.0"), (), ("1.1",)]})
    out = release_items(items)
    # releases sorted; an item listed twice (or twice in one cell) counts once, first seen first
    assert out["release"].tolist() == ["1.0", "1.1"] and out["items"].tolist() == [2, 2]
    assert out["item_ids"].tolist() == [("A", "B"), ("A", "B")]
    # a cell that is a bare name (not a tuple) is one release, as pandas' explode reads it
    mixed = release_items(items.assign(releases=[("1.1", "1.0"), ("1.0", None, "1.0"), (), "1.1"]))
    pd.testing.assert_frame_equal(mixed, out)
    lists = release_items(items.assign(releases=[list(cell) for cell in items["releases"]]))
    pd.testing.assert_frame_equal(lists, out)

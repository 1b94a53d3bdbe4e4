"""Tooling lever metrics on tiny literal frames with hand-worked values."""

import math

import pandas as pd
import pytest

from opsdiag.metrics.tooling import (admin_hours, duplicate_tool_spend, seat_utilisation, tool_overlap,
                                     tool_spend_by_category, unused_seat_spend)
from opsdiag.schema import conform, empty_frame

TOOLS = conform("tools", pd.DataFrame({
    "tool": ["Jira", "Linear", "Notion", "Confluence", "Figma"],
    "category": ["Tracker", "tracker ", "Docs", "docs", None],
    "seats": [10, 5, 20, 10, None], "active_seats": [8, 5, 20, 2, 3],
    "monthly_cost": [100, 50, 200, 100, 30],
}))


def test_seat_utilisation():
    out = seat_utilisation(TOOLS).set_index("tool")
    # Confluence 2/10, Jira 8/10, Linear 5/5, Notion 20/20; Figma has no seat count
    assert list(out.index) == ["Confluence", "Jira", "Linear", "Notion", "Figma"]
    assert out["utilisation"].tolist()[:4] == [0.2, 0.8, 1.0, 1.0]
    assert math.isnan(out.loc["Figma", "utilisation"]) and math.isnan(out.loc["Figma", "unused_seats"])
    assert out.loc["Confluence", "unused_seats"] == 8.0
    assert out.loc["Jira", "category"] == "tracker"


def test_unused_seat_spend():
    out = unused_seat_spend(TOOLS).set_index("tool")
    # Confluence 8 unused × (100 / 10) × 12 = 960; Jira 2 × (100 / 10) × 12 = 240
    assert out.loc["Confluence", "unused_spend"] == 960.0
    assert out.loc["Jira", "unused_spend"] == 240.0
    assert out.loc["Linear", "unused_spend"] == 0.0 and out.loc["Notion", "unused_spend"] == 0.0
    assert math.isnan(out.loc["Figma", "unused_spend"])  # seats unknown: not assessed
    assert list(out.index)[:2] == ["Confluence", "Jira"]


def test_tool_overlap():
    out = tool_overlap(TOOLS)
    # docs: Notion 200 + Confluence 100 = 300/month = 3600/yr; tracker (case/space-insensitive): 150 → 1800
    assert out["category"].tolist() == ["docs", "tracker"]
    assert out["tools"].tolist() == [("Confluence", "Notion"), ("Jira", "Linear")]
    assert out["annual_spend"].tolist() == [3600.0, 1800.0]
    assert out["tool_count"].tolist() == [2, 2]


def test_duplicate_tool_spend():
    out = duplicate_tool_spend(TOOLS).set_index("tool")
    # tracker: Jira kept (8 active > 5); Linear 50 × 12 = 600, no unused seats → 600
    # docs: Notion kept (20 > 2); Confluence 100 × 12 = 1200 − its 960 unused (already counted) = 240
    assert out["kept_tool"].to_dict() == {"Linear": "Jira", "Confluence": "Notion"}
    assert out["duplicate_spend"].to_dict() == {"Linear": 600.0, "Confluence": 240.0}
    assert out.loc["Confluence", "annual_cost"] == 1200.0 and out.loc["Confluence", "unused_spend"] == 960.0


def test_duplicate_ties_keep_more_seats_then_the_dearer_tool():
    tools = conform("tools", pd.DataFrame({
        "tool": ["A", "B", "C", "D"], "category": ["chat"] * 2 + ["wiki"] * 2,
        "seats": [5, 10, 4, 4], "active_seats": [4, 4, 4, 4], "monthly_cost": [10, 10, 40, 80]}))
    out = duplicate_tool_spend(tools).set_index("tool")
    # chat: same active seats, B has more seats → A is the duplicate: 120/yr − 1 unused × 2 × 12 = 96
    # wiki: all equal but cost → D kept; C: 480/yr, nothing unused
    assert out["kept_tool"].to_dict() == {"A": "B", "C": "D"}
    assert out["duplicate_spend"].to_dict() == {"C": 480.0, "A": 96.0}


def test_tool_spend_by_category():
    out = tool_spend_by_category(TOOLS).set_index("category")
    assert list(out.index) == ["docs", "tracker", "uncategorised"]
    # docs 3600 = used 2400 + unused 960 + duplicate 240; tracker 1800 = 960 + 240 + 600; Figma 360 used
    assert out.loc["docs"].tolist() == [3600.0, 2400.0, 960.0, 240.0]
    assert out.loc["tracker"].tolist() == [1800.0, 960.0, 240.0, 600.0]
    assert out.loc["uncategorised"].tolist() == [360.0, 360.0, 0.0, 0.0]


def test_single_tool_and_empty():
    one = TOOLS.iloc[[0]]
    assert tool_overlap(one).empty and duplicate_tool_spend(one).empty
    assert unused_seat_spend(one)["unused_spend"].tolist() == [240.0]
    empty = empty_frame("tools")
    for fn in (seat_utilisation, unused_seat_spend, tool_overlap, duplicate_tool_spend, tool_spend_by_category):
        out = fn(empty)
        assert out.empty and len(out.columns) >= 4, fn.__name__
    assert str(tool_spend_by_category(empty)["annual_spend"].dtype) == "float64"


def test_admin_hours():
    people = conform("people", pd.DataFrame({"person": ["a", "b"], "role": ["product", "engineering"],
                                             "hours_tool_admin": [3.0, None]}))
    hours = admin_hours(people)
    assert hours.column == "tool_admin" and hours.total_hours_per_week == 3.0 and hours.respondents == 1
    assert admin_hours(empty_frame("people")).total_hours_per_week == pytest.approx(0.0)

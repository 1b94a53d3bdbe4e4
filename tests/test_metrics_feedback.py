"""Feedback lever metrics on tiny literal frames with hand-worked values."""

import math

import pandas as pd
import pytest

from opsdiag.metrics.feedback import (FUNNEL_STEPS, arr_waiting, feedback_funnel, feedback_sources,
                                      feedback_themes, funnel_linked_share, triage_delays)
from opsdiag.schema import conform, empty_frame

AS_OF = pd.Timestamp("2026-03-31T00:00:00Z")


def utc(*values):
    return pd.to_datetime(list(values), utc=True).astype("datetime64[us, UTC]")


def feedback(rows):
    columns = ["feedback_id", "source", "created_at", "customer", "account_arr", "title", "status",
               "triaged_at", "solved_at", "linked_item_ids"]
    return conform("feedback", pd.DataFrame(rows, columns=columns))


FEEDBACK = feedback([
    # id, source, created, customer, arr, title, status, triaged_at, solved_at, links
    ("f1", "zendesk", "2026-03-01", "Acme", 1000, "Export to CSV broken", "open", "2026-03-03", None, ("I1",)),
    ("f2", "zendesk", "2026-03-10", "Acme", 2000, "CSV export slow", "new", None, None, ()),
    ("f3", "canny", "2026-03-20", "Beta", 500, "Dark mode please", "new", None, None, ("I2", "X9")),
    ("f4", None, "2026-03-30", None, None, "SSO login", "new", None, None, ()),
    ("f5", "intercom", "2026-04-02", "Acme", None, "Dark mode on mobile", "new", None, None, ()),  # after as_of
    ("f6", "zendesk", "2026-03-05", "Gamma", 300, "Export button missing", "solved", None, "2026-03-06", ()),
])
FLOW = pd.DataFrame({
    "item_id": ["I1", "I2"], "created_at": utc("2026-02-01", "2026-03-25"),
    "completed_at": utc("2026-03-15", None), "phase": ["done", "committed"],
})


def test_funnel_hand_worked():
    funnel = feedback_funnel(FEEDBACK, FLOW, AS_OF).set_index("step")
    assert list(funnel.index) == list(FUNNEL_STEPS)
    # received: f1 f2 f3 f4 f6 (f5 arrives after as_of) = 5
    assert funnel.loc["received", "count"] == 5
    assert funnel.loc["received", "ids"] == ("f1", "f2", "f3", "f4", "f6")
    # triaged: f1 (triaged_at), f3 (linked), f6 (status solved is past new) = 3 → 3/5
    assert funnel.loc["triaged", "ids"] == ("f1", "f3", "f6")
    assert funnel.loc["triaged", "share"] == pytest.approx(0.6)
    # only f1 has a triage time: 03-03 − 03-01 = 2 days
    assert funnel.loc["triaged", "median_latency_days"] == pytest.approx(2.0)
    # linked: f1→I1 at max(03-01, 02-01) = 0 d; f3→I2 at max(03-20, 03-25) = 5 d (X9 not in flow) → median 2.5
    assert funnel.loc["linked", "ids"] == ("f1", "f3")
    assert funnel.loc["linked", "median_latency_days"] == pytest.approx(2.5)
    # shipped: f1 (I1 completed 03-15): 14 days, 1/5
    assert funnel.loc["shipped", "ids"] == ("f1",)
    assert funnel.loc["shipped", "share"] == pytest.approx(0.2)
    assert funnel.loc["shipped", "median_latency_days"] == pytest.approx(14.0)


def test_funnel_link_to_unknown_item_is_triaged_not_linked():
    fb = feedback([("f1", "zendesk", "2026-03-01", "Acme", 1, "t", "new", None, None, ("NOPE",))])
    funnel = feedback_funnel(fb, FLOW, AS_OF).set_index("step")
    assert funnel["count"].tolist() == [1, 1, 0, 0]


def test_funnel_initial_status_without_triage_time_is_untriaged():
    # Intercom/Canny "open" is the initial status; "pending" (or any later status) is past it
    fb = feedback([("f1", "intercom", "2026-03-01", "Acme", 1, "t", "open", None, None, ()),
                   ("f2", "zendesk", "2026-03-01", "Acme", 1, "t", "pending", None, None, ())])
    funnel = feedback_funnel(fb, FLOW, AS_OF).set_index("step")
    assert funnel.loc["triaged", "ids"] == ("f2",)


def test_funnel_ship_before_feedback_has_zero_latency():
    # feedback 03-20 about I1 that shipped 03-15: latency floored at 0
    fb = feedback([("f1", "zendesk", "2026-03-20", "Acme", 1, "t", "new", None, None, ("I1",))])
    funnel = feedback_funnel(fb, FLOW, AS_OF).set_index("step")
    assert funnel.loc["shipped", "median_latency_days"] == 0.0


def test_funnel_empty():
    funnel = feedback_funnel(empty_frame("feedback"), FLOW.iloc[:0], AS_OF)
    assert funnel["step"].tolist() == list(FUNNEL_STEPS)
    assert funnel["count"].tolist() == [0, 0, 0, 0]
    assert funnel["share"].isna().all() and funnel["median_latency_days"].isna().all()
    assert str(funnel["count"].dtype) == "int64"


def test_funnel_linked_share_is_the_funnels_linked_share():
    # f1→I1 and f3→I2 are linked (X9 is unknown) out of 5 received: 2/5; f5 arrives after as_of
    assert funnel_linked_share(FEEDBACK, FLOW, AS_OF) == pytest.approx(0.4)
    # I2 created after as_of no longer counts; a feedback linking twice counts once
    late = FLOW.assign(created_at=utc("2026-02-01", "2026-04-05"))
    twice = pd.concat([FEEDBACK, feedback([("f7", "canny", "2026-03-02", "Beta", 1, "t", "new", None, None,
                                            ("I1", "I1", "X9"))])], ignore_index=True)
    for fb, flow, share in [(FEEDBACK, late, 0.2), (twice, FLOW, 0.5)]:
        funnel = feedback_funnel(fb, flow, AS_OF).set_index("step")
        assert funnel_linked_share(fb, flow, AS_OF) == funnel.loc["linked", "share"] == pytest.approx(share)
    assert math.isnan(funnel_linked_share(empty_frame("feedback"), FLOW.iloc[:0], AS_OF))


def test_arr_waiting_hand_worked():
    extra = feedback([
        ("f7", "zendesk", "2026-03-28", "Beta", 800, "Too new", "new", None, None, ()),    # waited 3 d ≤ 7
        ("f8", "zendesk", "2026-02-01", "Delta", 5000, "Old ask", "open", None, None, ()),  # waited 58 d
    ])
    out = arr_waiting(pd.concat([FEEDBACK, extra], ignore_index=True), AS_OF, healthy_triage_days=7.0)
    # f2 (Acme, unlinked, 21 d) and f8 (Delta, 58 d) wait; f6 is solved, f1/f3 linked, f4 has no customer
    assert out["customer"].tolist() == ["Delta", "Acme"]
    # Acme's ARR is the largest on any of its feedback: max(1000, 2000) = 2000
    assert out["account_arr"].tolist() == [5000.0, 2000.0]
    assert out["oldest_wait_days"].tolist() == [58.0, 21.0]
    assert out["feedback_ids"].tolist() == [("f8",), ("f2",)]
    assert out["waiting"].tolist() == [1, 1]


def test_arr_waiting_single_and_empty():
    one = feedback([("f1", "zendesk", "2026-03-01", "Acme", 100, "t", "new", None, None, ())])
    out = arr_waiting(one, AS_OF, healthy_triage_days=30.0)  # 30 days waited, not > 30
    assert out.empty
    assert arr_waiting(one, AS_OF, healthy_triage_days=29.0)["feedback_ids"].tolist() == [("f1",)]
    empty = arr_waiting(empty_frame("feedback"), AS_OF)
    assert empty.empty and list(empty.columns) == ["customer", "account_arr", "waiting", "oldest_wait_days",
                                                   "feedback_ids"]


def test_themes_by_keyword():
    themes = feedback_themes(FEEDBACK, top=3)
    # export: f1 f2 f6 = 3 of 6; csv: f1 f2 = 2; dark: f3 f5 = 2; mode also 2 but 'dark' sorts first
    assert themes["theme"].tolist() == ["export", "csv", "dark"]
    assert themes["count"].tolist() == [3, 2, 2]
    assert themes["share"].tolist() == pytest.approx([0.5, 2 / 6, 2 / 6])
    assert themes["ids"].iloc[0] == ("f1", "f2", "f6")
    assert set(themes["basis"]) == {"keyword"}
    all_themes = set(feedback_themes(FEEDBACK, top=100)["theme"])
    assert not all_themes & {"to", "please", "on"}  # stopwords and short words are dropped


def test_themes_by_tag_count_each_feedback_once():
    fb = conform("feedback", pd.DataFrame({
        "feedback_id": ["a", "b", "c"], "title": ["x", "y", "z"],
        "tags": [("Billing", "billing "), ("billing", "sso"), ()]}))
    themes = feedback_themes(fb)
    # billing: a (twice, once counted) + b = 2 of 3; sso: b = 1
    assert themes[["theme", "count"]].values.tolist() == [["billing", 2], ["sso", 1]]
    assert themes["share"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert set(themes["basis"]) == {"tag"}


def test_themes_empty():
    themes = feedback_themes(empty_frame("feedback"))
    assert themes.empty and list(themes.columns) == ["theme", "basis", "count", "share", "ids"]


def test_sources():
    out = feedback_sources(FEEDBACK)
    # zendesk f1 f2 f6 (Acme, Gamma); canny f3; intercom f5; unknown f4 — 6 in all
    assert out["source"].tolist() == ["zendesk", "canny", "intercom", "unknown"]
    assert out["count"].tolist() == [3, 1, 1, 1]
    assert out["share"].tolist() == pytest.approx([0.5, 1 / 6, 1 / 6, 1 / 6])
    assert out["customers"].tolist() == [2, 1, 1, 0]
    assert out["ids"].iloc[0] == ("f1", "f2", "f6")
    assert feedback_sources(empty_frame("feedback")).empty


def test_triage_delays_hand_worked():
    out = triage_delays(FEEDBACK, AS_OF, healthy_triage_days=7.0).set_index("feedback_id")
    assert list(out.index) == ["f2", "f1", "f4", "f6", "f3"]  # largest excess first, unknown last
    # f2 untriaged: 03-31 − 03-10 = 21 d → excess 14
    assert out.loc["f2", "waited_days"] == 21.0 and out.loc["f2", "excess_days"] == 14.0
    # f1 triaged 03-03: 2 d → 0; f4 untriaged 1 d → 0; f6 solved 03-06: 1 d → 0
    assert out.loc[["f1", "f4", "f6"], "waited_days"].tolist() == [2.0, 1.0, 1.0]
    assert (out.loc[["f1", "f4", "f6"], "excess_days"] == 0).all()
    # f3 is triaged by its link, with no time: unknown wait
    assert out.loc["f3", "triaged"] and math.isnan(out.loc["f3", "waited_days"])
    assert out.loc["f3", "linked_item_ids"] == ("I2", "X9")


def test_triage_delays_empty():
    out = triage_delays(empty_frame("feedback"), AS_OF)
    assert out.empty and str(out["excess_days"].dtype) == "float64"

"""Analytics lever metrics on tiny literal frames with hand-worked values."""

import pandas as pd
import pytest

from opsdiag.errors import UsageError
from opsdiag.metrics.analytics import (activation, data_pull_hours, default_activation_event, feature_adoption,
                                       retention_cohorts, shipped_without_adoption, survey_hours)
from opsdiag.schema import conform, empty_frame

# Sunday 2026-03-29, end of day: the week of Monday 03-23 has ended
AS_OF = pd.Timestamp("2026-03-29T23:59:59.999999Z")

EVENTS = conform("events", pd.DataFrame({
    "user_id": ["u1", "u1", "u1", "u2", "u2", "u3", "u3", "u4", "u1"],
    "account_id": ["a1", "a1", "a1", "a1", "a1", "a2", "a2", None, "a1"],
    "event": ["login", "report_exported", "login", "login", "dashboard viewed", "login", "report_exported",
              "login", "report_exported"],
    "at": ["2026-03-02", "2026-03-03", "2026-03-10", "2026-03-04", "2026-03-20", "2026-03-09", "2026-03-20",
           "2026-03-28", "2026-04-05"],  # the last one is after as_of
}))


def test_default_activation_event_skips_logins():
    # login ×5 is skipped; report_exported ×3 beats dashboard viewed ×1
    assert default_activation_event(EVENTS) == "report_exported"
    only_logins = EVENTS[EVENTS["event"] == "login"]
    assert default_activation_event(only_logins) is None


def test_activation_hand_worked():
    out = activation(EVENTS, within_days=7, as_of=AS_OF).set_index("unit")
    # users first seen by 03-22: u1 (03-02), u2 (03-04), u3 (03-09); u4 (03-28) still in its window
    # u1 exported 1 day in; u2 never; u3 11 days in (> 7) → 1 of 3
    assert out.loc["user", "event"] == "report_exported"
    assert (out.loc["user", "new"], out.loc["user", "activated"]) == (3, 1)
    assert out.loc["user", "share"] == pytest.approx(1 / 3)
    assert out.loc["user", "activated_ids"] == ("u1",)
    assert out.loc["user", "not_activated_ids"] == ("u2", "u3")
    # accounts: a1 first 03-02, exported 03-03 → yes; a2 first 03-09, exported 03-20 → no
    assert (out.loc["account", "new"], out.loc["account", "activated"]) == (2, 1)


def test_activation_named_event_and_single_user():
    out = activation(EVENTS, activation_event="dashboard viewed", within_days=30, as_of=AS_OF)
    # with 30 days, only users first seen by 02-27 are judged at 03-29: nobody
    assert out["new"].tolist() == [0, 0]
    later = activation(EVENTS, activation_event="dashboard viewed", within_days=30,
                       as_of="2026-04-30").set_index("unit")
    # at 04-30, users first seen by 03-31 are judged: u1..u4; u2: 03-04 → 03-20 = 16 d ≤ 30; others never
    assert later.loc["user", "activated_ids"] == ("u2",) and later.loc["user", "new"] == 4
    one = activation(EVENTS[EVENTS["user_id"] == "u1"], as_of=AS_OF).set_index("unit")
    assert one.loc["user", "share"] == 1.0


def test_activation_empty():
    out = activation(empty_frame("events"))
    assert out["unit"].tolist() == ["user", "account"] and out["new"].tolist() == [0, 0]
    assert out["share"].isna().all() and out["event"].isna().all()


def test_retention_cohorts_hand_worked():
    out = retention_cohorts(EVENTS, AS_OF)
    table = {(str(r.cohort_week.date()), r.week_offset): (r.users, r.active) for r in out.itertuples()}
    # cohort 03-02: u1 (weeks 0, 1), u2 (weeks 0, 2); four weeks have ended (03-02 … 03-23)
    assert table[("2026-03-02", 0)] == (2, 2)
    assert table[("2026-03-02", 1)] == (2, 1)
    assert table[("2026-03-02", 2)] == (2, 1)
    assert table[("2026-03-02", 3)] == (2, 0)
    # cohort 03-09: u3 (weeks 0, 1); cohort 03-23: u4 (week 0); u1's 04-05 event is after as_of
    assert [k for k in table if k[0] == "2026-03-09"] == [("2026-03-09", 0), ("2026-03-09", 1), ("2026-03-09", 2)]
    assert table[("2026-03-09", 1)] == (1, 1) and table[("2026-03-09", 2)] == (1, 0)
    assert [k for k in table if k[0] == "2026-03-23"] == [("2026-03-23", 0)]
    assert out.loc[out["week_offset"] == 0, "share"].eq(1.0).all()
    assert out["share"].tolist()[:4] == [1.0, 0.5, 0.5, 0.0]
    # a week that has not ended by as_of is not shown
    earlier = retention_cohorts(EVENTS, "2026-03-28T12:00:00Z")
    assert earlier["cohort_week"].max() == pd.Timestamp("2026-03-09", tz="UTC")


def test_retention_cohorts_local_weeks():
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: a different week
    ev = conform("events", pd.DataFrame({"user_id": ["u1"], "event": ["x"], "at": ["2026-03-01T23:30:00Z"]}))
    utc_week = retention_cohorts(ev, AS_OF)["cohort_week"].iloc[0]
    berlin_week = retention_cohorts(ev, AS_OF, timezone="Europe/Berlin")["cohort_week"].iloc[0]
    assert utc_week == pd.Timestamp("2026-02-23T00:00:00Z")
    assert berlin_week == pd.Timestamp("2026-03-01T23:00:00Z")  # Monday 03-02 00:00 CET


def test_retention_cohorts_empty():
    out = retention_cohorts(empty_frame("events"), AS_OF)
    assert out.empty and str(out["cohort_week"].dtype) == "datetime64[us, UTC]"


def test_feature_adoption():
    out = feature_adoption(EVENTS).set_index("event")
    assert list(out.index) == ["login", "report_exported", "dashboard viewed"]
    # login: u1 u2 u3 u4 over a1 a2 (u4 has none), 5 events; report_exported: u1 u3, 3 events
    assert out.loc["login", ["users", "accounts", "events"]].tolist() == [4, 2, 5]
    assert out.loc["report_exported", ["users", "accounts", "events"]].tolist() == [2, 2, 3]
    assert out["user_share"].tolist() == [1.0, 0.5, 0.25]
    assert out.loc["report_exported", "last_seen"] == pd.Timestamp("2026-04-05", tz="UTC")
    assert feature_adoption(empty_frame("events")).empty


def test_shipped_without_adoption():
    items = conform("work_items", pd.DataFrame({
        "item_id": ["A", "B", "C", "D", "E"],
        "title": ["Report exported to PDF", "Dashboard Viewed v2", "Misc", "Dashboard viewed polish", "x"],
        "labels": [(), (), ("Report-Exported",), (), ("dashboard_viewed",)]}))
    flow = pd.DataFrame({"item_id": ["A", "B", "C", "D", "E"], "phase": ["done"] * 4 + ["committed"],
                         "included": [True] * 5,
                         "completed_at": pd.to_datetime(["2026-03-05", "2026-03-21", "2026-03-21", "2026-03-27",
                                                         None], utc=True)})
    out = shipped_without_adoption(flow, items, EVENTS, AS_OF, min_days_live=7)
    # A: report_exported used 03-20 after 03-05 → fine. B: 'dashboard viewed' last 03-20 ≤ 03-21 → flagged.
    # C: label report-exported; last use by as_of 03-20 (04-05 is after as_of) ≤ 03-21 → flagged.
    # D completed 03-27, less than 7 days before as_of; E not done.
    assert out[["item_id", "event"]].values.tolist() == [["B", "dashboard viewed"], ["C", "report_exported"]]
    days = (AS_OF - pd.Timestamp("2026-03-21", tz="UTC")) / pd.Timedelta(days=1)  # just under 9
    assert out["days_since_completion"].tolist() == pytest.approx([days, days])
    empty = shipped_without_adoption(flow.iloc[:0], empty_frame("work_items"), empty_frame("events"), AS_OF)
    assert empty.empty and list(empty.columns)[:2] == ["item_id", "title"]


def test_survey_hours():
    people = conform("people", pd.DataFrame({"person": ["b", "a", "c"], "role": ["product", "engineering", "qa"],
                                             "hours_data_pulls": [2.0, None, 4.0], "hours_tool_admin": [1, 1, 1]}))
    pulls = data_pull_hours(people)
    # 2 + 4 from the two who answered
    assert pulls.total_hours_per_week == 6.0 and (pulls.respondents, pulls.people) == (2, 3)
    assert pulls.per_person["person"].tolist() == ["a", "b", "c"]
    assert survey_hours(people, "hours_tool_admin").total_hours_per_week == 3.0
    with pytest.raises(UsageError, match="unknown survey column 'naps'"):
        survey_hours(people, "naps")
    empty = data_pull_hours(empty_frame("people"))
    assert empty.total_hours_per_week == 0.0 and empty.per_person.empty and empty.respondents == 0

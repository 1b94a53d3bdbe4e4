"""opsdiag.deploy: pilot windows, metric rules, verdicts, JSON shape, determinism, sample clients."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from opsdiag import deploy
from opsdiag.config import Engagement
from opsdiag.ritual_metrics import PILOT_METRICS, PilotData, pilot_windows
from opsdiag.schema import Dataset

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
START = dt.date(2026, 4, 6)  # a Monday; 3 sprints × 14 days → pilot 6 Apr – 17 May, baseline 23 Feb – 5 Apr
PILOT = {"ritual": "handoff_contract", "start": START.isoformat(), "sprints": 3, "teams": ["Core"],
         "sprint_length_days": 14}
UTC = "datetime64[us, UTC]"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def flow_frame(rows: list[dict]) -> pd.DataFrame:
    """A flow frame from literal rows (item_id, team, started, completed, phase, cycle/queue days …)."""
    frame = pd.DataFrame(rows)
    defaults = {"team": "Core", "phase": "done", "canceled_at": None, "blocked_days": 0.0, "bounce_backs": 0,
                "handoffs": 1, "flow_efficiency": 0.5, "included": True, "item_type": "Story"}
    for column, value in defaults.items():
        frame[column] = frame[column].fillna(value) if column in frame.columns and value is not None else \
            frame.get(column, value)
    for column in ("started_at", "completed_at", "canceled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(UTC)
    cycle = (frame["completed_at"] - frame["started_at"]) / pd.Timedelta(days=1)
    frame["cycle_time_days"] = frame["cycle_time_days"].astype("float64").fillna(cycle) \
        if "cycle_time_days" in frame.columns else cycle
    if "queue_days" not in frame.columns:
        frame["queue_days"] = frame["cycle_time_days"] / 2
    return frame


def synthetic_flow(seed: int, n: int = 60, factor: float = 1.0, other_team: str | None = None) -> pd.DataFrame:
    """``n`` items per window started uniformly in each 42-day window; lognormal cycle times (median 5 d),
    multiplied by ``factor`` for pilot-team items started in the pilot."""
    rng = np.random.default_rng(seed)
    pilot_start, days = ts(START.isoformat()), 42
    teams = ["Core"] + ([other_team] if other_team else [])
    parts = []
    for team in teams:
        for lo, scale in ((pilot_start - pd.Timedelta(days=days), 1.0), (pilot_start, factor)):
            started = lo + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
            cycle = rng.lognormal(np.log(5.0), 0.6, n) * (scale if team == "Core" else 1.0)
            parts.append(pd.DataFrame({"team": team, "started_at": started, "cycle_time_days": cycle}))
    frame = pd.concat(parts, ignore_index=True)
    frame["item_id"] = [f"S-{i}" for i in range(len(frame))]
    frame["completed_at"] = frame["started_at"] + pd.to_timedelta(frame["cycle_time_days"], unit="D")
    frame["queue_days"] = frame["cycle_time_days"] * 0.5
    return flow_frame(frame.to_dict("records"))


def make_client(flow: pd.DataFrame, pilot=PILOT, as_of: str = "2026-07-31", seed: int = 0, timezone: str = "UTC"):
    engagement = Engagement.model_validate({"pilot": pilot, "seed": seed, "timezone": timezone})
    as_of_ts = ts(as_of) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return SimpleNamespace(engagement=engagement, dataset=Dataset(), flow=flow, as_of=as_of_ts,
                           as_of_date=dt.date.fromisoformat(as_of), name="Test", segments=None)


# --- windows and metric rules ---------------------------------------------------------------------

def test_windows_from_config_in_local_time():
    engagement = Engagement.model_validate({"pilot": PILOT, "timezone": "Europe/Berlin"})
    windows = pilot_windows(engagement.pilot, "Europe/Berlin", ts("2026-07-01"))
    assert windows.pilot_start == ts("2026-04-05 22:00")  # local midnight, CEST (UTC+2)
    assert windows.baseline_start == ts("2026-02-22 23:00")  # CET (UTC+1) before the DST change
    assert windows.pilot_end == ts("2026-05-17 22:00")
    assert not windows.in_progress
    assert windows.dates() == {"pilot": {"start": "2026-04-06", "end": "2026-05-17"},
                               "baseline": {"start": "2026-02-23", "end": "2026-04-05"}}


def test_cycle_time_counts_items_started_in_window_and_done_by_as_of():
    flow = flow_frame([
        {"item_id": "B1", "started_at": "2026-04-01", "completed_at": "2026-04-10"},  # baseline (started before)
        {"item_id": "P1", "started_at": "2026-04-07", "completed_at": "2026-04-09"},  # pilot
        {"item_id": "P2", "started_at": "2026-04-08", "completed_at": None, "phase": "committed"},  # unfinished
        {"item_id": "X1", "started_at": "2026-01-05", "completed_at": "2026-03-01"},  # before the baseline
    ])
    client = make_client(flow, as_of="2026-06-30")
    windows = pilot_windows(client.engagement.pilot, "UTC", client.as_of)
    obs = PILOT_METRICS["cycle_time_days"].values(PilotData.from_client(client), windows.baseline_start,
                                                  windows.observed_end)
    assert obs["value"].tolist() == [9.0, 2.0]
    throughput = PILOT_METRICS["throughput_per_week"].values(PilotData.from_client(client), windows.pilot_start,
                                                             windows.pilot_end)
    assert len(throughput) == 2  # B1 and P1 completed in the pilot window


def test_throughput_rates_per_week():
    # 12 completions in the 6-week baseline, 24 in the 6-week pilot (all of team Core)
    rows = [{"item_id": f"B{i}", "started_at": "2026-02-20", "completed_at": f"2026-03-{i + 1:02d} 12:00"}
            for i in range(12)]
    rows += [{"item_id": f"P{i}", "started_at": "2026-04-06", "completed_at": f"2026-04-{i + 7:02d} 12:00"}
             for i in range(24)]
    result = deploy.evaluate_pilot(make_client(flow_frame(rows)), n_resamples=200)
    throughput = result.metric("throughput_per_week").comparison
    assert (throughput.baseline, throughput.pilot) == (2.0, 4.0)
    assert (throughput.n_baseline, throughput.n_pilot) == (12, 24)
    assert throughput.ratio == 2.0


# --- verdicts ---------------------------------------------------------------------------------------

def test_planted_40_percent_reduction_is_improved():
    result = deploy.evaluate_pilot(make_client(synthetic_flow(seed=11, factor=0.6)), n_resamples=500)
    cycle = result.metric("cycle_time_days").comparison
    assert cycle.verdict == "improved"
    assert cycle.ci_high < 0  # the interval of the change excludes zero
    assert cycle.ratio == pytest.approx(0.6, abs=0.15)
    assert result.verdict == "improved"  # handoff_contract: queue_days decides
    assert result.primary_metric == "queue_days"


def test_no_change_pilots_are_rarely_called_improved():
    metric = PILOT_METRICS["cycle_time_days"]
    engagement = Engagement.model_validate({"pilot": PILOT})
    as_of = ts("2026-07-31")
    windows = pilot_windows(engagement.pilot, "UTC", as_of)
    improved = 0
    for seed in range(200):
        data = PilotData(synthetic_flow(seed=1000 + seed, factor=1.0), pd.DataFrame(), pd.DataFrame(), as_of)
        outcome = deploy.evaluate_metric(data, metric, windows, ["Core"], seed=seed, n_resamples=500)
        improved += outcome.comparison.verdict == "improved"
    assert improved <= 10  # at most 5 % of 200


def test_tiny_windows_are_not_enough_data():
    rows = [{"item_id": f"B{i}", "started_at": f"2026-03-{i + 2:02d}", "completed_at": f"2026-03-{i + 9:02d}"}
            for i in range(5)]
    rows += [{"item_id": f"P{i}", "started_at": f"2026-04-{i + 7:02d}", "completed_at": f"2026-04-{i + 9:02d}"}
             for i in range(5)]
    result = deploy.evaluate_pilot(make_client(flow_frame(rows)), n_resamples=200)
    assert result.metric("cycle_time_days").comparison.verdict == "not_enough_data"
    assert result.verdict == "not_enough_data"
    assert any("at least 8" in w for w in result.warnings)


def test_no_pilot_configured_is_a_result_not_an_error():
    result = deploy.evaluate_pilot(make_client(synthetic_flow(seed=1), pilot=None))
    payload = result.as_dict()
    assert payload["verdict"] == "not_enough_data"
    assert "engagement.yaml" in payload["reason"]
    assert [m["metric"] for m in payload["metrics"]] == ["cycle_time_days", "throughput_per_week"]
    assert payload["pilot"] == {"start": None, "end": None, "teams": [], "sprints": None,
                                "sprint_length_days": None, "in_progress": None}
    assert "not configured" in deploy.render_text(result)


def test_pilot_given_as_a_dict_and_a_pilot_without_sprints():
    flow = synthetic_flow(seed=3, factor=0.6)
    given = deploy.evaluate_pilot(make_client(flow, pilot=None), dict(PILOT), n_resamples=100)
    assert given.verdict == "improved" and given.teams == ["Core"]
    empty = deploy.evaluate_pilot(make_client(flow), {**PILOT, "sprints": 0})
    assert empty.verdict == "not_enough_data" and "at least one sprint" in empty.reason


def test_pilot_starting_after_as_of():
    result = deploy.evaluate_pilot(make_client(synthetic_flow(seed=1), as_of="2026-04-01"))
    assert result.verdict == "not_enough_data"
    assert "after the data ends" in result.reason


def test_pilot_still_running_is_cut_at_as_of_and_warns():
    result = deploy.evaluate_pilot(make_client(synthetic_flow(seed=2, factor=0.6), as_of="2026-04-26"),
                                   n_resamples=200)
    assert result.windows.in_progress
    assert result.as_dict()["pilot"]["in_progress"] is True
    assert any("still running: 21 of 42 days" in w for w in result.warnings)
    assert any("unfinished at as_of" in w for w in result.warnings)  # recent starts have not finished


# --- shape, determinism, comparison group, tables -------------------------------------------------

def test_json_shape_matches_design_section_8():
    payload = deploy.evaluate_pilot(make_client(synthetic_flow(seed=4, factor=0.7, other_team="Edge")),
                                    n_resamples=200).as_dict()
    json.dumps(payload, allow_nan=False)
    assert {"pilot", "baseline", "verdict", "metrics"} <= set(payload)
    assert {"start", "end", "teams"} <= set(payload["pilot"]) and set(payload["baseline"]) == {"start", "end"}
    assert payload["pilot"]["teams"] == ["Core"]
    required = {"metric", "baseline", "pilot", "change", "ratio", "ci_low", "ci_high", "p_value", "n_baseline",
                "n_pilot", "verdict"}
    ids = [m["metric"] for m in payload["metrics"]]
    assert {"cycle_time_days", "throughput_per_week", "queue_days"} <= set(ids)
    for m in payload["metrics"]:
        assert required <= set(m)
        assert m["verdict"] in ("improved", "no_change", "worse", "not_enough_data")
        if m["baseline"] is not None and m["pilot"] is not None:
            assert m["change"] == pytest.approx(m["pilot"] - m["baseline"], abs=1e-3)


def test_same_seed_same_numbers():
    flow = synthetic_flow(seed=5, factor=0.8, other_team="Edge")
    first = deploy.evaluate_pilot(make_client(flow, seed=3), n_resamples=300).as_dict()
    again = deploy.evaluate_pilot(make_client(flow, seed=3), n_resamples=300).as_dict()
    other = deploy.evaluate_pilot(make_client(flow, seed=4), n_resamples=300).as_dict()
    assert first == again
    assert first["metrics"][0]["ci_low"] != other["metrics"][0]["ci_low"]


def test_difference_in_differences_against_other_teams():
    result = deploy.evaluate_pilot(make_client(synthetic_flow(seed=6, factor=0.5, other_team="Edge")),
                                   n_resamples=300)
    assert result.other_teams == ["Edge"]
    did = result.metric("cycle_time_days").did
    assert did["n_other_baseline"] == 60 and did["n_other_pilot"] == 60
    assert did["ci_high"] < 0  # the pilot team improved beyond what the other team saw
    no_comparison = deploy.evaluate_pilot(make_client(synthetic_flow(seed=6, factor=0.5)), n_resamples=100)
    assert no_comparison.metric("cycle_time_days").did is None


def test_sprint_table_and_weekly_xmr():
    flow = synthetic_flow(seed=7, factor=0.6)
    result = deploy.evaluate_pilot(make_client(flow), n_resamples=100)
    table = result.sprint_table
    assert table["sprint"].tolist() == ["baseline 1", "baseline 2", "baseline 3", "pilot 1", "pilot 2", "pilot 3"]
    assert table["start"].iloc[3] == START and table["end"].iloc[5] == dt.date(2026, 5, 17)
    assert table["n_cycle_time_days"].sum() == 120  # every item started in a window and finished
    completed = flow["completed_at"].between(ts("2026-02-23"), ts("2026-05-17 23:59"))
    assert table["completed"].sum() == completed.sum()
    assert set(result.weekly["window"]) <= {"baseline", "pilot", "straddles"}
    assert result.xmr.n == 6  # six complete baseline weeks set the limits
    text = deploy.render_text(result)
    assert "IMPROVED" in text and "queue_days" in text
    assert deploy.metrics_table(result)["primary"].sum() == 1


# --- sample clients ---------------------------------------------------------------------------------

def _sample(name: str):
    folder = SAMPLES / name
    if not (folder / "engagement.yaml").is_file():
        pytest.skip(f"data_samples/{name} has not been generated")
    from opsdiag.client import load_client

    return load_client(folder)


def test_acme_handoff_contract_pilot_improved():
    result = deploy.evaluate_pilot(_sample("acme-robotics"))
    assert result.ritual == "handoff_contract" and result.teams == ["Core"]
    assert result.verdict == "improved"
    assert result.metric("cycle_time_days").comparison.ratio < 0.8


def test_beacon_release_checklist_pilot_did_not_improve():
    result = deploy.evaluate_pilot(_sample("beacon-health"))
    assert result.ritual == "release_checklist"
    assert result.verdict != "improved"

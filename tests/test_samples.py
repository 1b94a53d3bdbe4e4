"""Sample clients: determinism, shape, committed copies, readability and the planted ground truth."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from opsdiag import config, samples
from opsdiag.config import Costs
from opsdiag.errors import UsageError
from opsdiag.ingest import read_folder
from opsdiag.samples_flow import FLOW_TYPES, WORKFLOW
from opsdiag.samples_truth import (feedback_delay_cost, handoff_costs, item_flow, lever_costs,
                                   release_slip_cost, survey_waste, tool_costs)
from opsdiag.schema import conform

COMMITTED = Path(__file__).resolve().parents[1] / "data_samples"
NAMES = list(samples.SAMPLES)
UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated():
    return {name: samples.generate(name) for name in NAMES}


@pytest.fixture(scope="module")
def truths():
    return {name: samples.ground_truth(name) for name in NAMES}


# --- registry and writing --------------------------------------------------------------------

def test_describe_names_the_four_samples_with_one_line_each():
    described = samples.describe()
    assert list(described) == ["acme-robotics", "beacon-health", "cobalt-pay", "delta-logistics"]
    assert all(text and "\n" not in text for text in described.values())


def test_unknown_sample_is_a_usage_error_listing_the_names(tmp_path):
    with pytest.raises(UsageError, match="acme-robotics, beacon-health, cobalt-pay, delta-logistics"):
        samples.write_sample("zeta-corp", tmp_path / "out")
    with pytest.raises(UsageError):
        samples.ground_truth("zeta-corp")


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    one = samples.write_sample("delta-logistics", tmp_path / "one")
    two = samples.write_sample("delta-logistics", tmp_path / "two")
    other = samples.write_sample("delta-logistics", tmp_path / "other", seed=5)
    first = files_of(one)
    assert first == files_of(two)
    differing = [rel for rel, data in files_of(other).items() if first.get(rel) != data]
    assert {"tracker/transitions.csv", "consultant/people.csv", "analytics/events.csv"} <= set(differing)


def test_refuses_a_foreign_non_empty_folder_but_replaces_an_earlier_copy(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.csv").write_text("keep me\n")
    with pytest.raises(UsageError, match="not empty"):
        samples.write_sample("delta-logistics", foreign)
    assert (foreign / "mine.csv").read_text() == "keep me\n"

    folder = samples.write_sample("delta-logistics", tmp_path / "earlier", seed=5)
    (folder / "consultant_notes_extra.csv").write_text("x\n")
    samples.write_sample("delta-logistics", folder)  # same sample: its own files are replaced
    fresh = samples.write_sample("delta-logistics", tmp_path / "fresh")
    rewritten = files_of(folder)
    assert rewritten.pop("consultant_notes_extra.csv") == b"x\n"  # other files are left alone
    assert rewritten == files_of(fresh)
    with pytest.raises(UsageError, match="not an earlier 'acme-robotics' sample"):
        samples.write_sample("acme-robotics", folder)


def test_missing_export_writers_fall_back_to_readable_templates(tmp_path, monkeypatch):
    monkeypatch.setattr(samples, "_writer", lambda module, function: None)
    folder = samples.write_sample("beacon-health", tmp_path / "beacon")
    assert (folder / "jira" / "work_items.csv").is_file() and (folder / "support" / "feedback.csv").is_file()
    made = samples.generate("beacon-health")
    dataset = read_folder(folder, made.sample.timezone)
    assert dataset.unrecognized == []
    assert len(dataset.work_items) == len(made.tables["work_items"])
    assert len(dataset.feedback) == len(made.tables["feedback"])
    truth = lever_costs(dataset.tables, WORKFLOW, made.as_of)["delivery"]["cost_per_year"]
    assert truth == pytest.approx(samples.ground_truth("beacon-health")["expected_base_cost_per_year"], abs=0.5)


# --- shape of every sample ---------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_each_sample_has_a_year_of_history_and_every_table(generated, name):
    tables = generated[name].tables
    items, moves = tables["work_items"], tables["transitions"]
    flow = items[items["item_type"].isin(FLOW_TYPES)]
    assert len(flow) >= 150
    assert {"Story", "Task", "Bug", "Epic", "Sub-task"} <= set(items["item_type"])
    assert moves["item_id"].isin(flow["item_id"]).any()
    assert moves["at"].max() - moves["at"].min() >= pd.Timedelta(days=183)
    assert items["item_id"].is_unique and set(moves["item_id"]) <= set(items["item_id"])
    assert (moves.groupby("item_id")["at"].min() >= items.set_index("item_id")["created_at"]
            .reindex(moves.groupby("item_id")["at"].min().index)).all()
    assert set(moves["to_status"]) | set(items["status"]) <= set(WORKFLOW)
    assert 10 <= len(tables["people"]) <= 25
    assert set(tables["people"]["role"]) == {"product", "engineering", "design", "qa"}
    sprint_days = (tables["sprints"]["start"].groupby(tables["sprints"]["team"]).diff().dropna()
                   / pd.Timedelta(days=1))
    assert set(sprint_days) == {14.0}
    assert flow["sprints"].map(len).gt(0).mean() > 0.8 and flow["releases"].map(len).gt(0).mean() > 0.8
    for table in ("releases", "tools", "feedback", "events", "field_changes"):
        assert len(tables[table]), table
    assert {"sprint", "priority"} <= set(tables["field_changes"]["field"])
    assert tables["feedback"]["linked_item_ids"].map(len).gt(0).any()
    event_names = set(tables["events"]["event"])
    assert {"signed_up", "session_started"} <= event_names
    assert len(event_names & {lab for labels in flow["labels"] for lab in labels}) >= 4


# --- committed copies ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_committed_folder_equals_a_fresh_generation(tmp_path, name):
    committed = COMMITTED / name
    assert committed.is_dir(), "run `python -m opsdiag.samples` to regenerate data_samples/"
    fresh = samples.write_sample(name, tmp_path / name)
    assert files_of(committed) == files_of(fresh), "data_samples/ is stale: run `python -m opsdiag.samples`"
    assert sum(len(data) for data in files_of(committed).values()) < 1.5e6


@pytest.mark.parametrize("name", NAMES)
def test_committed_folder_reads_back_completely(generated, name):
    made = generated[name]
    dataset = read_folder(COMMITTED / name, made.sample.timezone)
    assert dataset.unrecognized == []
    for table, frame in made.tables.items():
        assert len(dataset.tables[table]) == len(frame), table
    # the read-back tables give the same costs as the generated ones (lossless formats)
    before = lever_costs(made.tables, WORKFLOW, made.as_of)
    after = lever_costs(dataset.tables, WORKFLOW, made.as_of)
    for lever in before:
        if lever != "_detail":
            assert after[lever]["cost_per_year"] == pytest.approx(before[lever]["cost_per_year"], abs=0.5), lever
    engagement = config.load(data_dir=COMMITTED / name)
    assert engagement.unknown_keys == [] and engagement.client == made.sample.client
    assert engagement.as_of == made.sample.as_of and set(engagement.workflow.statuses) == set(WORKFLOW)


def test_cobalt_feedback_arrives_from_three_tools():
    dataset = read_folder(COMMITTED / "cobalt-pay", "UTC")
    assert set(dataset.feedback["source"]) == {"productboard", "canny", "intercom"}


# --- ground truth ----------------------------------------------------------------------------------

PLANTED = {"acme-robotics": "handoffs", "beacon-health": "delivery", "cobalt-pay": "feedback",
           "delta-logistics": "tooling"}


@pytest.mark.parametrize("name", NAMES)
def test_planted_lever_costs_at_least_twice_every_other(truths, name):
    truth = truths[name]
    assert truth["lever"] == PLANTED[name]
    planted = truth["expected_base_cost_per_year"]
    assert planted == truth["levers"][PLANTED[name]]["cost_per_year"] > 100_000
    for lever, figure in truth["levers"].items():
        assert figure["cost_per_year"] == pytest.approx(sum(figure["components"].values()), abs=0.05)
        if lever != PLANTED[name]:
            assert planted >= 2 * figure["cost_per_year"], lever
    assert truth["ratio_to_next"] >= 2


@pytest.mark.parametrize("name", NAMES)
def test_other_levers_are_healthy(truths, name):
    levers = truths[name]["levers"]
    planted_parts = {"acme-robotics": {"queue_delay", "rework"}, "beacon-health": {"release_slip", "status_chasing_hours"},
                     "cobalt-pay": {"triage_delay", "triage_hours"},
                     "delta-logistics": {"unused_seats", "duplicate_tools", "admin_hours"}}[name]
    zero_when_healthy = {"queue_delay", "release_slip", "triage_delay", "duplicate_tools", "status_chasing_hours",
                         "triage_hours", "admin_hours", "data_pull_hours", "coordination_hours"}
    for lever, figure in levers.items():
        for part, value in figure["components"].items():
            if part in zero_when_healthy and part not in planted_parts:
                assert value == 0.0, f"{lever}.{part}"


def test_docstring_states_the_expected_figures(truths):
    for name in NAMES:
        match = re.search(rf"``{name}``.*?Expected\s+≈\s+([\d,]+)", samples.__doc__, re.DOTALL)
        stated = float(match.group(1).replace(",", ""))
        assert stated == pytest.approx(truths[name]["expected_base_cost_per_year"], rel=0.01), name


def test_acme_pilot_worked_and_beacon_pilot_did_not(truths):
    acme, beacon = truths["acme-robotics"]["pilot"], truths["beacon-health"]["pilot"]
    assert acme["expected_verdict"] == "improved" and -50 <= acme["median_change_pct"] <= -30
    assert min(acme["baseline"]["items"], acme["pilot"]["items"]) >= 15
    assert beacon["expected_verdict"] == "no_change" and abs(beacon["median_change_pct"]) <= 10


# --- the cost formulas on literal frames (hand-worked) ---------------------------------------------

def test_handoff_delay_and_rework_on_one_bounced_story():
    day = pd.Timedelta(days=1)
    t0 = ts("2026-01-05")
    path = [("Backlog", "Selected for Development", 0), ("Selected for Development", "In Progress", 2),
            ("In Progress", "In Review", 4), ("In Review", "Ready for QA", 7), ("Ready for QA", "In QA", 10),
            ("In QA", "In Progress", 11), ("In Progress", "In Review", 12), ("In Review", "Ready for QA", 12.5),
            ("Ready for QA", "In QA", 13), ("In QA", "Done", 14)]
    moves = pd.DataFrame([{"item_id": key, "at": t0 + d * day, "from_status": a, "to_status": b}
                          for key in ("S-1", "E-1") for a, b, d in path])
    items = conform("work_items", pd.DataFrame({"item_id": ["S-1", "E-1"], "item_type": ["Story", "Epic"],
                                                "team": ["Core", "Core"]}))
    flow = item_flow(items, conform("transitions", moves), WORKFLOW, ts("2026-06-30"))
    # queue: Selected 2 + In Review 3 + Ready for QA 3 + In Review 0.5 + Ready for QA 0.5 = 9 days;
    # handoffs: Selected→In Progress, In Review→Ready for QA (×2), In QA→In Progress = 4
    assert flow.loc["S-1", "queue_days"] == pytest.approx(9.0) and flow.loc["S-1", "handoffs"] == 4
    got = handoff_costs(items, conform("transitions", moves), WORKFLOW, ts("2026-06-30"), Costs(), FLOW_TYPES)
    # delay = max(0, 9 − 1.0 × 4) / 7 × 600 = 428.57; rework = 1 bounce × 1 QA day × 8 h × 110 = 880
    assert got["handoff_delay"] == pytest.approx(5 / 7 * 600) and got["rework"] == pytest.approx(880.0)
    assert got["items_finished"] == 1 and got["bounce_backs"] == 1  # the epic is not counted
    empty = handoff_costs(items.iloc[:0], conform("transitions", moves.iloc[:0]), WORKFLOW, ts("2026-06-30"),
                          Costs(), FLOW_TYPES)
    assert empty["handoff_delay"] == 0.0 and empty["rework"] == 0.0


def test_release_slip_counts_late_and_overdue_releases_in_the_year():
    releases = conform("releases", pd.DataFrame({
        "release": ["R1", "R2", "R3", "R4"], "planned_date": [ts("2026-03-01"), ts("2026-06-16"),
                                                               ts("2026-05-01"), ts("2025-05-01")],
        "released_date": [ts("2026-03-15"), pd.NaT, ts("2026-04-28"), ts("2025-06-01")]}))
    items = conform("work_items", pd.DataFrame({"item_id": ["A", "B", "C", "D", "E"],
                                                "releases": [("R1",), ("R1",), ("R1",), ("R2",), ("R4",)]}))
    got = release_slip_cost(releases, items, ts("2026-06-30"), Costs())
    # R1: 2 weeks × 3 items × 600 = 3600; R2 overdue: 2 weeks × 1 × 600 = 1200; R3 early: 0; R4 before the year
    assert got["release_slip"] == pytest.approx(4800.0)
    assert got["releases"] == 3 and got["late_releases"] == 2 and got["overdue_unreleased"] == 1


def test_feedback_delay_counts_only_linked_feedback_beyond_seven_days():
    feedback = conform("feedback", pd.DataFrame({
        "feedback_id": ["F1", "F2", "F3", "F4"], "customer": ["W", "W", "X", "Y"],
        "account_arr": [100.0, 100.0, 1000.0, 5000.0],
        "created_at": [ts("2026-06-01"), ts("2026-06-01"), ts("2026-06-09"), ts("2026-05-01")],
        "triaged_at": [ts("2026-06-15"), ts("2026-06-03"), pd.NaT, pd.NaT],
        "linked_item_ids": [("A-1",), ("A-2",), ("A-3",), ()]}))
    got = feedback_delay_cost(feedback, ts("2026-06-30"), Costs())
    # F1: (14 − 7)/7 × 600 = 600; F3 untriaged 21 days: (21 − 7)/7 × 600 = 1200; F4 is not linked
    assert got["triage_delay"] == pytest.approx(1800.0)
    assert got["arr_at_risk"] == pytest.approx(6000.0) and got["linked_triaged_late"] == 2


def test_tool_costs_count_unused_seats_once_and_redundant_tools_in_full():
    tools = conform("tools", pd.DataFrame({
        "tool": ["A", "B", "C"], "category": ["tracker", "tracker", "chat"], "seats": [10, 5, 4],
        "active_seats": [8, 5, 4], "monthly_cost": [100.0, 50.0, 40.0]}))
    got = tool_costs(tools)
    # A: 2 unused × 100/10 × 12 = 240; B is the less used tracker: 50 × 12 = 600 in full
    assert got["unused_seats"] == pytest.approx(240.0) and got["duplicate_tools"] == pytest.approx(600.0)
    assert got["redundant_tools"] == ["B"]


def test_survey_waste_uses_own_rate_else_role_rate():
    people = conform("people", pd.DataFrame({
        "person": ["P1", "P2", "P3"], "role": ["product", "engineering", "qa"], "hourly_cost": [None, 200.0, None],
        "hours_status_chasing": [5.0, 3.0, 1.0]}))
    got = survey_waste(people, Costs())
    # P1: (5 − 2) × 95 × 46 = 13110; P2: (3 − 2) × 200 × 46 = 9200; P3 under the healthy 2 h
    assert got["status_chasing"] == pytest.approx(22310.0)
    assert got["tool_admin"] == 0.0

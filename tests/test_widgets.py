"""The ipywidgets explorers: set control values, assert the state they compute.

The client is a small folder of opsdiag templates written into ``tmp_path`` (no samples). Its
numbers, worked by hand (as_of 2026-03-31, UTC, data from over a year back so nothing is
annualised):

* handoffs — A-1, A-2 wait 29 days and A-3 36 days in "Ready for QA" after one handoff each:
  (28 + 28 + 35) days / 7 × 600 = 7,800 per year;
* delivery — Ann (product, 95/h) chases status 3 h/week, 1 h above the healthy 2:
  1 × 95 × 46 = 4,370; Bob (1 h) is below;
* tooling — 2 of Jira's 10 seats unused at 500/month: 2 × 50 × 12 = 1,200.

Cycle times of the four finished items: A-1 30, A-2 30, A-3 37, A-4 4 days (p50 30, p85 33.85).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
import yaml

from opsdiag import config
from opsdiag.client import load_client
from opsdiag.errors import ConfigError

widgets = pytest.importorskip("opsdiag.widgets")


def write_small_client(folder: Path) -> Path:
    """A client folder from opsdiag templates: 7 work items, transitions, two people, one tool."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "work_items.csv").write_text(textwrap.dedent("""\
        item_id,title,item_type,team,status,created_at
        A-1,Export to CSV,Story,Core,Done,2025-03-01
        A-2,Crash on login,Bug,Core,Done,2025-03-01
        A-3,Nightly job,Task,Mobile,Done,2025-03-01
        A-4,Dark mode,Story,Mobile,Done,2025-03-01
        A-5,Billing page,Story,Core,In Progress,2025-03-01
        A-6,Push alerts,Bug,Mobile,To Do,2025-03-01
        A-7,Payments epic,Epic,Core,In Progress,2025-03-01
        """), encoding="utf-8")
    (folder / "transitions.csv").write_text(textwrap.dedent("""\
        item_id,at,from_status,to_status
        A-1,2026-02-02 09:00,To Do,In Progress
        A-1,2026-02-03 09:00,In Progress,Ready for QA
        A-1,2026-03-04 09:00,Ready for QA,Done
        A-2,2026-02-09 09:00,To Do,In Progress
        A-2,2026-02-10 09:00,In Progress,Ready for QA
        A-2,2026-03-11 09:00,Ready for QA,Done
        A-3,2026-02-16 09:00,To Do,In Progress
        A-3,2026-02-17 09:00,In Progress,Ready for QA
        A-3,2026-03-25 09:00,Ready for QA,Done
        A-4,2026-03-02 09:00,To Do,In Progress
        A-4,2026-03-06 09:00,In Progress,Done
        A-5,2026-03-20 09:00,To Do,In Progress
        A-7,2026-02-02 09:00,To Do,In Progress
        """), encoding="utf-8")
    (folder / "people.csv").write_text(textwrap.dedent("""\
        person,role,team,hours_per_week,hours_status_chasing
        Ann,product,Core,40,3
        Bob,engineering,Core,40,1
        """), encoding="utf-8")
    (folder / "tools.csv").write_text(textwrap.dedent("""\
        tool,category,owner,seats,active_seats,monthly_cost
        Jira,tracker,Ann,10,8,500
        """), encoding="utf-8")
    (folder / "engagement.yaml").write_text(textwrap.dedent("""\
        client: Widget Co
        as_of: 2026-03-31
        seed: 7
        pilot: {ritual: handoff_contract, start: 2026-03-02, sprints: 1, teams: [Core], sprint_length_days: 14}
        """), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory) -> Path:
    return write_small_client(tmp_path_factory.mktemp("widgets") / "small")


@pytest.fixture(scope="module")
def client(client_dir):
    return load_client(client_dir)


def order(explorer) -> list[str]:
    return [lever for lever, assessed in zip(explorer.ranking["lever"], explorer.ranking["assessed"]) if assessed]


def base(explorer, lever: str) -> float:
    return float(explorer.ranking.set_index("lever").at[lever, "base"])


# --- cost assumptions --------------------------------------------------------------------------

def test_costs_with_replaces_by_assumption_id_and_keeps_the_input():
    costs = config.Costs()
    changed = widgets.costs_with(costs, {"rate.product": 200, "rate.default": 50, "cost_of_delay_per_week": 0,
                                         "weeks_per_year": 40})
    assert changed.rates["product"] == 200 and changed.default_rate == 50
    assert changed.cost_of_delay_per_week == 0 and changed.weeks_per_year == 40
    assert costs.rates["product"] == 95 and costs.cost_of_delay_per_week == 600
    with pytest.raises(KeyError, match="rate_of_fun"):
        widgets.costs_with(costs, {"rate_of_fun": 1})


def test_cost_explorer_starts_from_the_engagement_costs(client):
    explorer = widgets.CostExplorer(client)
    assert explorer.error is None
    assert order(explorer)[:3] == ["handoffs", "delivery", "tooling"]
    assert base(explorer, "handoffs") == pytest.approx(7800.0)
    assert base(explorer, "delivery") == pytest.approx(4370.0)
    assert base(explorer, "tooling") == pytest.approx(1200.0)
    assert not explorer.ranking.set_index("lever").at["feedback", "assessed"]
    html = explorer.shown_html()
    assert "Levers ranked by annual cost" in html and html.count("data:image/png;base64,") == 2


def test_cost_of_delay_zero_drops_handoffs_below_delivery_and_tooling(client):
    explorer = widgets.CostExplorer(client)
    explorer.controls["cost_of_delay_per_week"].value = 0
    assert explorer.error is None
    assert explorer.costs.cost_of_delay_per_week == 0
    assert order(explorer)[:2] == ["delivery", "tooling"]  # handoffs ties at 0 with the unpriced levers
    assert explorer.ranking.set_index("lever").at["handoffs", "rank"] >= 3
    assert base(explorer, "handoffs") == 0.0 and base(explorer, "delivery") == pytest.approx(4370.0)
    shown = explorer.shown_html()
    assert shown.index("Delivery and release cadence") < shown.index("Cross-functional handoffs")


def test_raising_the_product_rate_puts_delivery_first(client):
    explorer = widgets.CostExplorer(client)
    explorer.controls["rate.product"].value = 200
    assert order(explorer)[:2] == ["delivery", "handoffs"]
    assert base(explorer, "delivery") == pytest.approx(1 * 200 * 46)
    explorer.controls["weeks_per_year"].value = 30  # 1 h × 200 × 30 = 6,000 < 7,800
    assert order(explorer)[:2] == ["handoffs", "delivery"]
    assert base(explorer, "delivery") == pytest.approx(6000.0)


def test_reset_and_snapshot_show_the_default_state(client):
    explorer = widgets.CostExplorer(client)
    explorer.controls["cost_of_delay_per_week"].value = 0
    snapshot = explorer.snapshot().data
    assert snapshot.index("Cross-functional handoffs") < snapshot.index("Delivery and release cadence")
    assert snapshot.count("data:image/png;base64,") == 2 and "<script" not in snapshot
    explorer.reset()
    assert explorer.controls["cost_of_delay_per_week"].value == 600
    assert order(explorer)[0] == "handoffs" and base(explorer, "handoffs") == pytest.approx(7800.0)


# --- flow filters ------------------------------------------------------------------------------

def test_flow_explorer_counts_every_team_and_type_by_default(client):
    explorer = widgets.FlowExplorer(client)
    assert explorer.error is None
    assert explorer.start.value == dt.date(2026, 2, 2) and explorer.end.value == dt.date(2026, 3, 31)
    assert sorted(explorer.filtered["item_id"]) == ["A-1", "A-2", "A-3", "A-4", "A-5"]  # no epic, no backlog
    assert sorted(explorer.cycle_times["item_id"]) == ["A-1", "A-2", "A-3", "A-4"]
    assert explorer.percentiles[50] == pytest.approx(30.0)
    assert explorer.percentiles[85] == pytest.approx(33.85)
    assert list(explorer.aging["item_id"]) == ["A-5"]
    assert int(explorer.throughput["throughput"].sum()) == 4
    assert explorer.snapshot().data.count("data:image/png;base64,") == 3


def test_flow_filters_by_team_type_and_window(client):
    explorer = widgets.FlowExplorer(client)
    explorer.teams.value = ("Core",)
    assert sorted(explorer.filtered["item_id"]) == ["A-1", "A-2", "A-5"]
    assert sorted(explorer.cycle_times["item_id"]) == ["A-1", "A-2"]
    explorer.teams.value = ("Core", "Mobile")
    explorer.types.value = ("Story",)
    assert sorted(explorer.filtered["item_id"]) == ["A-1", "A-4", "A-5"]
    assert sorted(explorer.cycle_times["item_id"]) == ["A-1", "A-4"]
    explorer.types.value = ("Bug", "Story", "Task")
    with explorer.paused():
        explorer.start.value = dt.date(2026, 3, 5)
        explorer.end.value = dt.date(2026, 3, 20)
    # A-1 finished on 03-04, before the window; A-5 started on 03-20, inside it
    assert sorted(explorer.filtered["item_id"]) == ["A-2", "A-3", "A-4", "A-5"]
    assert sorted(explorer.cycle_times["item_id"]) == ["A-2", "A-4"]
    weeks = explorer.throughput
    assert list(weeks["week_start"].dt.strftime("%m-%d")) == ["03-02", "03-09", "03-16"]
    assert list(weeks["throughput"]) == [1, 1, 0] and list(weeks["partial"]) == [True, False, True]


def test_flow_explorer_with_nothing_selected_shows_empty_results(client):
    explorer = widgets.FlowExplorer(client)
    explorer.teams.value = ()
    assert explorer.error is None
    assert len(explorer.filtered) == 0 and len(explorer.cycle_times) == 0 and len(explorer.aging) == 0
    assert "No items finished in this period" not in explorer.shown_html()  # drawn into the PNG, not text
    assert explorer.shown_html().count("data:image/png;base64,") == 3


# --- workflow mapping editor -------------------------------------------------------------------

def test_mapping_editor_shows_the_effect_on_cycle_time(client, tmp_path):
    editor = widgets.MappingEditor(client, path=tmp_path / "engagement.yaml")
    assert editor.overrides == {}
    assert list(editor.effect["change"]) == [0.0, 0.0, 0.0]
    editor.dropdowns["In Progress"]["phase"].value = "backlog"
    # work now starts on entering "Ready for QA": 29, 29, 36 days, and A-4 (never committed) 0 days
    effect = editor.effect.set_index("metric")
    assert effect.at["median cycle time (days)", "current"] == pytest.approx(30.0)
    assert effect.at["median cycle time (days)", "edited"] == pytest.approx(29.0)
    assert effect.at["85th percentile cycle time (days)", "edited"] == pytest.approx(29 + 0.55 * 7)
    assert effect.at["median cycle time (days)", "change"] == pytest.approx(-1.0)
    assert set(editor.overrides) == {"In Progress"}
    assert editor.overrides["In Progress"].model_dump(exclude_none=True) == {
        "phase": "backlog", "kind": "active", "owner": "engineering"}
    editor.dropdowns["In Progress"]["phase"].value = "committed"  # back to the inferred mapping
    assert editor.overrides == {} and editor.effect.set_index("metric").at["median cycle time (days)", "edited"] == 30


def test_mapping_editor_saves_a_valid_engagement_yaml(client_dir, tmp_path):
    target = tmp_path / "engagement.yaml"
    target.write_text(textwrap.dedent("""\
        client: Widget Co
        as_of: 2026-03-31
        colour_scheme: dark
        workflow:
          statuses:
            in progress: {order: 2}
          calender: working_days
        costs: {cost_of_delay_per_week: 700}
        """), encoding="utf-8")
    client = load_client(client_dir, config=target)
    editor = widgets.MappingEditor(client)
    assert editor.path == target
    editor.dropdowns["In Progress"]["phase"].value = "backlog"
    assert editor.save() == target
    assert "saved 1 status override" in editor.save_status.value
    raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert "colour_scheme" not in raw and "calender" not in raw["workflow"]  # unknown keys kept out
    assert raw["costs"] == {"cost_of_delay_per_week": 700} and raw["as_of"] == dt.date(2026, 3, 31)
    # merged into the existing entry (matched ignoring case), its order kept
    assert raw["workflow"]["statuses"] == {"in progress": {"order": 2, "phase": "backlog", "kind": "active",
                                                          "owner": "engineering"}}
    loaded = config.load(target)
    assert loaded.unknown_keys == []
    reloaded = load_client(client_dir, config=target)
    from opsdiag.metrics.flow import cycle_time_percentiles

    assert cycle_time_percentiles(reloaded.flow, (50,))[50] == pytest.approx(29.0)
    assert not list(tmp_path.glob(".engagement.yaml.*"))  # no temporary file left behind


def test_saving_creates_a_missing_file_and_leaves_a_broken_one_untouched(client, tmp_path):
    fresh = tmp_path / "new" / "engagement.yaml"
    overrides = {"Ready for QA": config.StatusMapping(owner="qa", kind="queue", phase="committed")}
    widgets.save_status_overrides(fresh, overrides)
    assert config.load(fresh).workflow.statuses["Ready for QA"].owner == "qa"
    broken = tmp_path / "broken.yaml"
    broken.write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.yaml"):
        widgets.save_status_overrides(broken, overrides)
    assert broken.read_text(encoding="utf-8") == "timezone: Mars/Olympus\n"
    editor = widgets.MappingEditor(client, path=broken)
    assert editor.save() is None and "not saved" in editor.save_status.value


def test_the_bundled_sample_is_never_written(client, monkeypatch, tmp_path):
    from opsdiag import widgets_mapping

    monkeypatch.setattr(widgets_mapping, "samples_dir", lambda: tmp_path)
    target = tmp_path / "acme" / "engagement.yaml"
    editor = widgets.MappingEditor(client, path=target)
    editor.dropdowns["In Progress"]["phase"].value = "backlog"
    assert editor.save() is None and "read-only" in editor.save_status.value
    assert not target.exists()


# --- pilot and forecast ------------------------------------------------------------------------

def test_pilot_explorer_evaluates_the_window_picked(client):
    pytest.importorskip("opsdiag.deploy")
    explorer = widgets.PilotExplorer(client)
    assert explorer.error is None
    assert explorer.start.value == dt.date(2026, 3, 2) and explorer.teams.value == ("Core",)
    payload = explorer.result.as_dict()
    assert payload["pilot"]["start"] == "2026-03-02" and payload["pilot"]["end"] == "2026-03-15"
    assert payload["baseline"] == {"start": "2026-02-16", "end": "2026-03-01"}
    assert {"cycle_time_days", "throughput_per_week"} <= {m["metric"] for m in payload["metrics"]}
    with explorer.paused():
        explorer.sprints.value = 2
        explorer.teams.value = ("Core", "Mobile")
    assert explorer.pilot.sprints == 2 and explorer.pilot.teams == ["Core", "Mobile"]
    assert explorer.pilot.ritual == "handoff_contract"  # the configured ritual is kept
    payload = explorer.result.as_dict()
    assert payload["pilot"]["end"] == "2026-03-29" and payload["baseline"]["start"] == "2026-02-02"
    assert "Verdict:" in explorer.shown_html()


def test_forecast_explorer_respects_the_seed(client):
    scale = pytest.importorskip("opsdiag.scale")
    explorer = widgets.ForecastExplorer(client, items=3)
    assert explorer.error is None and explorer.seed.value == 7
    assert explorer.result == scale.forecast(client, items=3, seed=7)
    assert explorer.answer == explorer.result["p85"]
    first = explorer.result
    explorer.seed.value = 11
    assert explorer.result == scale.forecast(client, items=3, seed=11)
    assert explorer.result["p85"] != first["p85"]  # these two seeds draw different futures
    explorer.confidence.value = 95
    assert explorer.answer == explorer.result["p95"]
    with explorer.paused():
        explorer.mode.value = "date"
        explorer.by.value = dt.date(2026, 5, 31)
    assert explorer.result == scale.forecast(client, by="2026-05-31", seed=11)


def test_an_error_is_shown_in_the_output_not_raised(client):
    explorer = widgets.ForecastExplorer(client)
    with explorer.paused():
        explorer.mode.value = "date"
        explorer.by.value = None
    assert isinstance(explorer.error, (ValueError, ImportError))
    assert "Could not update" in explorer.shown_html()

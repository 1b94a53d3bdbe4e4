"""Engagement config: typed defaults, unknown keys reported, wrong types named."""

import datetime as dt

import pytest

from opsdiag import config
from opsdiag.errors import ConfigError


def test_defaults_match_the_design():
    e = config.load()
    assert e.costs.cost_of_delay_per_week == 600 and e.costs.weeks_per_year == 46
    assert e.costs.rates["engineering"] == 110 and e.costs.default_rate == 100
    assert e.workflow.backward_moves == "keep_first_start" and e.timezone == "UTC"
    assert e.unknown_keys == []


def test_file_values_are_typed_and_overrides_win(tmp_path):
    (tmp_path / "engagement.yaml").write_text(
        "client: Acme Robotics\nas_of: 2026-06-30\ntimezone: Europe/Berlin\n"
        "workflow:\n  statuses:\n    Ready for QA: {phase: committed, kind: queue, owner: qa, order: 5}\n"
        "pilot: {ritual: handoff_contract, start: 2026-04-06, sprints: 3, teams: [Core]}\n")
    e = config.load(data_dir=tmp_path, as_of="2026-05-01")
    assert e.as_of == dt.date(2026, 5, 1) and e.slug == "acme-robotics"
    assert e.workflow.statuses["Ready for QA"].owner == "qa"
    assert e.pilot.start == dt.date(2026, 4, 6)


def test_unknown_keys_are_reported_with_their_path(tmp_path):
    (tmp_path / "engagement.yaml").write_text(
        "clinet: typo\ncosts: {rates: {qa: 70}, weeks_per_yr: 40}\n"
        "workflow: {statuses: {Done: {phase: done, colour: green}}}\n")
    e = config.load(data_dir=tmp_path)
    assert e.unknown_keys == ["clinet", "costs.weeks_per_yr", "workflow.statuses.Done.colour"]


@pytest.mark.parametrize("text, key", [
    ("costs: {cost_of_delay_per_week: lots}", "costs.cost_of_delay_per_week"),
    ("workflow: {backward_moves: sometimes}", "workflow.backward_moves"),
    ("as_of: not-a-date", "as_of"),
    ("timezone: Mars/Olympus", "timezone"),
])
def test_wrong_types_name_the_key(tmp_path, text, key):
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert key in str(err.value) and "e.yaml" in str(err.value)


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "engagement.yaml"
    bad.write_text("client: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load(data_dir=tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "missing.yaml")

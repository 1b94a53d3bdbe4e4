"""The hand-back pack: ritual, dashboard definitions, config — complete, escaped, byte-identical."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import pytest
import yaml

from opsdiag.handback import FILES, md_escape, md_table, write_handback
from opsdiag.rituals import RITUALS
from opsdiag.scale import DASHBOARD_METRICS

HOSTILE = "<script>|x"


def write_hostile_client(folder):
    """A small client whose item title, team, customer and tool are ``<script>|x``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "work_items.csv").write_text(textwrap.dedent(f"""\
        item_id,title,item_type,team,status,created_at
        T-1,"{HOSTILE}",Story,"{HOSTILE}",In Progress,2026-02-02
        T-2,Second item,Bug,Core,Done,2026-02-03
        T-3,Third item,Task,Core,Done,2026-02-04
        T-4,Fourth item,Story,Core,Done,2026-02-05
        """), encoding="utf-8")
    (folder / "transitions.csv").write_text(textwrap.dedent("""\
        item_id,at,from_status,to_status
        T-1,2026-02-03 09:00,To Do,In Progress
        T-2,2026-02-04 09:00,To Do,In Progress
        T-2,2026-02-06 09:00,In Progress,Done
        T-3,2026-02-05 09:00,To Do,In Progress
        T-3,2026-02-12 09:00,In Progress,Done
        T-4,2026-02-09 09:00,To Do,In Progress
        T-4,2026-02-13 09:00,In Progress,Done
        """), encoding="utf-8")
    (folder / "people.csv").write_text(textwrap.dedent("""\
        person,role,team,hours_per_week,hours_status_chasing,hours_tool_admin
        Ann,product,Core,40,5,3
        Bob,engineering,Core,40,1,1
        """), encoding="utf-8")
    (folder / "feedback.csv").write_text(textwrap.dedent(f"""\
        feedback_id,created_at,customer,title,account_arr
        F-1,2026-02-02,"{HOSTILE}",Exports are slow,12000
        """), encoding="utf-8")
    (folder / "tools.csv").write_text(textwrap.dedent(f"""\
        tool,category,seats,active_seats,monthly_cost,renewal_date
        Jira,tracker,10,8,100,2026-09-01
        "{HOSTILE}",tracker,5,3,50,2026-07-01
        """), encoding="utf-8")
    (folder / "engagement.yaml").write_text(textwrap.dedent("""\
        client: "Hostile <b>|</b> Inc"
        as_of: 2026-03-20
        pilot: {ritual: handoff_contract, start: 2026-02-16, teams: ["<script>|x"]}
        """), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from opsdiag.client import load_client

    return load_client(write_hostile_client(tmp_path_factory.mktemp("handback") / "hostile"))


@pytest.fixture(scope="module")
def pack(client, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    written = write_handback(client, out)
    return out, written


def test_md_escape():
    assert md_escape(HOSTILE) == "&lt;script&gt;\\|x"
    assert md_escape("a*b_c `d` [e](f) #g & h\nnext") == "a\\*b\\_c \\`d\\` \\[e\\](f) \\#g &amp; h next"
    assert md_escape(None) == "" and md_escape(float("nan")) == ""


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def tables(text: str) -> list[list[str]]:
    """Consecutive lines starting with '|' grouped into tables."""
    found, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found + ([current] if current else [])


def test_md_table_keeps_its_shape_with_hostile_cells():
    text = md_table(["A", "B"], [[md_escape(HOSTILE), md_escape("x|y|z")]])
    assert {unescaped_pipes(line) for line in text.splitlines()} == {3}


def test_pack_files(pack):
    out, written = pack
    assert [p.name for p in written] == list(FILES)
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    assert not list(out.glob(".*"))  # no temp files left behind


def test_ritual_md_holds_the_ritual_as_run_after_the_pilot(pack):
    text = (pack[0] / "ritual.md").read_text(encoding="utf-8")
    ritual = RITUALS["handoff_contract"]  # the piloted ritual
    assert text.startswith(f"# {ritual.name}\n")
    for heading in ("## Agenda", "## Roles and attendees", "## Inputs", "## Outputs", "## Checklist",
                    "## Success metrics"):
        assert heading in text
    for item in ritual.agenda:
        assert item.topic in text
    assert "| 0:00–0:05 | 5 |" in text and "| 0:20–0:30 | 10 |" in text  # 5 + 15 + 10 minutes
    for attendee in ritual.attendees:
        assert attendee.role in text
    assert text.count("- [ ] ") >= len(ritual.inputs) + len(ritual.agenda) + len(ritual.outputs)
    assert "Queue time per handoff" in text and "Baseline" in text and "Target" in text
    assert ritual.cadence in text


def test_dashboard_md_defines_every_metric_with_its_target(pack):
    text = (pack[0] / "dashboard.md").read_text(encoding="utf-8")
    for column, metric in DASHBOARD_METRICS.items():
        row = next(line for line in text.splitlines() if f"`{column}`" in line)
        assert metric.definition in row
        assert metric.target.rstrip(".")[1:] in row  # the rule (first letter may be lower-cased)
    csv = pd.read_csv(pack[0] / "dashboard.csv")
    assert list(csv.columns)[2:] == list(DASHBOARD_METRICS)


def test_engagement_yaml_is_the_effective_config(pack, client):
    config = yaml.safe_load((pack[0] / "engagement.yaml").read_text(encoding="utf-8"))
    assert config["client"] == "Hostile <b>|</b> Inc"
    assert config["as_of"] == "2026-03-20" and config["seed"] == client.engagement.seed
    assert config["pilot"]["ritual"] == "handoff_contract"


def test_readme_indexes_the_pack_and_names_what_is_next(pack):
    text = (pack[0] / "README.md").read_text(encoding="utf-8")
    for name in FILES:
        if name != "README.md":
            assert f"({name})" in text
    assert text.startswith("# Hostile &lt;b&gt;\\|&lt;/b&gt; Inc: product operations hand-back")
    assert "## Tool plan" in text and "## Automation candidates" in text


def test_hostile_names_do_not_break_markdown(pack):
    out = pack[0]
    for name in ("README.md", "ritual.md", "dashboard.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert "<script>" not in text and "<b>" not in text
        for table in tables(text):
            widths = {unescaped_pipes(line) for line in table}
            assert len(widths) == 1, (name, table)
    ritual = (out / "ritual.md").read_text(encoding="utf-8")
    assert "| T-1 | &lt;script&gt;\\|x | In Progress | &lt;script&gt;\\|x |" in ritual  # aging work
    assert "| &lt;script&gt;\\|x | 12,000 | 1 |" in ritual  # the waiting customer
    assert "**Pilot teams:** &lt;script&gt;\\|x;" in ritual
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;\\|x" in readme  # the tool to retire


def test_pack_is_byte_identical_across_runs(client, pack, tmp_path):
    again = write_handback(client, tmp_path)
    for path in again:
        assert path.read_bytes() == (pack[0] / path.name).read_bytes(), path.name

"""The command line: exit codes, one-line errors, and the stable --json shapes of DESIGN §8."""

import json
import subprocess
import sys

import pytest

LEVERS = {"prioritization", "delivery", "feedback", "analytics", "tooling", "handoffs"}
SIGNS = {"pm_chasing_updates", "releases_late", "feedback_scattered", "eng_gtm_disagree",
         "no_source_of_truth", "political_prioritization"}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "opsdiag.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture
def client_dir(tmp_path):
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "work_items.csv").write_text(
        "item_id,title,item_type,team,status,created_at\n"
        "A-1,Login,Story,Core,Done,2026-01-05\nA-2,Export,Bug,Core,In Progress,2026-01-10\n")
    (folder / "transitions.csv").write_text(
        "item_id,at,from_status,to_status\nA-1,2026-01-06,To Do,In Progress\n"
        "A-1,2026-01-08,In Progress,Ready for QA\nA-1,2026-01-16,Ready for QA,Done\n"
        "A-2,2026-01-11,To Do,In Progress\n")
    (folder / "people.csv").write_text("person,role,hours_status_chasing,hours_customer\nana,product,6,1\n")
    (folder / "engagement.yaml").write_text("client: Acme Robotics\nas_of: 2026-02-01\n")
    return folder


def test_inspect_json_shape(client_dir):
    result = run("inspect", client_dir, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) >= {"files", "unrecognized", "tables", "quality"}
    assert {f["path"] for f in payload["files"]} == {"work_items.csv", "transitions.csv", "people.csv"}
    assert all(set(f) >= {"path", "format", "tables", "rows"} for f in payload["files"])
    assert payload["tables"]["work_items"] == {"rows": 2, "start": "2026-01-05T00:00:00Z",
                                               "end": "2026-01-10T00:00:00Z"}


def test_inspect_bad_file_exit_1_names_row_and_column_no_traceback(client_dir):
    (client_dir / "tools.csv").write_text("tool,category,seats\nJira,tracker,many\n")
    result = run("inspect", client_dir)
    assert result.returncode == 1
    assert "tools.csv" in result.stderr and "row 2" in result.stderr and "'seats'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "work_items" in result.stdout  # the good files were still read


@pytest.mark.parametrize("args, code", [
    (("inspect", "does/not/exist"), 2), (("diagnose", "does/not/exist"), 2), (("inspect",), 2),
    (("forecast", "--items", "3", "--by", "2026-01-01"), 2), (("nonsense",), 2),
])
def test_usage_errors_exit_2_with_one_line(args, code, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4


def test_bad_config_is_a_one_line_error(client_dir):
    (client_dir / "engagement.yaml").write_text("costs: {cost_of_delay_per_week: lots}\n")
    result = run("diagnose", client_dir)
    assert result.returncode == 2 and "costs.cost_of_delay_per_week" in result.stderr
    assert "Traceback" not in result.stderr


def test_diagnose_json_shape_ranks_assessed_levers_first(client_dir):
    result = run("diagnose", client_dir, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["client"] == "Acme Robotics" and payload["as_of"] == "2026-02-01"
    assert {lv["lever"] for lv in payload["levers"]} == LEVERS
    ranks = [lv["rank"] for lv in payload["levers"]]
    assessed = [lv for lv in payload["levers"] if lv["assessed"]]
    assert ranks[: len(assessed)] == list(range(1, len(assessed) + 1))
    assert all(lv["rank"] is None and lv["needs"] for lv in payload["levers"] if not lv["assessed"])
    for lever in assessed:
        assert set(lever["cost_per_year"]) == {"low", "base", "high"}
        for finding in lever["findings"]:
            assert set(finding) >= {"id", "lever", "metric", "value", "unit", "threshold", "severity",
                                    "hours_per_year", "cost_per_year", "formula_id", "assumptions",
                                    "owner_function", "evidence"}
    assert {s["sign"] for s in payload["signs"]} == SIGNS
    assert all(s["status"] in {"red", "amber", "green", "not_measured"} for s in payload["signs"])


def test_export_writes_tables_and_flow_that_read_back(client_dir, tmp_path):
    out = tmp_path / "out"
    assert run("export", client_dir, "--out", out).returncode == 0
    flow = (out / "flow.csv").read_text().splitlines()
    assert flow[0] == ("item_id,started_at,completed_at,cycle_time_days,lead_time_days,active_days,"
                       "queue_days,blocked_days,handoffs,bounce_backs")
    assert flow[1].startswith("A-1,2026-01-06T00:00:00Z,2026-01-16T00:00:00Z,10,11,")
    again = json.loads(run("inspect", out, "--json").stdout)
    assert again["tables"]["transitions"]["rows"] == 4 and again["tables"]["people"]["rows"] == 1


def test_init_writes_config_with_inferred_mapping_and_keeps_existing(client_dir):
    (client_dir / "engagement.yaml").unlink()
    result = run("init", client_dir)
    assert result.returncode == 0, result.stderr
    text = (client_dir / "engagement.yaml").read_text()
    assert "Ready for QA" in text and "phase: committed" in text
    assert (client_dir / "tools.csv").read_text().startswith("tool,category")
    assert run("inspect", client_dir).returncode == 0  # the config it wrote loads without unknown keys
    again = run("init", client_dir)
    assert "kept existing" in again.stdout


def test_empty_folder_is_a_usage_error_and_unreadable_folder_a_data_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("diagnose", empty)
    assert result.returncode == 2 and "holds no export files" in result.stderr
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "data.csv").write_bytes(bytes(range(256)))
    result = run("diagnose", junk)
    assert result.returncode == 1 and "data.csv" in result.stderr and "Traceback" not in result.stderr
    assert run("inspect", junk).returncode == 1


def test_quick_exit_keeps_output_and_exit_status_and_a_detached_process_writes_the_cache(client_dir, tmp_path):
    """``opsdiag`` (``cli.run``) leaves without tearing Python down or waiting for its cache
    entries: everything printed arrives whole with the command's exit status, and a process it
    detaches writes the entries afterwards (here held back until the test lets it go on)."""
    import os
    import time

    cache = tmp_path / "cache"
    go = tmp_path / "go"
    env = {**os.environ, "OPSDIAG_CACHE_DIR": str(cache)}
    env.pop("OPSDIAG_CACHE", None)
    held_writer = f"""
import os, time, opsdiag.cache as c, opsdiag.cli as cli
write = c._write
def held(*args):  # each entry waits for the test's go (30 s at most)
    deadline = time.monotonic() + 30
    while not os.path.exists({str(go)!r}) and time.monotonic() < deadline:
        time.sleep(0.05)
    write(*args)
c._write = held
cli.run()
"""
    done = subprocess.run([sys.executable, "-c", held_writer, "diagnose", str(client_dir), "--json"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert {lever["lever"] for lever in json.loads(done.stdout)["levers"]} == LEVERS
    assert not list(cache.glob("*.pickle"))  # the command did not wait for its entries
    go.touch()
    deadline = time.monotonic() + 60
    while len(list(cache.glob("*.pickle"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name.split("-")[0] for p in cache.glob("*.pickle")) == ["client", "dataset"]
    while list(cache.glob(".*.tmp")) and time.monotonic() < deadline:  # renamed into place whole
        time.sleep(0.05)
    assert not list(cache.glob(".*.tmp"))
    again = subprocess.run([sys.executable, "-m", "opsdiag.cli", "-v", "diagnose", str(client_dir), "--json"],
                           capture_output=True, text=True, timeout=120, env=env)
    assert again.stdout == done.stdout and "cache: client of" in again.stderr  # the entries are read
    missing = run("diagnose", tmp_path / "nowhere")
    assert missing.returncode == 2 and missing.stderr.startswith("error:")


def test_quick_exit_only_when_nothing_else_runs():
    import threading

    from opsdiag import cli

    assert cli._quiet()
    release = threading.Event()
    worker = threading.Thread(target=release.wait)  # a non-daemon thread Python would wait for
    worker.start()
    try:
        assert not cli._quiet()
    finally:
        release.set()
        worker.join()
    assert cli._quiet()


def test_the_command_has_pyarrow_allocate_with_malloc_unless_told_otherwise():
    import os

    code = ("import sys, opsdiag.cli as cli; cli._arrow_system_allocator(); import pyarrow;"
            "print(pyarrow.default_memory_pool().backend_name)")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert chosen.stdout.strip() == "system"
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"})
    assert kept.stdout.strip() == "mimalloc"

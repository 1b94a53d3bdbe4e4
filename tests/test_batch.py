"""opsdiag batch: one process per client, a broken client never stops the others."""

from __future__ import annotations

import json

import pytest

from conftest import write_client
from opsdiag.errors import ConfigError, UsageError
from opsdiag.report import FAILED_DIR
from opsdiag.report.batch import ClientSpec, read_clients, run_batch


def test_read_clients_from_folder_skips_hidden_and_underscore(tmp_path):
    for name in ("beta", "alpha", "_failed", ".cache"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("not a client")
    specs = read_clients(tmp_path)
    assert [s.label for s in specs] == ["alpha", "beta"]
    assert specs[0].data_dir == str((tmp_path / "alpha").resolve())


def test_read_clients_from_yaml_resolves_relative_paths(tmp_path):
    (tmp_path / "clients.yaml").write_text(
        "- {name: Acme, data_dir: acme, config: cfg/acme.yaml, as_of: 2026-06-30}\n- data_dir: /abs/beta\n- gamma\n")
    specs = read_clients(tmp_path / "clients.yaml")
    assert specs[0] == ClientSpec(data_dir=str((tmp_path / "acme").resolve()), name="Acme",
                                  config=str((tmp_path / "cfg" / "acme.yaml").resolve()), as_of="2026-06-30")
    assert specs[1].data_dir == "/abs/beta" and specs[1].label == "beta"
    assert specs[2].label == "gamma"


def test_read_clients_errors(tmp_path):
    (tmp_path / "c.yaml").write_text("- {name: A}\n")
    with pytest.raises(ConfigError, match="client 1: data_dir is required"):
        read_clients(tmp_path / "c.yaml")
    (tmp_path / "d.yaml").write_text("- {data_dir: a, colour: red}\n")
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        read_clients(tmp_path / "d.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no client folders"):
        read_clients(tmp_path / "empty")
    with pytest.raises(UsageError, match="expected a folder"):
        read_clients(tmp_path / "missing")


@pytest.mark.slow
def test_batch_two_good_clients_and_one_broken(tmp_path):
    clients = tmp_path / "clients"
    write_client(clients / "alpha", client=None, logo=False)
    write_client(clients / "beta", client="Beta GmbH", logo=False)
    broken = clients / "broken"
    broken.mkdir()
    (broken / "export.csv").write_bytes(bytes(range(256)) * 8)  # random bytes, no export
    out = tmp_path / "reports"

    result = run_batch(clients, jobs=2, out_dir=out, timeout=120, progress=False)

    by_name = {c["client"]: c for c in result["clients"]}
    assert [c["client"] for c in result["clients"]] == ["alpha", "Beta GmbH", "broken"]
    assert by_name["alpha"]["status"] == "ok" and by_name["Beta GmbH"]["status"] == "ok"
    assert by_name["broken"]["status"] == "failed"
    assert "no file was recognised" in by_name["broken"]["error"]
    assert by_name["alpha"]["report"] == "alpha/2026-03-13/index.html"
    assert by_name["Beta GmbH"]["report"] == "beta-gmbh/2026-03-13/index.html"
    # headline numbers from each summary.json (4 items, 2 completed, median 4.5 days)
    assert by_name["alpha"]["items"] == 4 and by_name["alpha"]["median_cycle_time_days"] == 4.5
    assert (out / "alpha" / "2026-03-13" / "01_diagnose.html").is_file()
    assert (out / "beta-gmbh" / "2026-03-13" / "04_scale.html").is_file()
    # nothing of the broken client outside _failed/
    assert not (out / "broken").exists()
    assert (out / FAILED_DIR / "broken" / "error.txt").is_file()
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert written["clients"] == result["clients"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2 of 3 clients rendered" in index
    assert 'href="alpha/2026-03-13/index.html"' in index and "broken" in index and "failed" in index


@pytest.mark.slow
def test_cli_batch_exit_status_names_broken_client(tmp_path, capsys):
    from opsdiag.cli import main

    clients = tmp_path / "clients"
    write_client(clients / "good", client=None, logo=False)
    (clients / "junk").mkdir()
    (clients / "junk" / "blob.bin").write_bytes(b"\x00\xff" * 300)
    (tmp_path / "clients.yaml").write_text("- {data_dir: clients/good}\n- {name: Junk Ltd, data_dir: clients/junk}\n")
    with pytest.raises(SystemExit) as done:
        main(["batch", str(tmp_path / "clients.yaml"), "--out", str(tmp_path / "out")])
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert "client Junk Ltd failed" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_failed", "good", "index.html", "summary.json"]


def test_duplicate_report_folders_fail_the_second_client(tmp_path, monkeypatch):
    from opsdiag.report import batch

    clients = tmp_path / "clients"
    write_client(clients / "one", client="Same Name", logo=False)
    write_client(clients / "two", client="Same Name", logo=False)
    ran = []
    monkeypatch.setattr(batch, "_run_in_process", lambda spec, out, timeout: ran.append(spec.label) or {
        "client": spec.label, "data_dir": spec.data_dir, "status": "ok", "error": None, "report": None,
        "as_of": None})
    result = run_batch(clients, out_dir=tmp_path / "out", progress=False)
    assert ran == ["one"]
    assert result["clients"][1]["status"] == "failed"
    assert "same report folder 'same-name'" in result["clients"][1]["error"]

"""The report pipeline: papermill execution, client-ready pages, summary.json, failures, atomicity."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from opsdiag import SCHEMA_VERSION, __version__
from opsdiag.errors import ConfigError, InputFormatError, NotebookError, UsageError
from opsdiag.report import FAILED_DIR, check_phases, render_report
from opsdiag.report import execute as execute_mod
from opsdiag.report.index import next_steps, render_index
from opsdiag.report.render import (PageContext, brand_colour, drop_external_resources, logo_data_uri,
                                   render_notebook, toc_html)
from opsdiag.report.summary import headline

from conftest import CLIENT_NAME, XSS_CUSTOMER, XSS_TITLE

PAGES = ["index.html", "01_diagnose.html", "02_design.html", "03_deploy.html", "04_scale.html"]
EXTERNAL = re.compile(r"""<script[^>]*\bsrc\s*=|(?:href|src)\s*=\s*["']?(?:https?:)?//""", re.I)


def _body(page: str) -> str:
    return page[page.index("<body"):]


# --------------------------------------------------------------------------- rendered sample
@pytest.mark.slow
def test_report_folder_layout(rendered_report):
    assert rendered_report.name == "2026-03-13"
    assert rendered_report.parent.name == "tiny-i-co-i-sons"
    names = {p.name for p in rendered_report.iterdir()}
    assert set(PAGES) <= names
    assert {f"{p[:-5]}.ipynb" for p in PAGES[1:]} <= names
    assert "summary.json" in names
    # built next to the target and renamed: no temp folder left behind
    assert [p.name for p in rendered_report.parent.iterdir()] == ["2026-03-13"]


@pytest.mark.slow
def test_pages_are_client_ready_and_offline(rendered_report):
    for name in PAGES:
        page = (rendered_report / name).read_text(encoding="utf-8")
        assert page.lstrip().lower().startswith("<!doctype html>")
        assert '<html lang="en">' in page
        assert "Traceback" not in page and "Error" not in _body(page), name
        assert not EXTERNAL.search(page), (name, EXTERNAL.search(page))
        assert "require.js" not in page and "MathJax" not in page
        assert "jp-InputArea-editor" not in _body(page)  # no code input cells
        assert "load_client(" not in page and "import " not in _body(page)
        assert "Kernel is running" not in page  # no stderr
        assert "Tiny &lt;i&gt;Co&lt;/i&gt; &amp; Sons" in page  # cover, escaped
        assert "Jo Consultant" in page and "2026-03-13" in page
        assert "--opsdiag-brand: #AA3300" in page
        assert 'src="data:image/png;base64,' in page  # the logo, inlined
        assert 'aria-label="Contents"' in page


@pytest.mark.slow
def test_client_text_is_escaped_on_every_page(rendered_report):
    for name in PAGES:
        page = (rendered_report / name).read_text(encoding="utf-8")
        assert XSS_TITLE not in page and XSS_CUSTOMER not in page and CLIENT_NAME not in page, name
        assert "alert(1)" not in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    diagnose = (rendered_report / "01_diagnose.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in diagnose  # the oldest-WIP table shows it as text


@pytest.mark.slow
def test_phase_page_content(rendered_report):
    diagnose = (rendered_report / "01_diagnose.html").read_text(encoding="utf-8")
    for text in ("What we received", "work_items.csv", "opsdiag_transitions", "Flow basics",
                 "Items (included)", "Oldest work in progress", 'href="#What-we-received"'):
        assert text in diagnose, text
    scale = (rendered_report / "04_scale.html").read_text(encoding="utf-8")
    # T-2 done 2026-03-06 (week of 03-02), T-3 done 2026-03-12 (week of 03-09, cut by as_of)
    assert re.search(r">2026-03-02</td>.*?>1</td>.*?>no</td>", scale, re.S)
    assert re.search(r">2026-03-09</td>.*?>1</td>.*?>yes</td>", scale, re.S)


@pytest.mark.slow
def test_summary_json_provenance_and_sections(rendered_report, tiny_client):
    summary = json.loads((rendered_report / "summary.json").read_text(encoding="utf-8"))
    assert summary["opsdiag_version"] == __version__
    assert summary["schema_version"] == SCHEMA_VERSION
    assert summary["client"] == CLIENT_NAME and summary["as_of"] == "2026-03-13"
    assert summary["seed"] == 0 and summary["config"]["seed"] == 0
    assert summary["config"]["report"]["consultant"] == "Jo Consultant"
    inputs = {i["path"]: i for i in summary["inputs"]}
    assert set(inputs) == {"work_items.csv", "transitions.csv", "people.csv", "feedback.csv"}
    import hashlib

    expected = hashlib.sha256((tiny_client / "work_items.csv").read_bytes()).hexdigest()
    assert inputs["work_items.csv"]["sha256"] == expected
    assert summary["parameters"]["as_of"] == "2026-03-13"
    assert summary["pages"]["diagnose"] == "01_diagnose.html"
    # 4 included items; T-2 (2 days) and T-3 (7 days) completed -> median 4.5
    assert summary["flow"] == {"items": 4, "completed": 2, "median_cycle_time_days": 4.5}
    assert summary["inspect"]["tables"]["work_items"]["rows"] == 4
    executed = nbformat.read(str(rendered_report / "01_diagnose.ipynb"), as_version=4)
    assert executed.metadata.papermill.parameters["client"] == CLIENT_NAME


@pytest.mark.slow
def test_index_says_not_assessed_and_links_pages(rendered_report):
    index = (rendered_report / "index.html").read_text(encoding="utf-8")
    for href in PAGES[1:]:
        assert f'href="{href}"' in index
    assert 'href="handback/README.md"' in index  # the hand-back pack is linked
    summary = json.loads((rendered_report / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= {"diagnosis", "recommendation", "pilot", "forecast", "handback"}
    assert summary["pilot"]["verdict"] == "not_enough_data"  # no pilot configured for this client
    assert (rendered_report / "handback" / "ritual.md").is_file()
    assert ">4<" in index and ">4.5<" in index  # items analysed, median cycle time


# --------------------------------------------------------------------------- failures
def _notebook(path: Path, cells) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _params_cell():
    cell = new_code_cell('data_dir = ""\nconfig_path = ""\nclient = ""\nas_of = ""\nout_dir = ""\nseed = None')
    cell.metadata["tags"] = ["parameters"]
    return cell


@pytest.mark.slow
def test_failing_notebook_raises_names_cell_and_keeps_notebook(tiny_client, tmp_path):
    notebooks = tmp_path / "nbs"
    _notebook(notebooks / "01_diagnose.ipynb", [
        new_markdown_cell("# Broken"), _params_cell(),
        new_code_cell("x = 1"), new_code_cell("# explode\nraise ValueError('boom')"),
    ])
    out = tmp_path / "reports"
    with pytest.raises(NotebookError) as info:
        render_report(tiny_client, out_dir=out, phases=["diagnose"], progress=False, notebooks_dir=notebooks,
                      timeout=60)
    message = str(info.value)
    assert "01_diagnose.ipynb" in message and "cell 3" in message and "# explode" in message
    assert "ValueError: boom" in message
    kept = out / FAILED_DIR / "tiny-i-co-i-sons" / "01_diagnose.ipynb"
    assert kept.is_file() and info.value.executed_path.name == "01_diagnose.ipynb"
    assert "boom" in (kept.parent / "error.txt").read_text(encoding="utf-8")
    written = [p.relative_to(out).parts[0] for p in out.rglob("*") if p.is_file()]
    assert set(written) == {FAILED_DIR}
    assert not list(out.rglob("*.html"))


def test_folder_without_any_export_fails_clearly(tmp_path):
    bad = tmp_path / "junk"
    bad.mkdir()
    (bad / "data.bin").write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "reports"
    with pytest.raises(InputFormatError, match="no file was recognised"):
        render_report(bad, out_dir=out, progress=False)
    assert {p.relative_to(out).parts[0] for p in out.rglob("*")} == {FAILED_DIR}


def test_unknown_phase_is_a_usage_error():
    assert check_phases(["scale", "diagnose"]) == ["diagnose", "scale"]
    with pytest.raises(UsageError, match="expected some of diagnose, design, deploy, scale"):
        check_phases(["diagnose", "design2"])


def test_kernel_start_failure_is_retried_once(monkeypatch, tmp_path):
    import papermill

    source = _notebook(tmp_path / "a.ipynb", [new_code_cell("1")])
    calls = []

    def flaky(input_path, output_path, **kwargs):
        calls.append(kwargs["cwd"])
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        Path(output_path).write_bytes(Path(input_path).read_bytes())

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    out = execute_mod.execute_notebook(source, tmp_path / "out.ipynb", {}, cwd=tmp_path, timeout=5)
    assert out.is_file() and len(calls) == 2


def test_kernel_that_never_starts_is_a_notebook_error(monkeypatch, tmp_path):
    import papermill

    source = _notebook(tmp_path / "a.ipynb", [new_code_cell("1")])
    calls = []

    def broken(input_path, output_path, **kwargs):
        calls.append(1)
        raise RuntimeError("address already in use")

    monkeypatch.setattr(papermill, "execute_notebook", broken)
    with pytest.raises(NotebookError, match="a.ipynb: a cell failed: the 'python3' kernel failed to start"):
        execute_mod.execute_notebook(source, tmp_path / "out.ipynb", {}, cwd=tmp_path, timeout=5)
    assert len(calls) == 2


def test_failing_cell_counts_in_the_source_notebook():
    source = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("a = 1"), new_code_cell("b = 2\nboom()")])
    executed = nbformat.reads(nbformat.writes(source), as_version=4)
    injected = new_code_cell("a = 2")
    injected.metadata["tags"] = ["injected-parameters"]
    marker = new_markdown_cell("An Exception was encountered")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    executed.cells = [marker, executed.cells[0], executed.cells[1], injected, executed.cells[2]]
    executed.cells[4].metadata["papermill"] = {"status": "failed"}
    assert execute_mod.failing_cell(executed, source) == (2, "b = 2")
    assert execute_mod.failing_cell(executed) == (2, "b = 2")
    executed.cells[4].metadata["papermill"] = {"status": "completed"}
    executed.cells[4].outputs = [new_output("error", ename="E", evalue="v", traceback=[])]
    assert execute_mod.failing_cell(executed, source)[0] == 2


# --------------------------------------------------------------------------- rendering pieces
def test_render_notebook_drops_stderr_widgets_scripts_and_code():
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\n## Part one"),
        new_code_cell("secret_code()", outputs=[
            new_output("stream", name="stderr", text="UserWarning: noisy"),
            new_output("display_data", data={"text/html": "<p>kept &lt;b&gt;</p>", "text/plain": "kept"})]),
        new_code_cell("w", outputs=[new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "VBox(children=())"})]),
        new_code_cell("js", outputs=[new_output("display_data", data={"application/javascript": "alert(2)"})]),
        new_code_cell("warn", outputs=[new_output("display_data", data={"text/plain": "FutureWarning: old"})]),
        new_code_cell("plt.plot()", outputs=[new_output("execute_result", execution_count=3, data={
            "text/plain": "[<matplotlib.lines.Line2D at 0x7f3a2c1d0>]"})]),
        new_code_cell("print('hi')", outputs=[new_output("stream", name="stdout", text="visible line")]),
        new_code_cell("42", outputs=[new_output("execute_result", execution_count=4, data={"text/plain": "42"})]),
        new_code_cell("removed", outputs=[new_output("stream", name="stdout", text="hidden by tag")]),
        new_code_cell("fig", outputs=[new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "F"})]),
    ])
    nb.cells[8].metadata["tags"] = ["remove-output"]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    ctx = PageContext(client="<b>Acme</b>", consultant="Jo", as_of="2026-06-30",
                      pages=[("Summary", "index.html"), ("1. Diagnose", "01_diagnose.html"), ("2. Design", None)],
                      parameters={"as_of": "2026-06-30"})
    page = render_notebook(nb, ctx, "Diagnose", "01_diagnose.html")
    body = _body(page)
    for gone in ("secret_code", "noisy", "VBox", "alert(2)", "FutureWarning", "hidden by tag", "widget-state",
                 "<script", "<b>Acme", "Line2D"):
        assert gone not in page, gone
    assert "Out[" not in body and "In&nbsp;[" not in body  # no prompts
    assert "kept &lt;b&gt;" in body and "visible line" in body
    assert '<img alt="Chart"' in body
    assert '<a aria-current="page" href="01_diagnose.html">' in body
    assert "not rendered in this run" in body
    assert '<a href="#Part-one">Part one</a>' in body
    assert "<pre>42</pre>" in body
    assert body.count("jp-OutputArea-output") == 4  # html, stdout, 42, figure: no empty output areas


def test_toc_lists_h1_and_h2_with_ids():
    body = ('<h1 id="A">A<a class="anchor-link" href="#A">¶</a></h1><h3 id="C">C</h3>'
            '<h2 class="x" id="B-&amp;">B &amp; <em>b</em><a class="anchor-link" href="#B-&amp;">¶</a></h2><h2>no id</h2>')
    toc = toc_html(body)
    assert '<li class="opsdiag-toc-1"><a href="#A">A</a></li>' in toc
    assert '<li class="opsdiag-toc-2"><a href="#B-&amp;">B &amp; b</a></li>' in toc
    assert "C<" not in toc and "no id" not in toc
    assert toc_html("<p>nothing</p>") == ""


def test_external_resources_are_dropped():
    page = ('<head><script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="https://fonts.example/css"><style>@import url("https://x/y.css"); p{}</style></head>'
            '<script>var ok = 1;</script><img alt="t" src="https://track.example/p.gif">'
            '<iframe src="//video.example/v"></iframe><img alt="inline" src="data:image/png;base64,AAAA">')
    cleaned = drop_external_resources(page)
    for host in ("cdn.example", "fonts.example", "x/y.css", "track.example", "video.example", "iframe"):
        assert host not in cleaned, host
    assert "var ok = 1;" in cleaned and "p{}" in cleaned and 'alt="inline"' in cleaned


def test_brand_colour_accepts_only_hex():
    assert brand_colour("#12AbEf") == "#12AbEf"
    assert brand_colour("#abc") == "#abc"
    assert brand_colour("red; } body { display:none") == "#0B5FFF"
    assert brand_colour(None) == "#0B5FFF"


def test_logo_must_be_png_or_jpeg(tmp_path):
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 8)
    assert logo_data_uri("logo.png", tmp_path).startswith("data:image/png;base64,iVBORw0KGgo")
    jpeg = tmp_path / "logo.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 8)
    assert logo_data_uri(jpeg).startswith("data:image/jpeg;base64,")
    svg = tmp_path / "logo.svg"
    svg.write_text("<svg onload='alert(1)'/>")
    with pytest.raises(ConfigError, match="not a PNG or JPEG"):
        logo_data_uri(svg)
    with pytest.raises(ConfigError, match="not found"):
        logo_data_uri("missing.png", tmp_path)
    assert logo_data_uri(None) is None


# --------------------------------------------------------------------------- executive summary
SUMMARY = {
    "client": "<b>x</b>", "as_of": "2026-06-30", "parameters": {},
    "config": {"currency": "EUR", "report": {"title": "Diag", "consultant": "<i>Jo</i>", "brand_color": "#000000"}},
    "flow": {"items": 10, "completed": 7, "median_cycle_time_days": 6.5},
    "diagnosis": {"levers": [
        {"lever": "handoffs", "rank": 1, "assessed": True, "hours_per_year": 800.0,
         "cost_per_year": {"low": 31000.0, "base": 44300.0, "high": 57600.0},
         "findings": [{"id": "handoffs.<script>wait</script>", "cost_per_year": {"base": 40000.0}}]},
        {"lever": "delivery", "rank": 2, "assessed": True, "cost_per_year": {"low": 1.0, "base": 9000.0, "high": 2.0}},
        {"lever": "analytics", "rank": None, "assessed": False, "findings": [{"needs": "product events export"}]},
    ]},
    "recommendation": {"ritual": "handoff_contract", "why": "Work waits <b>days</b> between teams"},
    "pilot": {"verdict": "improved", "metrics": [
        {"metric": "cycle_time_days", "baseline": 9.0, "pilot": 6.0, "verdict": "improved"}]},
}


def test_index_renders_headlines_escaped():
    page = render_index(SUMMARY, [("Summary", "index.html"), ("1. Diagnose", "01_diagnose.html"), ("2. Design", None)])
    assert "<b>x</b>" not in page and "<script>wait" not in page and "<b>days</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;i&gt;Jo&lt;/i&gt;" in page
    assert "Handoffs between functions" in page
    assert "EUR 44,300" in page and "EUR 31,000" in page and "EUR 57,600" in page
    assert "Delivery and releases: EUR 9,000" in page
    assert "Handoff contract" in page and "Work waits &lt;b&gt;days&lt;/b&gt; between teams" in page
    assert "Improved" in page and "cycle time days: 9.0 → 6.0 (Improved)" in page
    assert "Not assessed yet." in page  # forecast only
    assert "Scale the handoff contract to the other teams" in page
    assert "Ask for product events export to assess Metrics and analytics." in page
    assert 'href="01_diagnose.html"' in page and "(not rendered in this run)" in page
    assert not EXTERNAL.search(page) and '<html lang="en">' in page


def test_next_steps_follow_progress():
    assert next_steps({})[0].startswith("Complete the diagnosis")
    assert next_steps({"diagnosis": {"levers": []}})[0].startswith("Choose the one ritual")
    assert next_steps({"diagnosis": {"levers": []}, "recommendation": {"ritual": "wip_limits"}})[0] == (
        "Pilot the wip limits with one team for 2–4 sprints and measure before and after (Deploy page).")
    assert next_steps({"recommendation": {"next_steps": ["Do A", "Do B"]}}) == ["Do A", "Do B"]


def test_headline_numbers():
    assert headline(SUMMARY) == {"items": 10, "completed": 7, "median_cycle_time_days": 6.5,
                                 "top_lever": "handoffs", "top_cost_per_year": 44300.0,
                                 "ritual": "handoff_contract", "pilot_verdict": "improved"}
    assert headline({})["top_lever"] is None


# --------------------------------------------------------------------------- CLI, atomic replace, sample
@pytest.mark.slow
def test_cli_report_subset_of_phases_replaces_older_run(tiny_client, tmp_path):
    from opsdiag.cli import main

    out = tmp_path / "reports"
    stale = out / "tiny-i-co-i-sons" / "2026-03-13" / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an older run")
    with pytest.raises(SystemExit) as done:
        main(["report", str(tiny_client), "--out", str(out), "--phases", "scale"])
    assert done.value.code == 0
    folder = stale.parent
    assert not stale.exists()  # the older run of this as_of was replaced whole
    assert sorted(p.name for p in folder.iterdir()) == ["04_scale.html", "04_scale.ipynb", "handback", "index.html",
                                                        "summary.json"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="04_scale.html"' in index and 'href="01_diagnose.html"' not in index
    assert [p.name for p in folder.parent.iterdir()] == ["2026-03-13"]


@pytest.mark.slow
def test_bundled_sample_renders(tmp_path):
    from opsdiag.resources import default_data_dir

    try:
        sample = default_data_dir()
    except FileNotFoundError:
        pytest.skip("no bundled data_samples/ folder")
    if not sample.is_dir():
        pytest.skip(f"bundled sample client {sample.name} not generated yet")
    folder = render_report(None, out_dir=tmp_path, progress=False)
    for name in PAGES:
        page = (folder / name).read_text(encoding="utf-8")
        assert "Traceback" not in page and not EXTERNAL.search(page), name
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["flow"]["items"] > 0 and summary["inputs"]


def test_input_paths_are_relative_to_the_client_folder(tmp_path):
    from opsdiag.report.summary import relative_path

    assert relative_path("jira/page_1.json", tmp_path) == "jira/page_1.json"
    assert relative_path(tmp_path / "zendesk" / "t.csv", tmp_path) == "zendesk/t.csv"
    assert relative_path("/elsewhere/x.csv", tmp_path) == "x.csv"

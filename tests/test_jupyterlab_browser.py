"""explore.ipynb in a real JupyterLab, driven by Chromium: move the cost-of-delay slider, see the ranking move.

JupyterLab runs headless on 127.0.0.1 with a random token, its root a temporary folder holding a
copy of ``notebooks/explore.ipynb`` (parameterized to a small client written from opsdiag
templates) and nothing else; its settings, runtime and workspace folders are temporary too, and
the browser may only talk to that server. The server is always stopped (terminate, then kill
its process group). Playwright drives Debian's ``/usr/bin/chromium`` (never
``playwright install``). Skipped with a reason where Chromium or Playwright is absent, except
under ``CI=true`` where it must run. Screenshots go to ``reports/_screenshots/`` of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import ARGS, CHROMIUM, require_browser

from test_widgets import write_small_client

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "reports" / "_screenshots"
BUDGET_SECONDS = 120.0
LAB_SETTINGS = {
    # no news and no update checks: nothing leaves the machine
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    # draw every cell: with windowing, cells scrolled out of view (the cost explorer, after
    # Run All scrolled to the end) are detached from the page
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Deadline:
    """The time left of one overall budget, in milliseconds for Playwright waits."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left_ms(self, cap: float | None = None) -> float:
        left = max(self.end - time.monotonic(), 0.5) * 1000
        return min(left, cap * 1000) if cap else left


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workspace(root: Path) -> Path:
    """A copy of explore.ipynb pointed at a small client in ``root/client``."""
    import nbformat

    write_small_client(root / "client")
    notebook = nbformat.read(REPO / "notebooks" / "explore.ipynb", as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell('# Parameters (as papermill injects them)\ndata_dir = "client"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    notebook.cells.insert(at + 1, injected)
    nbformat.write(notebook, root / "explore.ipynb")
    return root / "explore.ipynb"


def _environment(tmp: Path) -> dict:
    env = dict(os.environ)
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                      ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(tmp / sub)
    for name, settings in LAB_SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env.pop("JUPYTER_PATH", None)
    return env


@pytest.fixture()
def jupyterlab(tmp_path):
    """A headless JupyterLab on 127.0.0.1 serving a temporary root; always stopped afterwards."""
    require_browser()
    root = tmp_path / "root"
    root.mkdir()
    _workspace(root)
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyterlab.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=_environment(tmp_path / "jupyter"), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}: "
                            f"{(tmp_path / 'jupyterlab.log').read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer within 60 s")
            time.sleep(0.3)
        yield {"url": url, "token": token, "root": root}
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL its process group if needed."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # the group this test started: server and its kernels
    except (ProcessLookupError, PermissionError):
        pass
    if server.poll() is None:
        server.wait(timeout=10)


def _levers(table) -> list[str]:
    """Lever titles in the order the ranking table shows them."""
    return [cell.strip() for cell in table.locator("tbody tr td:first-child").all_inner_texts()]


def test_moving_cost_of_delay_to_zero_reorders_the_ranking_in_jupyterlab(jupyterlab):
    sync_playwright = require_browser()
    deadline = Deadline(BUDGET_SECONDS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    allowed = jupyterlab["url"]
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith((allowed, "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", route)
            page.goto(f"{allowed}/lab/tree/explore.ipynb?token={jupyterlab['token']}",
                      timeout=deadline.left_ms(60))
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=deadline.left_ms(60))
            # the kernel is connected once the status bar names it and says Idle
            page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"Python 3.*\| Idle")).wait_for(
                timeout=deadline.left_ms(60))
            # Run → Run All Cells, from the menu bar
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            explorer = page.locator(".opsdiag-cost-explorer")
            table = explorer.locator("table.opsdiag-table").first
            table.wait_for(state="attached", timeout=deadline.left_ms(90))
            # Run All scrolls to the last cell
            explorer.evaluate("element => element.scrollIntoView({block: 'start'})")
            table.wait_for(state="visible", timeout=deadline.left_ms(30))
            before_text, before = table.inner_text(), _levers(table)
            page.screenshot(path=str(SCREENSHOTS / "explore_before.png"))
            assert before[0] == "Cross-functional handoffs", before

            slider = explorer.locator(".widget-slider", has_text="cost of delay per item-week")
            readout = slider.locator(".widget-readout")
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("0")
            page.keyboard.press("Enter")
            page.wait_for_function(
                "([selector, text]) => { const t = document.querySelector(selector);"
                " return t && t.innerText !== text; }",
                arg=[".opsdiag-cost-explorer table.opsdiag-table", before_text], timeout=deadline.left_ms(60))
            table = explorer.locator("table.opsdiag-table").first
            after = _levers(table)
            explorer.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SCREENSHOTS / "explore_after.png"))
            assert readout.inner_text().strip() == "0"
            assert after[0] == "Delivery and release cadence", after
            assert after.index("Cross-functional handoffs") > after.index("Tooling"), after
            assert not any(b.startswith(("http://", "https://")) for b in blocked), blocked
        finally:
            browser.close()
    assert time.monotonic() < deadline.end, "the browser test ran over its 120 s budget"

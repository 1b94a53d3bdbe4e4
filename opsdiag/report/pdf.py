"""``--pdf``: print each report page to PDF with Playwright driving Debian's Chromium.

opsdiag never downloads a browser (no ``playwright install``): it points Playwright at the
system's ``/usr/bin/chromium`` (or ``$OPSDIAG_CHROMIUM``). The pages are self-contained, so
the network is blocked while printing; only ``file:`` and ``data:`` URLs load.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import OpsdiagError

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = ("install it with `sudo apt-get install chromium` (Debian/Ubuntu), or point "
                "OPSDIAG_CHROMIUM at a Chromium binary; or run without --pdf")


def chromium_path() -> Path:
    """The Chromium binary to drive: ``$OPSDIAG_CHROMIUM``, else ``/usr/bin/chromium``.

    Raises
    ------
    OpsdiagError : no such binary, with how to install it.
    """
    path = Path(os.environ.get("OPSDIAG_CHROMIUM") or CHROMIUM)
    if not path.is_file():
        raise OpsdiagError(f"PDF output needs Chromium at {path}, which is missing: {INSTALL_HINT}")
    return path


def launch_chromium(playwright):
    """A headless Chromium (the system one) with background networking disabled."""
    return playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)


def block_network(page) -> None:
    """Abort every request that is not a local file or inline data."""
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
               else route.abort())


def print_pdfs(html_files: list[str | Path]) -> list[Path]:
    """Print each HTML file to a PDF beside it (``01_diagnose.html`` -> ``01_diagnose.pdf``).

    A4, backgrounds printed (brand colours), the page's own print CSS applied. Printing runs
    in a worker thread, so it also works where an asyncio loop is running (a notebook).

    Raises
    ------
    OpsdiagError : Chromium or the Playwright package is missing (the message says how to fix it).
    """
    chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise OpsdiagError("PDF output needs the Playwright package: pip install 'opsdiag[pdf]' "
                           f"(no browser download needed; Chromium: {INSTALL_HINT})") from None
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_print, sync_playwright, [Path(f) for f in html_files]).result()


def _print(sync_playwright, html_files: list[Path]) -> list[Path]:
    written = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            block_network(page)
            for html_file in html_files:
                html_file = Path(html_file).resolve()
                page.goto(html_file.as_uri(), wait_until="load")
                target = html_file.with_suffix(".pdf")
                page.pdf(path=str(target), format="A4", print_background=True, prefer_css_page_size=True)
                log.info("printed %s", target.name)
                written.append(target)
        finally:
            browser.close()
    return written

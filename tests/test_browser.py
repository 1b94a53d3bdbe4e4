"""Open every page of a rendered report in Chromium with the network blocked.

Playwright drives Debian's ``/usr/bin/chromium`` (never ``playwright install``). Skipped with
a reason where Chromium or Playwright is absent, except under ``CI=true`` where it must run.
Screenshots go to ``reports/_screenshots/`` of the checkout (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import ARGS, CHROMIUM, require_browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "_screenshots"
PAGES = ["index.html", "01_diagnose.html", "02_design.html", "03_deploy.html", "04_scale.html"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    sync_playwright = require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path):
    """Load ``path`` with every non-file request aborted; return (page, console errors, failures)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, failed, blocked = [], [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: failed.append(req.url))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, errors, failed, blocked


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_without_errors(browser, rendered_report, name):
    page, errors, failed, blocked = _open(browser, rendered_report / name)
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        assert errors == [], errors
        assert failed == [] and blocked == [], (failed, blocked)
        images = page.evaluate("""Array.from(document.images).map(img => ({
            alt: img.getAttribute('alt'), ok: img.complete && img.naturalWidth > 0}))""")
        assert all(img["ok"] for img in images), images
        assert all(img["alt"] and img["alt"].strip() for img in images), images
        assert images, "every page carries at least the client's logo"
        # client text arrives as text, never as markup
        assert page.evaluate("document.querySelectorAll('script:not([type])').length") == 0
        assert "Tiny <i>Co</i> & Sons" in page.inner_text("header.opsdiag-cover")
        if name == "01_diagnose.html":
            assert "<script>alert(1)</script>" in page.inner_text("main")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{Path(name).stem}.png"), full_page=True)
    finally:
        page.close()


def test_pdf_print(rendered_report, tmp_path):
    require_browser()
    import shutil

    from opsdiag.report.pdf import print_pdfs

    copy = tmp_path / "index.html"
    shutil.copy(rendered_report / "index.html", copy)
    (written,) = print_pdfs([copy])
    assert written == tmp_path / "index.pdf"
    assert written.read_bytes().startswith(b"%PDF")


def test_render_report_with_pdf(tiny_client, tmp_path):
    require_browser()
    from opsdiag.report import render_report

    folder = render_report(tiny_client, out_dir=tmp_path, phases=["scale"], pdf=True, progress=False)
    for name in ("index.pdf", "04_scale.pdf"):
        assert (folder / name).read_bytes().startswith(b"%PDF"), name
    assert not (folder / "01_diagnose.pdf").exists()


def test_pdf_without_chromium_says_how_to_install(monkeypatch, tmp_path):
    from opsdiag.errors import OpsdiagError
    from opsdiag.report.pdf import print_pdfs

    monkeypatch.setenv("OPSDIAG_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(OpsdiagError, match="apt-get install chromium"):
        print_pdfs([tmp_path / "index.html"])

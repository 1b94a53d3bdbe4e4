"""Shared by the real-browser tests: Debian's Chromium, its flags, and the skip/fail rule.

Never `playwright install`: Playwright drives /usr/bin/chromium. Without Chromium (or the
playwright package) a browser test is skipped with the reason, except under CI=true, where
.ci/run installs it and the test must run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def require_browser():
    """Playwright's ``sync_playwright``, or skip (fail under CI=true) naming what is missing."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not CHROMIUM.is_file():
        if in_ci:
            pytest.fail("CI=true but /usr/bin/chromium is missing (.ci/run installs it)")
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            pytest.fail("CI=true but the playwright package is missing")
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    return sync_playwright

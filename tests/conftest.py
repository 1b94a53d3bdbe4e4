"""Shared fixtures: a tiny client folder written from opsdiag templates, and its rendered report.

``tiny_client`` is deliberately hostile: an item titled ``<script>alert(1)</script>``, a
customer named ``<b>x</b>``, and a client name with markup, so every page proves its escaping.
``rendered_report`` renders it once per session (four notebooks, a few seconds).
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

# The dataset cache (opsdiag/ingest/cache.py) lives in a folder of this test session only, never
# in the developer's ~/.cache; notebook kernels and CLI subprocesses inherit it.
os.environ["OPSDIAG_CACHE_DIR"] = tempfile.mkdtemp(prefix="opsdiag_test_cache_")
os.environ.pop("OPSDIAG_CACHE", None)

XSS_TITLE = "<script>alert(1)</script>"
XSS_CUSTOMER = "<b>x</b>"
CLIENT_NAME = "Tiny <i>Co</i> & Sons"


def write_client(folder: Path, *, client: str | None = CLIENT_NAME, logo: bool = True) -> Path:
    """Write a small, valid client folder (work items, transitions, people, feedback, config)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "work_items.csv").write_text(textwrap.dedent(f"""\
        item_id,title,item_type,team,status,created_at
        T-1,{XSS_TITLE},Story,Core,In Progress,2026-03-02
        T-2,Second item,Bug,Core,Done,2026-03-03
        T-3,Third item,Task,Core,Done,2026-03-04
        T-4,Fourth item,Story,Core,To Do,2026-03-05
        """), encoding="utf-8")
    (folder / "transitions.csv").write_text(textwrap.dedent("""\
        item_id,at,from_status,to_status
        T-1,2026-03-03 09:00,To Do,In Progress
        T-2,2026-03-04 09:00,To Do,In Progress
        T-2,2026-03-06 09:00,In Progress,Done
        T-3,2026-03-05 09:00,To Do,In Progress
        T-3,2026-03-12 09:00,In Progress,Done
        """), encoding="utf-8")
    (folder / "people.csv").write_text(textwrap.dedent("""\
        person,role,team,hours_per_week,hours_status_chasing
        Ann,product,Core,40,5
        Bob,engineering,Core,40,1
        """), encoding="utf-8")
    (folder / "feedback.csv").write_text(textwrap.dedent(f"""\
        feedback_id,created_at,customer,title
        F-1,2026-03-02,{XSS_CUSTOMER},Exports are slow
        """), encoding="utf-8")
    config = ["as_of: 2026-03-13", "report:", "  consultant: Jo Consultant", "  brand_color: '#AA3300'"]
    if client is not None:
        config.insert(0, f"client: '{client}'")
    if logo:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.imsave(folder / "logo.png", [[[0.7, 0.2, 0.0]]])
        config.append("  logo: logo.png")
    (folder / "engagement.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_client(tmp_path_factory) -> Path:
    return write_client(tmp_path_factory.mktemp("clients") / "tiny")


@pytest.fixture(scope="session")
def rendered_report(tiny_client, tmp_path_factory) -> Path:
    """The tiny client's full report folder (rendered once per session)."""
    from opsdiag.report import render_report

    out = tmp_path_factory.mktemp("reports")
    return render_report(tiny_client, out_dir=out, progress=False)

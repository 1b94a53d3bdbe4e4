"""The report pipeline: run the phase notebooks, render client-ready HTML, write ``summary.json``.

``render_report`` writes ``reports/<client-slug>/<as_of>/`` with ``index.html`` (executive
summary), ``01_diagnose.html`` … ``04_scale.html``, the executed ``.ipynb`` files and
``summary.json``. The folder is built next to its target and renamed into place, so a reader
never sees half a report and an older run of the same ``as_of`` is replaced whole. A failed run
writes no HTML: the executed notebook (with the traceback) goes to
``reports/_failed/<client-slug>/`` and ``NotebookError`` names the notebook and the cell; the
next successful run of that client clears it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from ..errors import InputFormatError, NotebookError, OpsdiagError, UsageError
from .render import INDEX_PAGE, PHASES

log = logging.getLogger(__name__)

FAILED_DIR = "_failed"
SUMMARY_NAME = "summary.json"
HANDBACK = "handback"

__all__ = ["render_report", "PHASES", "FAILED_DIR", "SUMMARY_NAME"]


def check_phases(phases) -> list[str]:
    """The requested phases in report order; an unknown name is a ``UsageError``."""
    phases = list(PHASES) if phases is None else [str(p).strip().lower() for p in phases if str(p).strip()]
    unknown = [p for p in phases if p not in PHASES]
    if unknown or not phases:
        raise UsageError(f"--phases {','.join(unknown) or '(none)'}: expected some of {', '.join(PHASES)}")
    return [p for p in PHASES if p in phases]


def client_name(data_dir: Path, config_path: Path | None, override: str | None = None) -> str:
    """The name on the cover: ``override``, else the config's ``client``, else the folder's name."""
    from .. import config as config_mod

    if override:
        return override
    engagement = config_mod.load(config_path, data_dir=data_dir)
    return engagement.client if "client" in engagement.model_fields_set else data_dir.name


def failed_dir(out_dir: str | Path, slug: str) -> Path:
    return Path(out_dir) / FAILED_DIR / slug


def _keep_failure(out_dir: Path, slug: str, message: str, executed: Path | None = None) -> Path:
    """Move the failed notebook (if any) to ``_failed/<slug>/`` and write ``error.txt`` beside it."""
    folder = failed_dir(out_dir, slug)
    folder.mkdir(parents=True, exist_ok=True)
    if executed is not None and executed.is_file():
        shutil.move(str(executed), folder / executed.name)
    (folder / "error.txt").write_text(message + "\n", encoding="utf-8")
    return folder


def _publish(build: Path, target: Path) -> None:
    """Rename ``build`` to ``target``, replacing an older run (moved aside, then deleted)."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        target.rename(old)
    build.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def render_report(data_dir=None, config_path=None, as_of=None, out_dir="reports", phases=None,
                  pdf: bool = False, timeout: int = 600, progress: bool = True, *, client: str | None = None,
                  notebooks_dir: str | Path | None = None) -> Path:
    """Render one client's report and return its folder ``out_dir/<client-slug>/<as_of>/``.

    Parameters
    ----------
    data_dir : the client folder; default the bundled sample client.
    config_path : an engagement.yaml; default ``data_dir/engagement.yaml`` when present.
    as_of : a date (or ISO text); default the config's, else the latest timestamp in the data.
    out_dir : the reports folder.
    phases : phase names to render (default all four: diagnose, design, deploy, scale).
    pdf : also print every page to PDF (needs Chromium, see ``opsdiag.report.pdf``).
    timeout : seconds one notebook cell may run.
    progress : show a progress bar over the notebooks.
    client : the client's name (default: the config's ``client``, else the folder's name).
    notebooks_dir : where the phase notebooks live (default the bundled ones).

    Raises
    ------
    NotebookError : a notebook failed; nothing but ``out_dir/_failed/<slug>/`` was written.
    InputFormatError : no file of the folder was recognised as an export.
    UsageError, ConfigError : bad arguments or engagement.yaml.
    """
    from .. import cache
    from ..client import load_client
    from ..resources import default_data_dir, notebooks_dir as bundled_notebooks
    from . import summary as summary_mod
    from .execute import execute_all
    from .index import page_context, render_index
    from .render import logo_data_uri, render_notebook_file

    phases = check_phases(phases)
    if pdf:  # fail before running anything when Chromium is missing
        from .pdf import chromium_path

        chromium_path()
    data_dir = Path(data_dir).resolve() if data_dir else default_data_dir()
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir}: no such folder")
    config_path = Path(config_path).resolve() if config_path else None
    sources = Path(notebooks_dir).resolve() if notebooks_dir else bundled_notebooks()
    out_dir = Path(out_dir).resolve()

    name = client_name(data_dir, config_path, client)
    loaded = load_client(data_dir, config_path, as_of, client=name)
    slug, as_of_text = loaded.slug, loaded.as_of_date.isoformat()
    if not loaded.dataset.files:
        reasons = "; ".join(f"{Path(u.path).name}: {u.reason}" for u in loaded.dataset.unrecognized[:5])
        message = f"no file was recognised as an export ({reasons or 'the folder is empty'})"
        _keep_failure(out_dir, slug, f"{data_dir}: {message}")
        raise InputFormatError(data_dir, message)
    missing = [PHASES[p][0] for p in phases if not (sources / f"{PHASES[p][0]}.ipynb").is_file()]
    if missing:
        raise OpsdiagError(f"{sources}: notebook(s) {', '.join(missing)}.ipynb missing")
    base_dir = Path(loaded.engagement.source_path).parent if loaded.engagement.source_path else data_dir
    logo_uri = logo_data_uri(loaded.engagement.report.logo, base_dir)

    parameters = {"data_dir": str(data_dir), "config_path": str(config_path) if config_path else "",
                  "client": name, "as_of": as_of_text, "out_dir": ".", "seed": loaded.engagement.seed}
    target = out_dir / slug / as_of_text
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{as_of_text}.", suffix=".building", dir=target.parent))
    cache.wait()  # the notebooks' kernels load the client from the entries this load wrote
    try:
        jobs = [(sources / f"{PHASES[p][0]}.ipynb", build / f"{PHASES[p][0]}.ipynb") for p in phases]
        try:
            execute_all(jobs, parameters, cwd=build, timeout=timeout, progress=progress, label=slug)
        except NotebookError as exc:
            kept = _keep_failure(out_dir, slug, str(exc), getattr(exc, "executed_path", None))
            error = NotebookError(f"{exc} (executed notebook kept in {kept})")
            error.__dict__.update({k: v for k, v in exc.__dict__.items()})
            error.failed_dir = kept
            raise error from None

        page_files = {p: f"{PHASES[p][0]}.html" for p in phases}
        nav = [("Summary", INDEX_PAGE)] + [(f"{i}. {title}", page_files.get(p))
                                           for i, (p, (_, title)) in enumerate(PHASES.items(), start=1)]
        from ..diagnose import diagnose

        diagnosis = diagnose(loaded)  # once, shared by summary.json and the hand-back pack
        summary = summary_mod.build_summary(loaded, phases=phases, pages={p: page_files[p] for p in phases},
                                            parameters=parameters, diagnosis=diagnosis)
        if "scale" in phases:  # the hand-back pack the scale page links to
            from ..handback import write_handback

            written = write_handback(loaded, build / HANDBACK, diagnosis)
            summary["handback"] = [p.relative_to(build).as_posix() for p in written]
        ctx = page_context(summary, nav, logo_uri)
        for p in phases:
            render_notebook_file(build / f"{PHASES[p][0]}.ipynb", build / page_files[p], ctx, PHASES[p][1])
        (build / SUMMARY_NAME).write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n",
                                          encoding="utf-8")
        (build / INDEX_PAGE).write_text(render_index(summary, nav, logo_uri), encoding="utf-8")
        if pdf:
            from .pdf import print_pdfs

            print_pdfs([build / INDEX_PAGE] + [build / page_files[p] for p in phases])
        _publish(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        _remove_if_empty(target.parent)
        raise
    stale = failed_dir(out_dir, slug)
    if stale.is_dir():  # an earlier failure of this client is superseded by this report
        shutil.rmtree(stale, ignore_errors=True)
        _remove_if_empty(stale.parent)
    log.info("report written to %s", target)
    return target

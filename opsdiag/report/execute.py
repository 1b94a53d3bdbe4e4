"""Run the phase notebooks with papermill in this environment's kernel.

Each notebook runs in a fresh ``python3`` kernel (jupyter_client starts it with this
interpreter, so the kernel sees the same opsdiag), with its working directory set to the run's
build folder and a per-cell ``execution_timeout``. A kernel that fails to start (a port taken
between choosing and binding it, when several clients run at once) is retried once. A cell
that raises or times out becomes a ``NotebookError`` naming the notebook and the cell (index in
the source notebook and its first line); the executed notebook, with the traceback, stays on
disk for the consultant.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import NotebookError

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"
START_TIMEOUT = 60  # seconds a kernel may take to start


def _first_line(source) -> str:
    text = "".join(source) if isinstance(source, list) else str(source)
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def failing_cell(executed, source=None) -> tuple[int | None, str]:
    """The cell that failed in an executed notebook: (index in ``source``, first source line).

    The failed cell is the one papermill marked ``failed`` (or left ``running`` on a timeout),
    else the first with an error output. The index is counted in ``source`` (the notebook the
    author edits, matched by cell id), else in ``executed`` without papermill's own cells.
    """
    marker_tags = {"papermill-error-cell-tag", "injected-parameters"}
    cells = [c for c in executed.cells if not set(c.get("metadata", {}).get("tags", [])) & marker_tags]
    failed = None
    for status in ("failed", "running"):
        failed = next((c for c in cells if c.get("metadata", {}).get("papermill", {}).get("status") == status),
                      None)
        if failed is not None:
            break
    if failed is None:
        failed = next((c for c in cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                      None)
    if failed is None:
        return None, ""
    index = cells.index(failed)
    if source is not None and failed.get("id"):
        ids = [c.get("id") for c in source.cells]
        if failed["id"] in ids:
            index = ids.index(failed["id"])
    return index, _first_line(failed.get("source", ""))


def _error(source_path: Path, output_path: Path, what: str) -> NotebookError:
    import nbformat

    index, line = None, ""
    if output_path.is_file():
        try:
            executed = nbformat.read(str(output_path), as_version=4)
            source = nbformat.read(str(source_path), as_version=4)
            index, line = failing_cell(executed, source)
        except Exception as exc:  # an unreadable output must not hide the original failure
            log.debug("could not read %s: %s", output_path, exc)
    where = f"cell {index} ({line!r})" if index is not None else "a cell"
    error = NotebookError(f"{source_path.name}: {where} failed: {what}")
    error.notebook = source_path.name
    error.cell_index = index
    error.cell_source = line
    error.executed_path = output_path if output_path.is_file() else None
    return error


def _never_ran(output_path: Path) -> bool:
    """True when no cell of the executed notebook started (the kernel never came up)."""
    import nbformat

    if not output_path.is_file():
        return True
    try:
        nb = nbformat.read(str(output_path), as_version=4)
    except Exception:
        return True
    return not any(c.get("execution_count") or c.get("outputs") for c in nb.cells if c.cell_type == "code")


def execute_notebook(source: str | Path, output: str | Path, parameters: dict, *, cwd: str | Path,
                     timeout: int = 600, kernel_name: str = KERNEL_NAME, start_retries: int = 1) -> Path:
    """Execute ``source`` into ``output`` with papermill, injecting ``parameters``.

    Parameters
    ----------
    source, output : the notebook to run and where the executed copy is written.
    parameters : plain JSON values injected after the cell tagged ``parameters``.
    cwd : the kernel's working directory.
    timeout : seconds one cell may run (``execution_timeout``).
    start_retries : how many times a kernel that failed to start is started again.

    Raises
    ------
    NotebookError : a cell raised, timed out or killed the kernel, or the kernel never started;
        ``.notebook``, ``.cell_index``, ``.cell_source`` and ``.executed_path`` say where.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(source).resolve(), Path(output).resolve()
    for attempt in range(start_retries + 1):
        try:
            pm.execute_notebook(str(source), str(output), parameters=parameters, kernel_name=kernel_name,
                                cwd=str(cwd), execution_timeout=timeout, start_timeout=START_TIMEOUT,
                                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                                # the kernel's own log lines (TCP warning, shutdown noise) are not for the consultant
                                extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
            return output
        except PapermillExecutionError as exc:
            raise _error(source, output, f"{exc.ename}: {exc.evalue}") from None
        except CellTimeoutError:
            raise _error(source, output, f"timed out after {timeout} s") from None
        except DeadKernelError as exc:
            raise _error(source, output, f"the kernel died ({exc})") from None
        except Exception as exc:  # the kernel did not start: retry once, then give up clearly
            if attempt < start_retries and _never_ran(output):
                log.warning("%s: kernel failed to start (%s); retrying", source.name, exc)
                continue
            if _never_ran(output):
                raise _error(source, output, f"the {kernel_name!r} kernel failed to start "
                                             f"({type(exc).__name__}: {exc})") from None
            raise _error(source, output, f"{type(exc).__name__}: {exc}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def execute_all(jobs: list[tuple[Path, Path]], parameters: dict, *, cwd: str | Path, timeout: int = 600,
                progress: bool = True, label: str = "") -> list[Path]:
    """Execute ``(source, output)`` pairs in order with a progress bar; stop at the first failure."""
    from tqdm.auto import tqdm

    done = []
    with tqdm(jobs, desc=label or "notebooks", unit="notebook", disable=not progress, leave=False) as bar:
        for source, output in bar:
            bar.set_postfix_str(Path(source).stem)
            log.info("executing %s", Path(source).name)
            done.append(execute_notebook(source, output, parameters, cwd=cwd, timeout=timeout))
    return done

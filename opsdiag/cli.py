"""The ``opsdiag`` command (DESIGN §8). Thin: parse options, call the package, print results.

Exit codes: 0 ok (warnings allowed), 1 a recognised input or a client failed (the rest still
done), 2 usage error. Errors are one line, never a traceback.
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import sys
import threading
from pathlib import Path

import click

from . import __version__
from .errors import ConfigError, InputFormatError, OpsdiagError, UsageError

log = logging.getLogger("opsdiag")


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def _echo_json(payload) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def _data_dir_arg(required: bool = False):
    return click.argument("data_dir", required=required, type=click.Path(path_type=Path))


_config_opt = click.option("--config", "config", type=click.Path(path_type=Path),
                           help="engagement.yaml to use (default: DATA_DIR/engagement.yaml).")
_as_of_opt = click.option("--as-of", "as_of", help="Take state at the end of this day (YYYY-MM-DD).")


def _load(data_dir, config, as_of, require_data: bool = True):
    """Load a client; a folder with nothing opsdiag can read is an error unless ``require_data`` is off.

    An empty folder is a usage error (exit 2); files that are all unrecognised or unreadable are
    a data error (exit 1) naming the first few with their reasons.
    """
    from .client import load_client

    if data_dir is not None and not Path(data_dir).exists():
        raise UsageError(f"{data_dir}: no such folder")
    client = load_client(data_dir, config, as_of)
    if require_data and not client.dataset.files:
        if not client.dataset.unrecognized:
            raise UsageError(f"{client.data_dir}: the folder holds no export files")
        reasons = "; ".join(f"{u.path}: {u.reason}" for u in client.dataset.unrecognized[:3])
        raise InputFormatError(client.data_dir, f"no file was recognised as an export ({reasons})")
    return client


def _warn_problems(dataset) -> int:
    """Print unreadable/unrecognised files to stderr; return 1 when a recognised file failed."""
    for u in dataset.unrecognized:
        click.echo(f"{'error' if u.error else 'warning'}: {u.path}: {u.reason}", err=True)
    return 1 if dataset.errors else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opsdiag")
@click.option("-v", "--verbose", is_flag=True, help="Log what opsdiag does.")
def cli(verbose: bool) -> None:
    """Diagnose why a product team ships slowly, price it, pick one ritual, measure the pilot."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")


@cli.command()
@_data_dir_arg(required=True)
@_config_opt
@_as_of_opt
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable shape).")
def inspect(data_dir, config, as_of, as_json):
    """What was found in DATA_DIR: files, rows, date spans, quality findings."""
    from .inspect import inspect_payload, render_inspect

    client = _load(data_dir, config, as_of, require_data=False)
    payload = inspect_payload(client)
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str) if as_json
               else render_inspect(payload))
    for u in client.dataset.errors:
        click.echo(f"error: {u.path}: {u.reason}", err=True)
    if not client.dataset.files:
        click.echo(f"error: {client.data_dir}: no file was recognised as an export", err=True)
    raise _Exit(1 if client.dataset.errors or not client.dataset.files else 0)


@cli.command()
@_data_dir_arg()
@_config_opt
@_as_of_opt
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable shape).")
def diagnose(data_dir, config, as_of, as_json):
    """Rank the six levers by annual cost, without notebooks."""
    from .diagnose import diagnose as run_diagnose, render_text

    client = _load(data_dir, config, as_of)
    code = _warn_problems(client.dataset)
    result = run_diagnose(client)
    if as_json:
        _echo_json(result.as_dict())
    else:
        click.echo(render_text(result))
    raise _Exit(code)


@cli.command()
@_data_dir_arg(required=True)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@_config_opt
@_as_of_opt
def export(data_dir, out, config, as_of):
    """Write the canonical tables as CSV, plus flow.csv with one row per item."""
    from .export import export_client

    client = _load(data_dir, config, as_of)
    code = _warn_problems(client.dataset)
    written = export_client(client, out)
    click.echo(f"wrote {len(written)} files to {out}")
    raise _Exit(code)


@cli.command()
@_data_dir_arg(required=True)
@_config_opt
def init(data_dir, config):
    """Write DATA_DIR/engagement.yaml with the inferred workflow mapping, plus empty templates."""
    from .init import init_folder

    for line in init_folder(data_dir, config):
        click.echo(line)


@cli.command()
@click.argument("name")
@click.option("--out", "out", default=None, type=click.Path(path_type=Path),
              help="Folder to write the client into (required unless NAME is list).")
@click.option("--seed", default=None, type=int, help="Random seed (default: the sample's own).")
def sample(name, out, seed):
    """Write a synthetic client NAME in real export formats (see `opsdiag sample list`)."""
    from . import samples

    if name == "list":
        for sample_name, doc in samples.describe().items():
            click.echo(f"{sample_name}: {doc}")
        return
    if out is None:
        raise UsageError("--out DIR is required: the folder to write the sample client into")
    folder = samples.write_sample(name, out, seed=seed)
    click.echo(f"wrote sample client {name!r} to {folder}")


@cli.command()
@_data_dir_arg()
@_config_opt
@_as_of_opt
@click.option("--out", "out", default=Path("reports"), type=click.Path(path_type=Path), show_default=True)
@click.option("--phases", default="diagnose,design,deploy,scale", show_default=True,
              help="Comma-separated phases to render.")
@click.option("--pdf", is_flag=True, help="Also print each page to PDF (needs Chromium).")
@click.option("--timeout", default=600, show_default=True, help="Seconds a notebook cell may run.")
def report(data_dir, config, as_of, out, phases, pdf, timeout):
    """Render the client-ready HTML report for DATA_DIR (default: the bundled sample)."""
    from .report import render_report

    folder = render_report(data_dir, config_path=config, as_of=as_of, out_dir=out,
                           phases=[p.strip() for p in phases.split(",") if p.strip()],
                           pdf=pdf, timeout=timeout, progress=True)
    click.echo(f"report written to {folder / 'index.html'}")


@cli.command()
@click.argument("clients", type=click.Path(path_type=Path))
@click.option("--jobs", default=1, show_default=True, help="Clients rendered at once (one process each).")
@click.option("--out", "out", default=Path("reports"), type=click.Path(path_type=Path), show_default=True)
@click.option("--timeout", default=600, show_default=True, help="Seconds a notebook cell may run.")
def batch(clients, jobs, out, timeout):
    """Render reports for every client folder in CLIENTS (a folder, or a clients.yaml)."""
    from .report.batch import run_batch

    result = run_batch(clients, jobs=jobs, out_dir=out, timeout=timeout, progress=True)
    failed = [c for c in result["clients"] if c["status"] != "ok"]
    for c in failed:
        click.echo(f"error: client {c['client']} failed: {c.get('error', '')}", err=True)
    click.echo(f"{len(result['clients']) - len(failed)} of {len(result['clients'])} clients rendered; "
               f"index at {Path(out) / 'index.html'}")
    raise _Exit(1 if failed else 0)


@cli.command()
@_data_dir_arg()
@_config_opt
@_as_of_opt
@click.option("--json", "as_json", is_flag=True)
def pilot(data_dir, config, as_of, as_json):
    """Evaluate the pilot configured in engagement.yaml (before/after, with uncertainty)."""
    from .deploy import evaluate_pilot, render_text

    client = _load(data_dir, config, as_of)
    result = evaluate_pilot(client)
    if as_json:
        _echo_json(result.as_dict())
    else:
        click.echo(render_text(result))


@cli.command()
@_data_dir_arg()
@_config_opt
@_as_of_opt
@click.option("--items", type=int, default=None, help="When will this many items be done?")
@click.option("--by", "by", default=None, help="How many items by this date (YYYY-MM-DD)?")
@click.option("--seed", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
def forecast(data_dir, config, as_of, items, by, seed, as_json):
    """Monte Carlo forecast from throughput history, with a backtest."""
    if (items is None) == (by is None):
        raise UsageError("give exactly one of --items N or --by DATE")
    from .scale import forecast as run_forecast, render_forecast

    client = _load(data_dir, config, as_of)
    result = run_forecast(client, items=items, by=by, seed=seed)
    if as_json:
        _echo_json(result)
    else:
        click.echo(render_forecast(result))


@cli.command()
@_data_dir_arg()
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@_config_opt
@_as_of_opt
def handback(data_dir, out, config, as_of):
    """Write the ritual, dashboard definitions and config as wiki-ready files."""
    from .handback import write_handback

    client = _load(data_dir, config, as_of)
    written = write_handback(client, out)
    click.echo(f"wrote {len(written)} files to {out}")


@cli.command(name="jira-export")
@click.option("--site", required=True, help="https://your-site.atlassian.net")
@click.option("--jql", required=True, help="The JQL query selecting the issues.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option("--token-env", default="JIRA_API_TOKEN", show_default=True,
              help="Environment variable holding the API token.")
@click.option("--user-env", default="JIRA_USER", show_default=True,
              help="Environment variable holding the account e-mail (Cloud basic auth).")
def jira_export(site, jql, out, token_env, user_env):
    """Page through Jira's search API with changelog into DATA_DIR-ready JSON files."""
    from .ingest.jira_api import export_issues

    # one line per page on stderr (a large Jira takes minutes); stdout keeps the summary
    written = export_issues(site, jql, out, token_env=token_env, user_env=user_env,
                            progress=lambda line: click.echo(line, err=True))
    click.echo(f"wrote {len(written)} pages to {out}")


def main(argv=None) -> None:
    """Entry point: run the click group, turning opsdiag errors into one-line messages."""
    try:
        cli.main(args=argv, prog_name="opsdiag", standalone_mode=False)
    except _Exit as done:
        sys.exit(done.code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except (UsageError, ConfigError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (InputFormatError, OpsdiagError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # an opsdiag bug: one line for the user, the traceback with -v
        log.debug("internal error", exc_info=True)
        click.echo(f"error: internal error ({type(exc).__name__}: {exc}); rerun with -v and report it", err=True)
        sys.exit(1)
    sys.exit(0)


def run() -> None:
    """Console-script entry point: ``main``, then a quick exit when nothing is left running.

    A large client holds a gigabyte of frames. Tearing the interpreter down frees them object
    by object, which took ~0.1 s of a 2 s ``diagnose``, for memory the OS takes back at once;
    mypy's ``hard_exit`` skips it the same way. The exit is only cut short when nothing else is
    running: with any other thread or child process left, Python exits as usual. Exit handlers
    still run and output is flushed first.

    The cache entries a command makes are held while it runs and handed, as it ends, to a
    detached process that writes them (``cache.hold``, ``cache.write_held``): the answer is not
    kept waiting for a hundred megabytes of pickles. A report has them written before its
    notebooks start, as they load the client from them.

    Young-object collections are also made rarer for the command's lifetime (mypy does the
    same): a million-row pipeline allocates containers faster than the cycle collector
    finds any cycles among them.
    """
    from . import cache

    gc.set_threshold(50_000, 20, 20)
    _arrow_system_allocator()
    cache.hold()
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if not _quiet():
        sys.exit(code)  # Python writes the held entries as it exits
    if isinstance(code, str):  # as ``sys.exit("message")`` would: printed, exit status 1
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    cache.write_held()
    getattr(atexit, "_run_exitfuncs", lambda: None)()  # what Python runs at exit (logging's flush)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _arrow_system_allocator() -> None:
    """Have pyarrow allocate with the C library's ``malloc`` (unless ``ARROW_DEFAULT_MEMORY_POOL``
    says otherwise), as numpy and pandas do.

    With Arrow's own allocator (mimalloc), memory Arrow frees (the text it parsed, a column
    replaced) is not reused by numpy, so every array the derivation builds is fresh memory, and
    first touching memory is what varies most between runs here: a first ``diagnose`` of a
    million status changes took 1.33–1.70 s over seven runs with it, 1.23–1.31 s with the
    shared allocator. Set before pyarrow is imported; the notebooks of a report inherit it.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _quiet() -> bool:
    """True once the entries being written are written and no other thread or child process is running."""
    cache = sys.modules.get("opsdiag.cache")  # not imported: nothing was cached
    if cache is not None:
        cache.written()
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        return False
    main_thread = threading.main_thread()
    return not any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate())


if __name__ == "__main__":  # pragma: no cover
    run()

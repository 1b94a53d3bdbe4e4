"""Time opsdiag on a large generated client, whole process against whole process.

Every step runs in a child process; its wall time and peak RSS come from ``os.wait4`` (the
child's own ``rusage``, so the numbers never mix between steps). Each step is shown next to
the bare ``pandas.read_csv(transitions, parse_dates=["at"])`` of the same file, as a ratio
(DESIGN §10: the yardstick is whole process vs whole process, in the same run).

Steps (those whose input is missing are skipped):

- ``bare_read``: ``python -c "import pandas; pandas.read_csv(transitions, parse_dates=['at'])"``;
- ``inspect:<format>``: ``opsdiag inspect DIR --json`` per format folder (templates, jira_csv,
  jira_json): reading, merging, workflow and quality checks;
- ``flow_intervals``: in a child, the dataset is read, then ``status_mapping``,
  ``status_segments`` and ``flow_intervals`` are timed in-process (reported separately);
- ``diagnose``: ``opsdiag diagnose templates --json``;
- every step above runs with an empty dataset cache of its own (a first read); ``diagnose
  (warm cache)`` and ``inspect:jira_json (warm)`` run the command once to fill one, then time
  the second read of the unchanged folder (``opsdiag/cache.py``);
- ``opsdiag`` hands a first read's cache entries to a process it detaches as it exits (the
  answer does not wait for them): the script waits for that process before the next step, so
  steps never overlap, and notes how long it wrote after the command was done;
- the opsdiag the children import is byte-compiled first (``compileall``), as ``pip install``
  leaves it: with ``PYTHONDONTWRITEBYTECODE`` set (as on the development machine) or a
  read-only checkout, every child would otherwise compile the package from source, ~0.2 s of
  each command that no installed copy pays (pandas' own bytecode is installed with it);
- with ``--report``: ``opsdiag report`` on the bundled sample, ``opsdiag batch`` of the four
  sample clients with ``--jobs 1`` and ``--jobs 2``, and ``opsdiag report`` on the large client
  (first run, and a second one with the cache the first filled).

Usage::

    python benchmarks/generate.py --items 100000 && python benchmarks/run.py [--repeat 3] [--report]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent / "_data"
SAMPLES = ("acme-robotics", "beacon-health", "cobalt-pay", "delta-logistics")

FLOW_SCRIPT = r"""
import json, sys, time
from pathlib import Path
from opsdiag import config as config_mod, workflow
from opsdiag.client import end_of_day, resolve_as_of
from opsdiag.ingest import read_folder
folder = Path(sys.argv[1])
engagement = config_mod.load(None, data_dir=folder)
dataset = read_folder(folder, engagement.timezone)
as_of = end_of_day(resolve_as_of(dataset, engagement, None), engagement.timezone)
times = {}
clock = time.perf_counter()
mapping = workflow.status_mapping(dataset, engagement.workflow)
times["status_mapping"] = time.perf_counter() - clock
clock = time.perf_counter()
segments = workflow.status_segments(dataset.transitions, mapping, as_of, items=dataset.work_items)
times["status_segments"] = time.perf_counter() - clock
clock = time.perf_counter()
workflow.flow_intervals(dataset.work_items, dataset.transitions, mapping, as_of, engagement.workflow,
                        segments=segments)
times["flow_intervals"] = time.perf_counter() - clock
print(json.dumps(times))
"""


@dataclass
class Result:
    step: str
    wall: float
    cpu: float
    peak_mb: float
    code: int
    note: str = ""


def opsdiag_command() -> list[str]:
    """``python -m opsdiag.cli``: what the ``opsdiag`` script runs, for whichever opsdiag is on
    the path (an older checkout given by ``PYTHONPATH`` too, whose entry point may differ)."""
    return [sys.executable, "-m", "opsdiag.cli"]


def compile_package() -> None:
    """Byte-compile the opsdiag the children import (see the module docstring)."""
    code = "import compileall, os, opsdiag; compileall.compile_dir(os.path.dirname(opsdiag.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", code], cwd=_empty_dir(), check=True)


def run(step: str, argv: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[Result, str]:
    """Run ``argv`` as a child; wall time, user+system CPU and peak RSS of that child alone.

    Children run in an empty folder by default: ``python -c`` puts the current folder first on
    ``sys.path``, which would shadow a ``PYTHONPATH`` given to compare two versions of opsdiag.
    """
    if env is None:  # cold: an empty dataset cache of its own (opsdiag/cache.py)
        with tempfile.TemporaryDirectory(prefix="opsdiag_bench_cache_") as cache:
            return run(step, argv, cwd, {**os.environ, "OPSDIAG_CACHE_DIR": cache})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        clock = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd or _empty_dir(), env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - clock
        child.returncode = os.waitstatus_to_exitcode(status)
        after = _reap()  # the cache writer opsdiag leaves behind, before anything else runs
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    note = "" if child.returncode == 0 else stderr.strip().splitlines()[-1][:120] if stderr.strip() else ""
    if child.returncode == 0 and after >= 0.01:
        note = f"cache written {after:.2f} s after exit"
    return Result(step, wall, usage.ru_utime + usage.ru_stime, peak_mb, child.returncode, note), stdout


def adopt_orphans() -> None:
    """Become the parent of the processes our children leave behind (Linux ``prctl``).

    ``opsdiag`` hands the cache entries of a first read to a detached process as it exits
    (``opsdiag.cache.write_held``). Adopting it lets ``run`` wait for it: the next step does not
    run beside it, and its time is shown (``cache written … after exit``).
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # elsewhere: such a process runs on beside the next step
        pass


def _reap() -> float:
    """Wait for every process left running by the last step; the seconds waited."""
    clock = time.perf_counter()
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return time.perf_counter() - clock


def _empty_dir() -> str:
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = tempfile.mkdtemp(prefix="opsdiag_bench_cwd_")
    return _EMPTY


_EMPTY: str | None = None


def best_of(repeat: int, step: str, argv: list[str], **kwargs) -> tuple[Result, str]:
    """The fastest of ``repeat`` runs (the machine is shared; the minimum is the least noisy)."""
    results = [run(step, argv, **kwargs) for _ in range(max(1, repeat))]
    return min(results, key=lambda r: r[0].wall)


def warm(repeat: int, step: str, argv: list[str]) -> Result:
    """``argv`` run once to fill a dataset cache, then timed with it (the folder's second read)."""
    with tempfile.TemporaryDirectory(prefix="opsdiag_bench_cache_") as cache:
        env = {**os.environ, "OPSDIAG_CACHE_DIR": cache}
        filled, _ = run(step + " (fill)", argv, env=env)
        if filled.code != 0:
            return filled
        result, _ = best_of(repeat, step, argv, env=env)
        return result


def table(results: list[Result], bare: Result | None) -> str:
    lines = [f"{'step':<26} {'wall s':>8} {'cpu s':>8} {'peak MB':>9} {'× bare':>8}  note",
             "-" * 78]
    for r in results:
        ratio = f"{r.wall / bare.wall:8.1f}" if bare and bare.wall > 0 else f"{'':>8}"
        note = r.note if r.code == 0 else f"exit {r.code}: {r.note}"
        lines.append(f"{r.step:<26} {r.wall:8.2f} {r.cpu:8.2f} {r.peak_mb:9.0f} {ratio}  {note}")
    return "\n".join(lines)


def report_steps(repeat: int, cmd: list[str], work: Path) -> list[Result]:
    """``opsdiag report`` on the bundled sample; ``opsdiag batch`` of the four samples, 1 vs 2 jobs."""
    results = []
    probe, _ = run("report --help", cmd + ["report", "--help"])
    if probe.code != 0:
        return [Result("report", 0, 0, 0, probe.code, "opsdiag report is not available")]
    result, _ = best_of(repeat, "report (sample)", cmd + ["report", "--out", str(work / "report")])
    results.append(result)
    clients = work / "clients"
    if not clients.exists():
        for name in SAMPLES:
            made, _ = run(f"sample {name}", cmd + ["sample", name, "--out", str(clients / name)])
            if made.code != 0:
                return results + [Result("batch", 0, 0, 0, made.code, f"opsdiag sample {name} failed")]
    for jobs in (1, 2):
        out = work / f"batch_{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        result, _ = best_of(repeat, f"batch --jobs {jobs} (4 clients)",
                            cmd + ["batch", str(clients), "--jobs", str(jobs), "--out", str(out)])
        results.append(result)
    one, two = results[-2], results[-1]
    if one.code == 0 and two.code == 0 and two.wall > 0:
        two.note = f"speed-up {one.wall / two.wall:.2f}x over --jobs 1"
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder written by generate.py")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest is shown")
    parser.add_argument("--report", action="store_true", help="also time the sample report and batch")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args(argv)

    data = args.data.resolve()
    transitions = data / "templates" / "transitions.csv"
    manifest = json.loads((data / "manifest.json").read_text()) if (data / "manifest.json").exists() else {}
    cmd = opsdiag_command()
    adopt_orphans()
    compile_package()
    results: list[Result] = []
    bare = None
    if transitions.exists():
        code = f"import pandas; pandas.read_csv({str(transitions)!r}, parse_dates=['at'])"
        bare, _ = best_of(args.repeat, "bare_read (pandas)", [sys.executable, "-c", code])
        results.append(bare)
    else:
        print(f"no {transitions}: run benchmarks/generate.py first", file=sys.stderr)
    for fmt in ("templates", "jira_csv", "jira_json"):
        folder = data / fmt
        if folder.is_dir():
            result, _ = best_of(args.repeat, f"inspect:{fmt}", cmd + ["inspect", str(folder), "--json"])
            results.append(result)
    if (data / "templates").is_dir():
        result, stdout = best_of(args.repeat, "flow (child, total)",
                                 [sys.executable, "-c", FLOW_SCRIPT, str(data / "templates")])
        if result.code == 0:
            parts = json.loads(stdout.strip().splitlines()[-1])
            result.note = ", ".join(f"{k} {v:.2f}s" for k, v in parts.items())
        results.append(result)
        result, _ = best_of(args.repeat, "diagnose", cmd + ["diagnose", str(data / "templates"), "--json"])
        results.append(result)
        results.append(warm(args.repeat, "diagnose (warm cache)", cmd + ["diagnose", str(data / "templates"), "--json"]))
    if (data / "jira_json").is_dir():
        results.append(warm(args.repeat, "inspect:jira_json (warm)", cmd + ["inspect", str(data / "jira_json"), "--json"]))
    if args.report:
        with tempfile.TemporaryDirectory(prefix="opsdiag_bench_") as work:
            results += report_steps(args.repeat, cmd, Path(work))
            if (data / "templates").is_dir():  # the large client's full report, first and second run
                big = cmd + ["report", str(data / "templates"), "--out", str(Path(work) / "big")]
                result, _ = run("report (large client)", big)
                results.append(result)
                results.append(warm(1, "report (large, warm)", big))

    sizes = (f"{manifest.get('items', '?')} items, {manifest.get('transitions', '?')} transitions"
             if manifest else "sizes unknown")
    print(f"opsdiag benchmark — {data} ({sizes}); {os.cpu_count()} CPUs; best of {args.repeat}")
    print(table(results, bare))
    if args.json:
        args.json.write_text(json.dumps({"data": str(data), "manifest": manifest,
                                         "results": [r.__dict__ for r in results]}, indent=2))
    return 0 if all(r.code == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

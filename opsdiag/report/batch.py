"""``opsdiag batch``: render many clients' reports, one process per client, and index them.

``CLIENTS`` is a folder whose sub-folders are client folders, or a ``clients.yaml`` listing
``{name?, data_dir, config?, as_of?}`` entries (paths relative to the YAML file). Each client
runs in its own Python process (``python -m opsdiag.report.batch``), ``jobs`` at a time, so a
client that crashes, hangs in a kernel or runs out of memory never takes the others down. The
batch writes ``out_dir/index.html`` and ``out_dir/summary.json`` listing every client with its
status and headline numbers; a failed client leaves nothing under ``out_dir`` but
``_failed/<slug>/``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from .. import __version__
from ..errors import ConfigError, UsageError

log = logging.getLogger(__name__)

CLIENTS_FILE_SUFFIXES = (".yaml", ".yml")


@dataclass
class ClientSpec:
    """One client of a batch: its folder, optional config, name and as_of."""

    data_dir: str
    name: str | None = None
    config: str | None = None
    as_of: str | None = None

    @property
    def label(self) -> str:
        return self.name or Path(self.data_dir).name


def read_clients(clients: str | Path) -> list[ClientSpec]:
    """The clients of a batch, from a folder of client folders or a ``clients.yaml``.

    A folder lists its visible sub-folders (sorted; ``_``-prefixed ones such as ``_failed`` are
    skipped). A YAML file holds a list of entries, or ``{clients: [...]}``; ``data_dir`` is
    required, relative paths are taken from the YAML file's folder.

    Raises
    ------
    UsageError : ``clients`` does not exist or lists no client.
    ConfigError : the YAML is unreadable or an entry lacks ``data_dir`` / has an unknown key.
    """
    clients = Path(clients)
    if clients.is_dir():
        found = [ClientSpec(data_dir=str(p.resolve())) for p in sorted(clients.iterdir())
                 if p.is_dir() and not p.name.startswith((".", "_"))]
    elif clients.is_file() and clients.suffix.lower() in CLIENTS_FILE_SUFFIXES:
        found = _read_clients_yaml(clients)
    else:
        raise UsageError(f"{clients}: expected a folder of client folders or a clients.yaml")
    if not found:
        raise UsageError(f"{clients}: no client folders found")
    return found


def _read_clients_yaml(path: Path) -> list[ClientSpec]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid YAML ({exc})") from None
    entries = raw.get("clients") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise ConfigError(f"{path.name}: expected a list of clients ({{name, data_dir, config, as_of}})")
    found = []
    for i, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            entry = {"data_dir": entry}
        if not isinstance(entry, dict) or not entry.get("data_dir"):
            raise ConfigError(f"{path.name}: client {i}: data_dir is required")
        unknown = sorted(set(entry) - {"name", "data_dir", "config", "as_of"})
        if unknown:
            raise ConfigError(f"{path.name}: client {i}: unknown key {unknown[0]!r} "
                              "(expected name, data_dir, config, as_of)")

        def resolve(value):
            return str((path.parent / str(value)).resolve()) if value else None

        found.append(ClientSpec(data_dir=resolve(entry["data_dir"]), name=entry.get("name"),
                                config=resolve(entry.get("config")),
                                as_of=str(entry["as_of"]) if entry.get("as_of") else None))
    return found


def render_one(spec: ClientSpec, out_dir: str | Path, timeout: int = 600) -> dict:
    """Render one client's report in this process; never raises (failures become a status)."""
    from . import SUMMARY_NAME, render_report
    from .summary import headline

    out_dir = Path(out_dir).resolve()
    entry = {"client": spec.label, "data_dir": spec.data_dir, "status": "failed", "error": None,
             "report": None, "as_of": spec.as_of}
    try:
        folder = render_report(spec.data_dir, config_path=spec.config, as_of=spec.as_of, out_dir=out_dir,
                               timeout=timeout, progress=False, client=spec.name)
        summary = json.loads((folder / SUMMARY_NAME).read_text(encoding="utf-8"))
        entry.update(status="ok", client=summary.get("client", spec.label), as_of=summary.get("as_of"),
                     report=(folder / "index.html").relative_to(out_dir).as_posix(), **headline(summary))
    except Exception as exc:  # one client's failure is reported, never raised into the batch
        log.debug("client %s failed", spec.label, exc_info=True)
        entry["error"] = str(exc) or type(exc).__name__
    return entry


def _run_in_process(spec: ClientSpec, out_dir: Path, timeout: int) -> dict:
    """Run ``render_one`` in a child Python process and read back its result."""
    with tempfile.TemporaryDirectory(prefix="opsdiag-batch-") as scratch:
        request, result = Path(scratch) / "client.json", Path(scratch) / "result.json"
        request.write_text(json.dumps({"spec": asdict(spec), "out_dir": str(out_dir), "timeout": timeout}),
                           encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "opsdiag.report.batch", str(request), str(result)],
                              capture_output=True, text=True, env=os.environ.copy())
        if result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"client": spec.label, "data_dir": spec.data_dir, "status": "failed", "report": None,
                "as_of": spec.as_of, "error": f"the client's process died: {tail[0]}"}


def _duplicates(specs: list[ClientSpec]) -> dict[int, str]:
    """Clients whose report folder would collide with an earlier one's (same slug)."""
    from ..config import slugify
    from . import client_name

    seen, clashes = {}, {}
    for i, spec in enumerate(specs):
        try:
            slug = slugify(client_name(Path(spec.data_dir), Path(spec.config) if spec.config else None, spec.name))
        except Exception:  # a broken config fails in the client's own process, with its message
            continue
        if slug in seen:
            clashes[i] = f"same report folder {slug!r} as client {seen[slug]!r}; give it a distinct name"
        else:
            seen[slug] = spec.label
    return clashes


def run_batch(clients, jobs: int = 1, out_dir="reports", timeout: int = 600, progress: bool = True) -> dict:
    """Render every client's report, ``jobs`` processes at a time, and write the batch index.

    Returns
    -------
    dict : ``{"opsdiag_version", "clients": [{"client", "status": "ok" | "failed", "error",
    "report" (index.html relative to out_dir), "data_dir", "as_of", "items", "completed",
    "median_cycle_time_days", "top_lever", "top_cost_per_year", "ritual", "pilot_verdict"}]}``
    in the order the clients were listed; also written to ``out_dir/summary.json``.
    """
    from tqdm.auto import tqdm

    from ..export import atomic_write_text
    from .index import render_batch_index

    if int(jobs) < 1:
        raise UsageError(f"--jobs {jobs}: expected 1 or more")
    specs = read_clients(clients)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    clashes = _duplicates(specs)
    results: dict[int, dict] = {i: {"client": specs[i].label, "data_dir": specs[i].data_dir, "status": "failed",
                                    "report": None, "as_of": specs[i].as_of, "error": message}
                                for i, message in clashes.items()}
    todo = [i for i in range(len(specs)) if i not in clashes]
    with ThreadPoolExecutor(max_workers=int(jobs)) as pool, \
            tqdm(total=len(specs), initial=len(clashes), desc="clients", unit="client", disable=not progress) as bar:
        futures = {pool.submit(_run_in_process, specs[i], out_dir, timeout): i for i in todo}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            bar.set_postfix_str(f"{results[i]['client']}: {results[i]['status']}")
            bar.update()
    ordered = [results[i] for i in range(len(specs))]
    for entry in ordered:
        if entry["status"] != "ok":
            log.warning("client %s failed: %s", entry["client"], entry["error"])
    result = {"opsdiag_version": __version__, "clients": ordered}
    atomic_write_text(out_dir / "summary.json", json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    atomic_write_text(out_dir / "index.html", render_batch_index(result))
    return result


def _main(argv: list[str]) -> int:
    """Child-process entry: ``python -m opsdiag.report.batch REQUEST.json RESULT.json``."""
    request, result = Path(argv[0]), Path(argv[1])
    payload = json.loads(request.read_text(encoding="utf-8"))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    entry = render_one(ClientSpec(**payload["spec"]), payload["out_dir"], payload["timeout"])
    result.write_text(json.dumps(entry, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through run_batch's child processes
    sys.exit(_main(sys.argv[1:]))

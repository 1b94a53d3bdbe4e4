"""Deterministic synthetic clients in real export formats (``opsdiag sample NAME --out DIR``).

Four startups, each with ONE planted bottleneck while the other levers stay healthy. Costs are
base figures per year by the DESIGN §7 model with the config defaults, recomputed from the
generated canonical tables by ``ground_truth(name)`` (formulas written out in
``opsdiag.samples_truth``; the year is the 365 days before as_of 2026-06-30, and every history
starts 2025-06-01 so the year is fully covered). For the default seeds:

* ``acme-robotics`` (the default client; Jira REST JSON + Zendesk) — **handoffs**: work waits in
  "In Review" (about 3.5 days) and "Ready for QA" (about 5 days) and about one finished item in
  nine bounced back from QA to In Progress. Expected ≈ 235,000 EUR/year = queue delay ≈ 209,300 (Σ over stories,
  tasks and bugs finished in the year of max(0, queue days − 1.0 × handoffs)/7 × 600) + rework
  ≈ 25,800 (bounce-backs × median days of the QA stay bounced from × 8 h × 110). Pilot
  ``handoff_contract`` in team Core from 2026-04-06 WORKED: Core items started in the pilot's
  three sprints have a median cycle time about 43 % shorter than the three sprints before.
* ``beacon-health`` (Jira Cloud v3 JSON + Intercom) — **delivery**: releases ship about two weeks
  late (four in five are late) and one release per team is still overdue at as_of; a fifth of
  the work carries over sprints and over 40 % of sprint scope is added after the sprint
  started; product people chase status 6–9 h/week. Expected ≈ 627,000 USD/year = release slip
  ≈ 535,100 (Σ releases slip weeks × items in the release × 600) + status-chasing survey waste
  ≈ 91,800. Pilot ``release_checklist`` in team Platform did NOT work (no change).
* ``cobalt-pay`` (Jira JSON + Productboard + Canny + Intercom) — **feedback**: 45 % of feedback is
  never triaged, a quarter is triaged after 10–40 days, about a quarter is linked to work; product
  people spend 7–10 h/week triaging. Expected ≈ 207,000 EUR/year = feedback-triage survey waste
  ≈ 137,100 + triage delay of linked feedback ≈ 69,900 (Σ max(0, days to triage − 7)/7 × 600).
  ARR of accounts left waiting is revenue at risk (not added).
* ``delta-logistics`` (opsdiag templates) — **tooling**: three trackers, two roadmap tools and
  two analytics tools, many unused seats, everyone spends 2–6 h/week on tool admin. Expected
  ≈ 242,000 EUR/year = tool-admin survey waste ≈ 181,600 + unused seats ≈ 32,200 + duplicate
  tools ≈ 27,800.

Every other lever of a client stays healthy: queue time ≤ 1 day per handoff, survey hours at or
below the healthy hours, releases on time, no duplicate tools and ≥ 85 % seat use, feedback
triaged within 7 days and mostly linked. The planted lever costs at least 10× any other lever.
Same seed → byte-identical files.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import UsageError
from .samples_flow import FLOW_TYPES, WORKFLOW
from .samples_specs import SAMPLES, Sample

log = logging.getLogger(__name__)

__all__ = ["SAMPLES", "describe", "generate", "ground_truth", "write_sample", "regenerate_committed"]

MARKER = "<!-- opsdiag-sample: {name} -->"
FILE_LINE = re.compile(r"^- `([^`]+)`", re.MULTILINE)


def describe() -> dict[str, str]:
    """Sample name → one-line description (``opsdiag sample list``)."""
    return {name: sample.summary for name, sample in SAMPLES.items()}


def _sample(name: str) -> Sample:
    if name not in SAMPLES:
        raise UsageError(f"unknown sample {name!r}; choose one of: {', '.join(SAMPLES)}")
    return SAMPLES[name]


@dataclass
class Generated:
    """One generated client: canonical tables, its engagement config and its as_of instant."""

    sample: Sample
    seed: int
    tables: dict[str, pd.DataFrame]
    engagement: dict
    as_of: pd.Timestamp  # end of the as_of day in the client's timezone, UTC


def generate(name: str, seed: int | None = None) -> Generated:
    """Generate the canonical tables of one sample client.

    Parameters
    ----------
    name : a key of ``SAMPLES``.
    seed : seed of ``numpy.random.default_rng``; None = the sample's own (the committed copy).

    Returns
    -------
    Generated
        Conformed canonical tables (``work_items`` … ``events``), the engagement config as a
        dict, and ``as_of`` (end of the as_of day in the client's timezone, UTC).

    Raises
    ------
    UsageError
        ``name`` is not a sample.
    """
    from .client import end_of_day
    from .samples_flow import generate_items, priority_changes, sprint_calendar, sprint_membership
    from .samples_releases import releases_for
    from .samples_side import accounts, events, feedback, roster, tool_inventory
    from .schema import conform

    sample = _sample(name)
    seed = sample.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    as_of = end_of_day(sample.as_of, sample.timezone)
    start = pd.Timestamp(sample.history_start, tz="UTC")
    spec = sample.flow
    people = roster(rng, list(spec.teams), **sample.people)
    sprints = sprint_calendar(list(spec.teams), start + pd.Timedelta(days=1, hours=7), as_of)
    made = generate_items(spec, rng, start, as_of, sprints, people)
    items = made["work_items"]
    membership, sprint_changes = sprint_membership(items, sprints, as_of)
    items["sprints"] = membership
    changes = pd.concat([sprint_changes, priority_changes(items, rng, as_of)], ignore_index=True)
    releases, fix = releases_for(spec, rng, items, sprints, as_of)
    items["releases"] = fix
    customers = accounts(rng)
    fb = feedback(rng, as_of, items, customers, **sample.feedback)
    ev = events(rng, as_of, customers, items, **sample.events)
    tools = tool_inventory(sample.tools, as_of, rng)
    tables = {
        "work_items": conform("work_items", items), "transitions": conform("transitions", made["transitions"]),
        "field_changes": conform("field_changes", changes.sort_values(["item_id", "at"], kind="stable")),
        "sprints": sprints, "releases": releases, "feedback": fb, "people": people, "tools": tools, "events": ev,
    }
    return Generated(sample, seed, tables, _engagement(sample, seed), as_of)


def _engagement(sample: Sample, seed: int) -> dict:
    statuses = {status: {"phase": p, "kind": k, "owner": o, "order": order}
                for status, (p, k, o, order) in WORKFLOW.items()}
    config = {"client": sample.client, "timezone": sample.timezone, "currency": sample.currency,
              "as_of": sample.as_of, "seed": seed,
              "workflow": {"statuses": statuses, "include_types": list(FLOW_TYPES)}}
    if sample.pilot:
        config["pilot"] = dict(sample.pilot)
    config["report"] = {"title": "Product operations diagnostic", "consultant": sample.consultant}
    return config


def ground_truth(name: str, seed: int | None = None) -> dict:
    """The planted bottleneck of a sample client and every lever's base cost per year.

    Costs follow DESIGN §7 with the config defaults (``config.Costs``), recomputed from the
    generated canonical tables by ``opsdiag.samples_truth.lever_costs`` over the 365 days before
    ``as_of``. Component names are the diagnosis' finding metrics (``queue_delay``, ``rework``,
    ``release_slip``, ``status_chasing_hours``, ``triage_delay``, ``triage_hours``, …).

    Parameters
    ----------
    name : a key of ``SAMPLES``.
    seed : None = the sample's own seed (the committed copy).

    Returns
    -------
    dict
        ``sample, client, seed, as_of, currency``; ``lever`` (planted), ``metric``
        (``<lever>.<largest component>``), ``expected_base_cost_per_year``, ``how`` (the
        formula in words); ``levers`` = {lever: {cost_per_year, components}}; ``detail``
        (queue days, handoffs, bounce-backs, releases, feedback counts, ARR at risk …);
        ``ratio_to_next`` (planted cost / the next lever's); ``pilot`` (expected verdict and
        median/mean cycle time of pilot-team items started in the pilot vs the baseline
        window); ``counts`` (rows per table, days of history).
    """
    from .samples_truth import LEVERS, lever_costs

    made = generate(name, seed)
    costs = lever_costs(made.tables, WORKFLOW, made.as_of)
    detail = costs.pop("_detail")
    sample = made.sample
    planted = costs[sample.lever]["cost_per_year"]
    parts = costs[sample.lever]["components"]
    others = max(costs[lever]["cost_per_year"] for lever in LEVERS if lever != sample.lever)
    items = made.tables["work_items"]
    return {
        "sample": name, "client": sample.client, "seed": made.seed, "as_of": sample.as_of.isoformat(),
        "currency": sample.currency, "lever": sample.lever,
        "metric": f"{sample.lever}.{max(parts, key=parts.get)}",
        "expected_base_cost_per_year": planted, "how": sample.how, "levers": costs, "detail": detail,
        "ratio_to_next": round(planted / others, 2) if others else float("inf"),
        "pilot": _pilot_truth(made),
        "counts": {"work_items": int(len(items)), "flow_items": int(items["item_type"].isin(FLOW_TYPES).sum()),
                   "transitions": int(len(made.tables["transitions"])),
                   "feedback": int(len(made.tables["feedback"])), "people": int(len(made.tables["people"])),
                   "events": int(len(made.tables["events"])), "history_days": int(
                       (made.tables["transitions"]["at"].max() - items["created_at"].min()) / pd.Timedelta(days=1))},
    }


def _pilot_truth(made: Generated) -> dict | None:
    """Median and mean cycle time of pilot-team items started in the pilot vs the baseline window."""
    pilot = made.sample.pilot
    if not pilot:
        return None
    from .samples_truth import item_flow

    flow = item_flow(made.tables["work_items"], made.tables["transitions"], WORKFLOW, made.as_of)
    flow = flow[flow["item_type"].isin(FLOW_TYPES) & flow["team"].isin(pilot["teams"])
                & flow["completed_at"].notna()]
    start = pd.Timestamp(pilot["start"], tz=made.sample.timezone).tz_convert("UTC")
    length = pd.Timedelta(days=pilot["sprints"] * pilot["sprint_length_days"])
    cycle = (flow["completed_at"] - flow["started_at"]) / pd.Timedelta(days=1)
    windows = {"baseline": (start - length, start), "pilot": (start, start + length)}
    out = {"ritual": pilot["ritual"], "teams": list(pilot["teams"]), "start": pilot["start"].isoformat(),
           "expected_verdict": made.sample.pilot_verdict}
    for label, (lo, hi) in windows.items():
        chosen = cycle[flow["started_at"].ge(lo) & flow["started_at"].lt(hi)]
        out[label] = {"items": int(len(chosen)), "median_cycle_days": round(float(chosen.median()), 2),
                      "mean_cycle_days": round(float(chosen.mean()), 2)}
    out["median_change_pct"] = round(100 * (out["pilot"]["median_cycle_days"] / out["baseline"]["median_cycle_days"]
                                            - 1), 1)
    return out


# --- writing ---------------------------------------------------------------------------------

def write_sample(name: str, out: str | Path, seed: int | None = None) -> Path:
    """Write a sample client into folder ``out`` in real export formats.

    Parameters
    ----------
    name : a key of ``SAMPLES``.
    out : the client folder to write (created when missing).
    seed : None = the sample's own seed (byte-identical to the committed copy).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    UsageError
        Unknown ``name``, or ``out`` is a file or a non-empty folder that is not an earlier copy
        of the same sample.

    Notes
    -----
    Layout: ``consultant/`` (people, tools, releases, sprints templates), ``analytics/events.csv``,
    ``jira/`` (REST search pages with changelog) or ``tracker/`` (templates), one folder per
    feedback tool, ``engagement.yaml`` and ``README.md`` (listing the files).

    Overwriting: a non-empty folder is refused unless it holds an earlier copy of the same sample
    (its README carries the sample marker); then the files that copy listed are replaced and
    anything else in the folder is left alone. Files are generated in a temporary folder next to
    ``out`` first, so a failure while generating leaves ``out`` untouched.
    """
    _sample(name)  # an unknown name is a UsageError listing the samples
    out = Path(out)
    previous: list[str] = []
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{out}: exists and is not a folder")
        if any(out.iterdir()):
            readme = out / "README.md"
            text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
            if MARKER.format(name=name) not in text:
                raise UsageError(f"{out}: folder is not empty and is not an earlier {name!r} sample; "
                                 "choose an empty or new folder")
            previous = FILE_LINE.findall(text) + ["README.md", "engagement.yaml"]
    made = generate(name, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        staging = Path(tmp)
        _write_all(made, staging)
        for rel in previous:
            target = out / rel
            if target.is_file():
                target.unlink()
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = out / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
    for folder in sorted({(out / rel).parent for rel in previous}, reverse=True):
        if folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    log.info("wrote sample %s (seed %s) to %s", name, made.seed, out)
    return out


def _writer(module: str, function: str):
    """An export writer of another ingest module, or None when it does not exist (yet)."""
    try:
        return getattr(importlib.import_module(f"opsdiag.ingest.{module}"), function)
    except (ImportError, AttributeError):
        log.warning("writer opsdiag.ingest.%s.%s missing: writing an opsdiag template instead", module, function)
        return None


def _write_all(made: Generated, folder: Path) -> list[str]:
    """Write every table of ``made`` in the sample's formats; returns the relative paths."""
    from .export import write_table

    sample, tables = made.sample, made.tables
    written: list[Path] = []
    # the consultant's templates come first in folder order: a releases.csv with planned AND
    # released dates must win over the single date a Jira fix version carries
    for table in ("people", "tools", "releases", "sprints"):
        written.append(write_table(tables[table], folder / "consultant" / f"{table}.csv"))
    written.append(write_table(tables["events"], folder / "analytics" / "events.csv"))
    written += _write_work(sample, tables, folder)
    written += _write_feedback(sample, tables["feedback"], folder)
    (folder / "engagement.yaml").write_text(yaml.safe_dump(made.engagement, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")
    rel = sorted(str(p.relative_to(folder)) for p in written)
    (folder / "README.md").write_text(_readme(made, rel), encoding="utf-8")
    return rel


def _write_work(sample: Sample, tables: dict, folder: Path) -> list[Path]:
    from .export import write_table

    items, transitions, changes = tables["work_items"], tables["transitions"], tables["field_changes"]
    if sample.work_format.startswith("jira"):
        write = _writer("jira_json", "write_search_pages")
        if write is not None:
            api = sample.work_format.split(":")[1]
            page_size = -(-len(items) // 2)  # two pages, as a consultant's paged export
            pages = write(items, transitions, changes, folder / "jira", page_size=page_size, api=api,
                          prefix="jira_search", sprints=tables["sprints"], releases=tables["releases"])
            for page in pages:  # the REST API answers with compact JSON; it keeps samples small
                doc = json.loads(page.read_text(encoding="utf-8"))
                page.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            return list(pages)
    sub = folder / ("jira" if sample.work_format.startswith("jira") else "tracker")
    return [write_table(items, sub / "work_items.csv"), write_table(transitions, sub / "transitions.csv"),
            write_table(changes, sub / "field_changes.csv")]


FEEDBACK_WRITERS = {"zendesk": ("zendesk", "write_zendesk_csv", "zendesk/tickets.csv"),
                    "intercom": ("intercom", "write_intercom_csv", "intercom/conversations.csv"),
                    "productboard": ("productboard", "write_productboard_csv", "productboard/productboard_notes_export.csv"),
                    "canny": ("canny", "write_canny_csv", "canny/posts.csv")}


def _write_feedback(sample: Sample, feedback: pd.DataFrame, folder: Path) -> list[Path]:
    """One export per feedback tool with a writer; everything else in one ``feedback.csv`` template."""
    from .export import write_table

    written, rest = [], []
    for source, part in feedback.groupby("source", sort=True):
        part = part.reset_index(drop=True)
        module, function, rel = FEEDBACK_WRITERS.get(source, (None, None, None))
        write = module and (_writer(module, function) or _writer("feedback_tools", function))
        if not write:
            rest.append(part)
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write(part, path)
        written.append(path)
    if rest:
        written.append(write_table(pd.concat(rest, ignore_index=True), folder / "support" / "feedback.csv"))
    return written


def _readme(made: Generated, files: list[str]) -> str:
    sample = made.sample
    lines = [MARKER.format(name=sample.name), f"# {sample.client} — opsdiag sample client", "",
             sample.summary, "", f"Generated by `opsdiag sample {sample.name} --out DIR --seed {made.seed}` "
             "(synthetic data; every name is made up). Planted bottleneck: "
             f"**{sample.lever}**. The other levers are healthy. "
             "`opsdiag.samples.ground_truth(\"" + sample.name + "\")` returns the expected costs.", "",
             "## Files", ""]
    lines += [f"- `{rel}` — {_describe_file(rel)}" for rel in files]
    lines += ["", "`engagement.yaml` pins the workflow mapping, as_of, the pilot and the consultant.", ""]
    return "\n".join(lines)


def _describe_file(rel: str) -> str:
    known = {"consultant/people.csv": "roster and weekly time survey (opsdiag template)",
             "consultant/tools.csv": "tool inventory with seats and spend (opsdiag template)",
             "consultant/releases.csv": "releases with planned and actual dates (opsdiag template)",
             "consultant/sprints.csv": "sprint calendar (opsdiag template)",
             "analytics/events.csv": "product analytics events (opsdiag template)"}
    if rel in known:
        return known[rel]
    if rel.endswith(".json"):
        return "Jira REST search page with changelog"
    if rel.startswith(("zendesk/", "intercom/", "productboard/", "canny/")):
        return f"{rel.split('/')[0].title()} export"
    return "opsdiag template"


def regenerate_committed(root: str | Path | None = None) -> list[Path]:
    """Rewrite every sample with its own seed under ``root`` (``python -m opsdiag.samples``).

    Parameters
    ----------
    root : default the source checkout's ``data_samples/``.

    Returns
    -------
    list of Path
        The sample folders written.
    """
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent / "data_samples"
    return [write_sample(name, root / name) for name in SAMPLES]


if __name__ == "__main__":  # python -m opsdiag.samples
    logging.basicConfig(level=logging.INFO)
    for folder in regenerate_committed():
        log.info("regenerated %s", folder)

"""``summary.json``: provenance plus one result section per producer, and the notebook views.

``SECTIONS`` is the registry of result sections: ``name -> function(client, diagnosis) -> JSON dict``
(the diagnosis is computed once per summary and shared by the sections that need it).
Adding a phase's headline is one line (``"diagnosis": diagnosis_section``).

Keys the executive summary (``index.py``) reads, when a section is present:

- ``diagnosis``: the ``opsdiag diagnose --json`` payload (``levers`` with ``lever``, ``rank``,
  ``assessed``, ``cost_per_year`` {low, base, high}, ``hours_per_year``, ``findings``).
- ``recommendation``: ``ritual`` (id), ``name``, ``why``, optional ``next_steps`` (list of text).
- ``pilot``: the ``opsdiag pilot --json`` payload (``verdict``, ``metrics``).
- ``forecast``: the ``opsdiag forecast --json`` payload (``p50``, ``p85``, ``p95``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import SCHEMA_VERSION, __version__

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------- notebook views
def relative_path(path: str | Path, data_dir: str | Path) -> str:
    """``path`` relative to the client folder (POSIX); a relative ``path`` already is."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(Path(data_dir).resolve()).as_posix()
    except ValueError:
        return path.name


def files_received(client) -> pd.DataFrame:
    """One row per file read: ``file, format, rows, tables``; then each file not read with its reason."""
    read = pd.DataFrame({
        "file": [relative_path(f.path, client.data_dir) for f in client.dataset.files],
        "format": [f.format for f in client.dataset.files],
        "rows": [int(f.rows) for f in client.dataset.files],
        "tables": [", ".join(sorted(f.tables)) for f in client.dataset.files],
    })
    skipped = pd.DataFrame({
        "file": [relative_path(u.path, client.data_dir) for u in client.dataset.unrecognized],
        "format": ["error" if u.error else "not read" for u in client.dataset.unrecognized],
        "rows": [0] * len(client.dataset.unrecognized),
        "tables": [u.reason for u in client.dataset.unrecognized],
    })
    return pd.concat([read, skipped], ignore_index=True).astype({"rows": "int64"})


def tables_received(client) -> pd.DataFrame:
    """One row per canonical table with rows: ``table, rows, from, to`` (dates of its main timestamp)."""
    names = [n for n, frame in client.dataset.tables.items() if len(frame)]
    spans = [client.dataset.span(n) for n in names]
    return pd.DataFrame({
        "table": names,
        "rows": [len(client.dataset.tables[n]) for n in names],
        "from": [s[0].strftime("%Y-%m-%d") if s[0] is not None else "" for s in spans],
        "to": [s[1].strftime("%Y-%m-%d") if s[1] is not None else "" for s in spans],
    }).astype({"rows": "int64"})


def quality_findings(client) -> pd.DataFrame:
    """The data-quality findings (as ``opsdiag inspect`` lists them): ``severity, check, count,
    examples, message``."""
    from ..inspect import inspect_payload

    findings = inspect_payload(client)["quality"]
    return pd.DataFrame({
        "severity": [q["severity"] for q in findings],
        "check": [q["check"] for q in findings],
        "count": [q["count"] for q in findings],
        "examples": [", ".join(q["examples"][:3]) for q in findings],
        "message": [q.get("message", "") for q in findings],
    }).astype({"count": "int64"})


def flow_basics(client) -> dict:
    """Headline flow numbers from ``client.flow`` (counted items only, see ``metrics.flow.included``).

    - ``items``: included work items (stories, tasks, bugs by default).
    - ``completed``: included items done at ``as_of`` (``metrics.flow.completed``).
    - ``median_cycle_time_days``: median ``cycle_time_days`` (completed_at − started_at, fractional
      days) of completed items that have both timestamps; None when there are none.
    """
    from ..metrics import flow as flow_metrics

    done = flow_metrics.completed(client.flow, client.as_of)
    cycle = pd.to_numeric(done.get("cycle_time_days", pd.Series(dtype="float64")), errors="coerce").dropna()
    return {
        "items": int(len(flow_metrics.included(client.flow))),
        "completed": int(len(done)),
        "median_cycle_time_days": round(float(cycle.median()), 2) if len(cycle) else None,
    }


def weekly_throughput(client, weeks: int | None = 12) -> pd.DataFrame:
    """Items completed per week for display: ``week`` (its Monday), ``completed``, ``partial week``.

    From ``metrics.flow.weekly_throughput`` (Monday-started weeks in the engagement timezone, up
    to the week holding ``as_of``, zero weeks included); ``weeks`` keeps the last N (None: all).
    No completed item gives an empty frame.
    """
    from ..metrics.flow import weekly_throughput as throughput

    table = throughput(client.flow, client.as_of, timezone=client.engagement.timezone)
    if weeks is not None:
        table = table.tail(weeks)
    return pd.DataFrame({"week": table["week_start"].dt.strftime("%Y-%m-%d"),
                         "completed": table["throughput"].astype("int64"),
                         "partial week": table["partial"].astype("bool")}).reset_index(drop=True)


def oldest_open_items(client, n: int = 10) -> pd.DataFrame:
    """The ``n`` oldest items in progress at ``as_of``: ``item, title, status, team, started, age (days)``.

    From ``metrics.flow.aging_wip`` (included items in a committed status, started and not
    finished by ``as_of``; age from the first committed move), titles from ``work_items``.
    """
    from ..metrics.flow import aging_wip

    aging = aging_wip(client.flow, client.as_of).head(n)
    titles = client.dataset.tables["work_items"].drop_duplicates("item_id").set_index("item_id")["title"]
    return pd.DataFrame({
        "item": aging["item_id"].astype("str"),
        "title": aging["item_id"].map(titles),
        "status": aging["status"], "team": aging["team"],
        "started": aging["started_at"].dt.strftime("%Y-%m-%d"),
        "age (days)": aging["age_days"].astype("float64"),
    }).reset_index(drop=True)


SURVEY_COLUMNS = {
    "hours_status_chasing": "status chasing", "hours_coordination_meetings": "coordination meetings",
    "hours_data_pulls": "data pulls", "hours_feedback_triage": "feedback triage",
    "hours_tool_admin": "tool admin", "hours_customer": "with customers",
}


def team_survey(client) -> pd.DataFrame:
    """The roster by role: ``role, people`` and the mean survey hours per person per week.

    Means skip missing answers; a role with no answer shows missing. No roster gives an
    empty frame.
    """
    people = client.dataset.tables["people"]
    columns = ["role", "people", *SURVEY_COLUMNS.values()]
    if people.empty:
        return pd.DataFrame(columns=columns)
    roles = people.assign(role=people["role"].fillna("unknown"))
    grouped = roles.groupby("role", sort=True)
    out = grouped[list(SURVEY_COLUMNS)].mean().rename(columns=SURVEY_COLUMNS)
    out.insert(0, "people", grouped.size().astype("int64"))
    return out.reset_index()[columns]


def pilot_setup(client) -> pd.DataFrame:
    """The pilot as configured in engagement.yaml: ``setting, value`` (empty when none is set)."""
    pilot = client.engagement.pilot
    if pilot is None:
        return pd.DataFrame({"setting": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    values = {"ritual": pilot.ritual or "", "start": pilot.start.isoformat() if pilot.start else "",
              "sprints": str(pilot.sprints), "sprint length (days)": str(pilot.sprint_length_days),
              "pilot teams": ", ".join(pilot.teams)}
    return pd.DataFrame({"setting": list(values), "value": list(values.values())})


# --------------------------------------------------------------------------- sections
def inspect_section(client) -> dict:
    """What was received: ``opsdiag inspect --json``'s payload."""
    from ..inspect import inspect_payload

    return inspect_payload(client)


def flow_section(client) -> dict:
    """Headline flow numbers (see :func:`flow_basics`)."""
    return flow_basics(client)


def diagnosis_section(client, diagnosis) -> dict:
    """The ranking with formulas, assumptions and evidence: ``opsdiag diagnose --json``'s payload."""
    return diagnosis.as_dict()


def recommendation_section(client, diagnosis) -> dict:
    """The recommended ritual: ``design.recommend(client, diagnosis).as_dict()``."""
    from ..design import recommend

    return recommend(client, diagnosis).as_dict()


def pilot_section(client, diagnosis) -> dict:
    """The pilot's evaluation: ``opsdiag pilot --json``'s payload."""
    from ..deploy import evaluate_pilot

    return evaluate_pilot(client).as_dict()


def forecast_section(client, diagnosis) -> dict:
    """When the open items will be done (or how many in 12 weeks when none is open): the
    ``opsdiag forecast --json`` payload."""
    from ..story.scale_page import forecasts

    items, by = forecasts(client)
    return (items or by).as_dict()


SECTIONS: dict[str, Callable] = {
    "inspect": lambda client, diagnosis: inspect_section(client),
    "flow": lambda client, diagnosis: flow_section(client),
    "diagnosis": diagnosis_section,
    "recommendation": recommendation_section,
    "pilot": pilot_section,
    "forecast": forecast_section,
}


def build_sections(client, diagnosis=None) -> dict:
    """Every registered section's payload, by name; the diagnosis is computed once and shared."""
    if diagnosis is None:
        from ..diagnose import diagnose

        diagnosis = diagnose(client)
    return {name: producer(client, diagnosis) for name, producer in SECTIONS.items()}


def build_summary(client, *, phases: list[str], pages: dict[str, str], parameters: dict,
                  diagnosis=None) -> dict:
    """The ``summary.json`` content: provenance, the run's pages, then the result sections.

    Provenance: opsdiag version, ``schema_version``, input files (path relative to the client
    folder, format, rows, sha256), the effective config and the seed.
    """
    summary = {
        "opsdiag_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "client": client.name,
        "slug": client.slug,
        "as_of": client.as_of_date.isoformat(),
        "seed": client.engagement.seed,
        "inputs": [{"path": relative_path(f.path, client.data_dir), "format": f.format, "rows": int(f.rows), "sha256": f.sha256}
                   for f in client.dataset.files],
        "config": client.engagement.effective(),
        "parameters": parameters,
        "phases": phases,
        "pages": pages,
    }
    summary.update(build_sections(client, diagnosis))
    return summary


def headline(summary: dict) -> dict:
    """The few numbers a batch index shows per client (None where a section is absent)."""
    flow = summary.get("flow") or {}
    levers = (summary.get("diagnosis") or {}).get("levers") or []
    top = next((lv for lv in sorted((lv for lv in levers if lv.get("rank")), key=lambda lv: lv["rank"])), None)
    cost = (top or {}).get("cost_per_year") or {}
    return {
        "items": flow.get("items"),
        "completed": flow.get("completed"),
        "median_cycle_time_days": flow.get("median_cycle_time_days"),
        "top_lever": (top or {}).get("lever"),
        "top_cost_per_year": cost.get("base") if isinstance(cost, dict) else cost,
        "ritual": (summary.get("recommendation") or {}).get("ritual"),
        "pilot_verdict": (summary.get("pilot") or {}).get("verdict"),
    }

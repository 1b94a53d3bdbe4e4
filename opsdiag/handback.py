"""The hand-back pack: the working system as plain files the client pastes into its wiki.

``write_handback(client, out)`` writes (``opsdiag handback DATA_DIR --out DIR``):

* ``README.md`` — the index, the next bottleneck, the tool plan and automation candidates;
* ``ritual.md`` — the ritual as the team runs it after the pilot: purpose, cadence, agenda with
  timings, roles, inputs, outputs, a checklist, success metrics with baselines and targets, and
  the open work and waiting customers to start with;
* ``dashboard.md`` — each weekly dashboard metric's definition, baseline and target;
* ``dashboard.csv`` — the weekly dashboard (``opsdiag.scale.weekly_dashboard``);
* ``engagement.yaml`` — the effective config (``as_of`` and ``seed`` resolved), to rerun opsdiag.

The ritual is the one piloted (``engagement.pilot.ritual``, what the team actually runs after
the pilot) when set, else ``opsdiag.design.recommend``'s. Files are deterministic — no
wall-clock time, stable ordering, same inputs → byte-identical files — and each is written
atomically. Every client string (names, teams, titles, tools, customers) is escaped for
Markdown (:func:`md_escape`) so ``<script>|x`` shows as text and never splits a table.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd

from .export import atomic_write_text, frame_to_csv_text

log = logging.getLogger(__name__)

FILES = ("README.md", "ritual.md", "dashboard.md", "dashboard.csv", "engagement.yaml")
START_HERE_ROWS = 10
_MD_SPECIALS = re.compile(r"([\\`*_\[\]|#~])")


def md_escape(value) -> str:
    """Client text as literal inline Markdown, safe inside a table cell.

    ``&``, ``<``, ``>`` become HTML entities (no tag survives); Markdown syntax characters
    (backslash, backtick, ``*``, ``_``, ``[``, ``]``, ``|``, ``#``, ``~``) are backslash-escaped;
    line breaks become spaces. None and NaN give "".
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIALS.sub(r"\\\1", text)
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def _trusted(text: str) -> str:
    """opsdiag's own catalog text in a table cell: only pipes and line breaks need care."""
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text).replace("|", "\\|")).strip()


def md_table(headers: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table from already-escaped cell strings."""
    align = align or ["left"] * len(headers)
    rule = {"left": "---", "right": "---:", "center": ":---:"}
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule[a] for a in align) + " |"]
    lines += ["| " + " | ".join(cell if cell else " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value, unit: str = "") -> str:
    """A baseline or target for people: shares as %, money-like units rounded, NaN as 'not measured'."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "not measured"
    value = float(value)
    if unit == "share":
        return f"{value:.0%}"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return f"{text} {md_escape(unit)}".strip()


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


# --- the ritual ----------------------------------------------------------------------------------

def chosen_ritual(client, diagnosis=None):
    """The ritual the team runs after the pilot, and how it was chosen.

    ``engagement.pilot.ritual`` when it names a catalog ritual (the pilot ran it), else the
    recommendation of ``opsdiag.design.recommend``. Returns ``(Ritual, source text)``.
    """
    from .design import RITUALS, recommend

    pilot = client.engagement.pilot
    if pilot is not None and pilot.ritual in RITUALS:
        when = f" from {pilot.start.isoformat()}" if pilot.start else ""
        return RITUALS[pilot.ritual], f"piloted{when} (engagement.yaml `pilot.ritual`)"
    if pilot is not None and pilot.ritual:
        log.warning("handback: pilot.ritual %r is not in the ritual catalog; using the recommendation", pilot.ritual)
    return recommend(client, diagnosis).ritual, "recommended by the diagnosis (opsdiag design)"


def _checklist(ritual) -> list[str]:
    before = [f"- [ ] Prepare: {_trusted(i)}" for i in ritual.inputs]
    during = [f"- [ ] {_trusted(a.topic)} — {a.minutes} min, led by {_trusted(a.lead)}" for a in ritual.agenda]
    after = [f"- [ ] Record: {_trusted(o)}" for o in ritual.outputs]
    after.append("- [ ] Add this week's row to the dashboard (`opsdiag export` or dashboard.csv) and compare "
                 "the success metrics with their targets")
    return ["**Before**", "", *before, "", "**During**", "", *during, "", "**After**", "", *after]


def _start_here(client, ritual) -> list[str]:
    """Open work past its p85 cycle time and (for feedback rituals or any client with feedback)
    customers waiting: the first session's material."""
    from .metrics.feedback import arr_waiting
    from .metrics.flow import aging_wip

    lines = []
    aging = aging_wip(client.flow, client.as_of)
    late = aging[aging["exceeds_percentile"].fillna(0) >= 85].head(START_HERE_ROWS)
    if len(late):
        titles = client.dataset.work_items.set_index("item_id")["title"]
        rows = [[md_escape(r.item_id), md_escape(titles.get(r.item_id)), md_escape(r.status), md_escape(r.team),
                 f"{r.age_days:.1f}"] for r in late.itertuples()]
        lines += ["### Work in progress past its 85th-percentile cycle time", "",
                  md_table(["Item", "Title", "Status", "Team", "Age (days)"], rows,
                           ["left", "left", "left", "left", "right"]), ""]
    if not client.dataset.feedback.empty:
        waiting = arr_waiting(client.dataset.feedback, client.as_of,
                              client.engagement.costs.healthy_triage_days).head(START_HERE_ROWS)
        if len(waiting):
            rows = [[md_escape(r.customer), "–" if pd.isna(r.account_arr) else f"{r.account_arr:,.0f}",
                     str(int(r.waiting)), f"{r.oldest_wait_days:.0f}"]
                    for r in waiting.itertuples()]
            lines += ["### Customers waiting for an answer", "",
                      md_table(["Customer", "ARR", "Waiting requests", "Oldest wait (days)"], rows,
                               ["left", "right", "right", "right"]), ""]
    return lines


def ritual_markdown(client, ritual, source: str) -> str:
    """``ritual.md``: the ritual as the team runs it, with success metrics, baselines and targets."""
    from .design import success_metrics

    pilot = client.engagement.pilot
    teams = list(pilot.teams) if pilot is not None and pilot.ritual == ritual.id else []
    lines = [f"# {_trusted(ritual.name)}", "", _trusted(ritual.purpose), "",
             f"- **Cadence:** {_trusted(ritual.cadence)}",
             f"- **Length:** {ritual.duration_minutes} minutes",
             f"- **Team time:** {ritual.effort_hours_per_week:.1f} hours a week, preparation included",
             f"- **Chosen:** {source}",
             f"- **Pilot teams:** {', '.join(md_escape(t) for t in teams)}; from now on every team" if teams
             else "- **Teams:** every team", "", "## Agenda", ""]
    clock, rows = 0, []
    for item in ritual.agenda:
        rows.append([f"{_clock(clock)}–{_clock(clock + item.minutes)}", str(item.minutes), _trusted(item.topic),
                     _trusted(item.lead)])
        clock += item.minutes
    lines += [md_table(["Time", "Minutes", "Topic", "Leads"], rows, ["left", "right", "left", "left"]), ""]
    lines += ["## Roles and attendees", "",
              md_table(["Role", "People", "Why they are there"],
                       [[_trusted(a.role), str(a.count), _trusted(a.why)] for a in ritual.attendees],
                       ["left", "right", "left"]), ""]
    lines += ["## Inputs", "", *[f"- {_trusted(i)}" for i in ritual.inputs], "",
              "## Outputs", "", *[f"- {_trusted(o)}" for o in ritual.outputs], "",
              "## Checklist", "", *_checklist(ritual), ""]
    success = success_metrics(client, ritual)
    rows = [[_trusted(r.label), _trusted(r.definition), _number(r.baseline, r.unit), _trusted(r.target_text)]
            for r in success.itertuples()]
    lines += ["## Success metrics", "",
              f"Baselines: the {client.as_of_date.isoformat()} values over the weeks before (all teams). "
              "Rerun `opsdiag pilot` or `opsdiag report` with fresh exports to compare.", "",
              md_table(["Metric", "Definition", "Baseline", "Target"], rows), ""]
    start = _start_here(client, ritual)
    if start:
        lines += ["## Start here", "", *start]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- the dashboard and the index -----------------------------------------------------------------

def dashboard_markdown(client, summary: pd.DataFrame) -> str:
    """``dashboard.md``: what each column of dashboard.csv means, its baseline and its target."""
    from .scale import BASELINE_WEEKS

    rows = []
    for r in summary.itertuples():
        sign = {"higher": "≥ ", "lower": "≤ "}.get(r.better) if isinstance(r.better, str) else None
        rule = _trusted(r.target_rule)
        if sign and not pd.isna(r.target):
            target = f"{sign}{_number(r.target, r.unit)} ({rule[:1].lower()}{rule[1:].rstrip('.')})"
        else:
            target = rule + (" No baseline yet." if sign else "")
        rows.append([_trusted(r.title), f"`{r.column}`", _trusted(r.definition), _number(r.baseline, r.unit), target])
    lines = ["# Weekly dashboard", "",
             f"One row per week in `dashboard.csv`; weeks start on Monday ({md_escape(client.engagement.timezone)}). "
             f"`week_start` is the Monday's date; `partial` marks the week the data ends in. Baselines are the "
             f"median of the last {BASELINE_WEEKS} complete weeks up to {client.as_of_date.isoformat()}; an "
             "empty cell means the data for that column was not provided (not zero).", "",
             md_table(["Metric", "Column", "Definition", "Baseline", "Target"], rows,
                      ["left", "left", "left", "right", "left"]), ""]
    return "\n".join(lines)


def readme_markdown(client, ritual, source: str, bottleneck, plan: pd.DataFrame, automation: pd.DataFrame) -> str:
    """``README.md``: the index of the pack plus what to do next (bottleneck, tools, automation)."""
    currency = md_escape(client.engagement.currency)
    lines = [f"# {md_escape(client.name)}: product operations hand-back", "",
             f"State as of {client.as_of_date.isoformat()}. These files are the working system the team keeps "
             "running; they are plain Markdown and CSV, so keep them in your wiki or repository.", "",
             f"- [ritual.md](ritual.md) — {_trusted(ritual.name)}, {source}: agenda, roles, checklist and "
             "success metrics",
             "- [dashboard.md](dashboard.md) — the weekly dashboard: each metric's definition and target",
             "- [dashboard.csv](dashboard.csv) — the dashboard data, one row per week, for your BI tool",
             "- [engagement.yaml](engagement.yaml) — the configuration behind every number here; rerun with "
             "`opsdiag report DATA_DIR --config engagement.yaml`", "",
             "Forecast the next delivery yourself: `opsdiag forecast DATA_DIR --items N` (when will N items be "
             "done) or `--by YYYY-MM-DD` (how many by then), both with a backtest of their own accuracy.", ""]
    lines += ["## Next bottleneck", ""]
    lines += [md_escape(bottleneck.why), ""] if bottleneck is not None else [
        "No other lever has a measured cost: keep the dashboard running and rerun the diagnosis next quarter.", ""]
    if len(plan):
        rows = [[md_escape(r.category), md_escape(r.action), md_escape(r.keep),
                 ", ".join(md_escape(t) for t in r.retire) or "–", f"{r.seats_to_move:.0f}",
                 f"{r.annual_savings:,.0f}", r.act_by.isoformat() if r.act_by is not None else "–"]
                for r in plan.itertuples()]
        lines += ["## Tool plan", "",
                  f"Savings per year in {currency}; act before the renewal date.", "",
                  md_table(["Category", "Action", "Keep", "Retire", "Seats to move", "Savings / year", "Act by"],
                           rows, ["left", "left", "left", "left", "right", "right", "left"]), ""]
    if len(automation):
        rows = [[md_escape(r.activity), f"{r.hours_per_week_above_healthy:.1f}", str(r.people),
                 f"{r.annual_cost:,.0f}", _trusted(r.suggested_automation)] for r in automation.itertuples()]
        lines += ["## Automation candidates", "",
                  f"Hours a week above the healthy amount (time survey) and their cost per year in {currency}.", "",
                  md_table(["Activity", "Hours/week above healthy", "People", "Cost / year", "Automate with"],
                           rows, ["left", "right", "right", "right", "left"]), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def effective_config(client) -> str:
    """``engagement.yaml``: the effective config with ``as_of`` resolved (YAML, key order stable)."""
    from .config import dump

    return dump(client.engagement.model_copy(update={"as_of": client.as_of_date}))


def handback_files(client, diagnosis=None) -> dict[str, str]:
    """The pack's file name → text (no writing): what :func:`write_handback` writes."""
    from . import scale
    from .diagnose import diagnose

    diagnosis = diagnose(client) if diagnosis is None else diagnosis
    ritual, source = chosen_ritual(client, diagnosis)
    dashboard = scale.weekly_dashboard(client)
    summary = scale.dashboard_summary(client, dashboard)
    bottleneck = scale.next_bottleneck(client, diagnosis, ritual.id)
    csv = dashboard.assign(week_start=[t.date().isoformat() for t in dashboard["week_start"]])
    return {
        "README.md": readme_markdown(client, ritual, source, bottleneck, scale.tool_consolidation_plan(client),
                                     scale.automation_candidates(client)),
        "ritual.md": ritual_markdown(client, ritual, source),
        "dashboard.md": dashboard_markdown(client, summary),
        "dashboard.csv": frame_to_csv_text(csv),
        "engagement.yaml": effective_config(client),
    }


def write_handback(client, out, diagnosis=None) -> list[Path]:
    """Write the hand-back pack into folder ``out`` (created if needed); returns the paths written.

    ``diagnosis`` is computed from ``client`` when not given (the report passes its own).

    Each file is written atomically (temp file, then rename); other files in ``out`` are left
    alone. Same client data and config → byte-identical files.
    """
    out = Path(out)
    files = handback_files(client, diagnosis)
    written = [atomic_write_text(out / name, files[name]) for name in FILES]
    log.info("handback: wrote %d files to %s", len(written), out)
    return written

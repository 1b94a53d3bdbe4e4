"""Deploy: the pilot of a ritual measured before/after, honestly (DESIGN §1, §8 ``opsdiag pilot``).

Windows (``engagement.pilot``): the pilot runs from ``start`` (local midnight in the engagement
timezone) for ``sprints × sprint_length_days`` days; the baseline is the same number of days right
before it. A pilot still running at ``as_of`` is cut there (``in_progress``). Only the pilot
``teams`` count (every team when none is named); the other teams are the comparison group of a
difference-in-differences when both exist.

Metrics (``PILOT_METRICS``, one registry line each): per-item metrics compare the median (or mean)
of the two windows with a seeded bootstrap interval of the change and a Mann–Whitney p-value;
``throughput_per_week`` compares Poisson rates with an exact rate-ratio interval and test. The
verdict rules and the sample size a result would need are in ``opsdiag.stats``; the overall
verdict is that of the ritual's primary metric. Every random draw comes from
``numpy.random.default_rng([seed, crc32(metric id)])`` with ``engagement.seed``, so the same seed
gives the same numbers and adding a metric does not move the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import stats
from .metrics.flow import weekly_throughput
from .ritual_metrics import (DAY, PILOT_METRICS, WEEK_DAYS, PilotData, PilotMetric, Windows, local_midnight,
                             pilot_windows)
from .rituals import RITUALS

log = logging.getLogger(__name__)

DEFAULT_METRICS = ("cycle_time_days", "throughput_per_week", "queue_days")
CENSORING_GAP = 0.10  # warn when the pilot leaves this much larger a share of its items unfinished


@dataclass
class MetricResult:
    """One metric of a pilot: the comparison, the difference-in-differences and the observations.

    ``observations``: team, at, value, window (baseline | pilot), group (pilot_teams | other_teams).
    ``did`` = {estimate, ci_low, ci_high, n_other_baseline, n_other_pilot} or None.
    """

    metric: PilotMetric
    comparison: stats.Comparison
    did: dict | None
    observations: pd.DataFrame

    def as_dict(self) -> dict:
        c = self.comparison
        return {"metric": self.metric.id, "baseline": _num(c.baseline), "pilot": _num(c.pilot),
                "change": _num(c.change), "ratio": _num(c.ratio), "ci_low": _num(c.ci_low),
                "ci_high": _num(c.ci_high), "p_value": _num(c.p_value), "n_baseline": c.n_baseline,
                "n_pilot": c.n_pilot, "verdict": c.verdict, "label": self.metric.label, "unit": self.metric.unit,
                "better": self.metric.better, "statistic": self.metric.statistic, "needed_n": c.needed_n,
                "needed_unit": c.needed_unit, "ratio_ci_low": _num(c.ratio_low), "ratio_ci_high": _num(c.ratio_high),
                "did": None if self.did is None else {k: v if isinstance(v, int) else _num(v)
                                                      for k, v in self.did.items()}}


def _num(value, digits: int = 4):
    """JSON-safe number: NaN and ±inf become None, numpy scalars plain floats."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


@dataclass
class PilotResult:
    """The pilot's evaluation; ``as_dict`` is the ``opsdiag pilot --json`` payload (DESIGN §8)."""

    verdict: str
    reason: str | None
    ritual: str | None
    primary_metric: str
    teams: list[str]
    other_teams: list[str]
    windows: Windows | None
    sprints: int | None
    metrics: list[MetricResult] = field(default_factory=list)
    sprint_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    weekly: pd.DataFrame = field(default_factory=pd.DataFrame)
    xmr: object | None = None
    warnings: list[str] = field(default_factory=list)
    seed: int = 0

    def metric(self, metric_id: str) -> MetricResult:
        """The result of one metric; KeyError naming the evaluated ones when it was not evaluated."""
        for m in self.metrics:
            if m.metric.id == metric_id:
                return m
        raise KeyError(f"{metric_id!r} was not evaluated; have {[m.metric.id for m in self.metrics]}")

    def as_dict(self) -> dict:
        dates = self.windows.dates() if self.windows else {"pilot": {"start": None, "end": None},
                                                          "baseline": {"start": None, "end": None}}
        ritual = RITUALS.get(self.ritual or "")
        return {
            "pilot": {**dates["pilot"], "teams": list(self.teams), "sprints": self.sprints,
                      "sprint_length_days": self.windows.sprint_length_days if self.windows else None,
                      "in_progress": self.windows.in_progress if self.windows else None},
            "baseline": dates["baseline"],
            "verdict": self.verdict, "reason": self.reason, "ritual": self.ritual,
            "ritual_name": ritual.name if ritual else None, "primary_metric": self.primary_metric,
            "other_teams": list(self.other_teams),
            "metrics": [m.as_dict() for m in self.metrics],
            "sprints": _records(self.sprint_table), "xmr": self._xmr_dict(), "warnings": list(self.warnings),
            "seed": self.seed,
        }

    def _xmr_dict(self) -> dict | None:
        if self.xmr is None:
            return None
        limits = {k: _num(getattr(self.xmr, k)) for k in ("mean", "unpl", "lnpl", "url")}
        pilot = self.weekly[self.weekly["window"].eq("pilot")] if len(self.weekly) else self.weekly
        return {**limits, "baseline_weeks": int(self.xmr.n),
                "pilot_weeks_above": int(pilot["above_unpl"].sum()) if len(pilot) else 0,
                "pilot_weeks_below": int(pilot["below_lnpl"].sum()) if len(pilot) else 0,
                "pilot_weeks_signal": int(pilot["signal"].sum()) if len(pilot) else 0}


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (v.isoformat() if isinstance(v, (dt.date, pd.Timestamp)) else
                        _num(v) if isinstance(v, (float, np.floating)) else
                        int(v) if isinstance(v, (np.integer,)) else v) for k, v in row.items()})
    return out


# --- evaluation ------------------------------------------------------------------------------

def _rng(seed: int, metric_id: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(metric_id.encode())])


def _blocks(times: pd.Series, start: pd.Timestamp, n_blocks: int) -> np.ndarray:
    """Counts per full 7-day block from ``start`` (``n_blocks`` of them)."""
    if n_blocks <= 0:
        return np.zeros(0)
    block = np.floor(((times - start) / DAY).to_numpy(dtype="float64") / WEEK_DAYS).astype(int)
    block = block[(block >= 0) & (block < n_blocks)]
    return np.bincount(block, minlength=n_blocks).astype("float64")


def _did(metric: PilotMetric, obs: pd.DataFrame, windows: Windows, rng, n_resamples: int) -> dict | None:
    """Difference-in-differences of the pilot teams against the other teams (None without both)."""
    cells = {(g, w): obs[(obs["group"] == g) & (obs["window"] == w)] for g in ("pilot_teams", "other_teams")
             for w in ("baseline", "pilot")}
    if metric.kind == "rate":
        full_pilot = int(((windows.observed_end - windows.pilot_start) / DAY) // WEEK_DAYS)
        starts = {"baseline": windows.baseline_start, "pilot": windows.pilot_start}
        sizes = {"baseline": int(windows.days // WEEK_DAYS), "pilot": full_pilot}
        samples = {k: _blocks(v["at"], starts[k[1]], sizes[k[1]]) for k, v in cells.items()}
        statistic = "mean"
    else:
        samples = {k: v["value"].to_numpy() for k, v in cells.items()}
        statistic = metric.statistic
    if min(len(s) for s in samples.values()) < 2:
        return None
    estimate, low, high = stats.bootstrap_did(
        samples[("pilot_teams", "baseline")], samples[("pilot_teams", "pilot")],
        samples[("other_teams", "baseline")], samples[("other_teams", "pilot")], rng, statistic=statistic,
        n_resamples=n_resamples)
    return {"estimate": estimate, "ci_low": low, "ci_high": high,
            "n_other_baseline": len(cells[("other_teams", "baseline")]),
            "n_other_pilot": len(cells[("other_teams", "pilot")])}


def evaluate_metric(data: PilotData, metric: PilotMetric, windows: Windows, teams: list[str], seed: int = 0,
                    n_resamples: int = stats.N_RESAMPLES) -> MetricResult:
    """Compare one metric between the baseline and pilot windows for the pilot teams (+ DiD)."""
    obs = metric.values(data, windows.baseline_start, windows.observed_end, "started").reset_index(drop=True)
    obs["window"] = np.where(obs["at"] < windows.pilot_start, "baseline", "pilot")
    scoped = metric.team_scoped and bool(teams)
    obs["group"] = np.where(obs["team"].isin(teams), "pilot_teams", "other_teams") if scoped else "pilot_teams"
    mine = obs[obs["group"] == "pilot_teams"]
    before, after = mine[mine["window"] == "baseline"], mine[mine["window"] == "pilot"]
    rng = _rng(seed, metric.id)
    if metric.kind == "rate":
        comparison = stats.compare_counts(len(before), windows.baseline_weeks, len(after), windows.pilot_weeks,
                                          better=metric.better)
    else:
        comparison = stats.compare_samples(before["value"], after["value"], rng, better=metric.better,
                                           statistic=metric.statistic, n_resamples=n_resamples)
    did = _did(metric, obs, windows, rng, n_resamples) if scoped else None
    return MetricResult(metric, comparison, did, obs)


def _sprint_table(results: dict[str, MetricResult], windows: Windows, timezone: str, sprints: int) -> pd.DataFrame:
    """Sprint by sprint for the pilot teams: completions, throughput and the item metrics' statistic."""
    length = windows.sprint_length_days
    firsts = [windows.first_day + dt.timedelta(days=length * k) for k in range(-sprints, sprints + 1)]
    bounds = pd.DatetimeIndex([local_midnight(d, timezone) for d in firsts]).as_unit("us")
    shown = [k for k in range(2 * sprints) if bounds[k] < windows.observed_end]
    table = pd.DataFrame({
        "sprint": [f"baseline {k + 1}" if k < sprints else f"pilot {k - sprints + 1}" for k in shown],
        "window": ["baseline" if k < sprints else "pilot" for k in shown],
        "start": [firsts[k] for k in shown], "end": [firsts[k + 1] - dt.timedelta(days=1) for k in shown]})
    observed = [(min(bounds[k + 1], windows.observed_end) - bounds[k]) / DAY for k in shown]
    for metric_id, result in results.items():
        obs = result.observations[result.observations["group"] == "pilot_teams"]
        index = bounds.searchsorted(pd.DatetimeIndex(obs["at"]).tz_convert("UTC").as_unit("us"), side="right") - 1
        by_sprint = obs["value"].reset_index(drop=True).groupby(index)
        if result.metric.kind == "rate":
            counts = by_sprint.size().reindex(shown, fill_value=0).to_numpy()
            table["completed"] = counts.astype("int64")
            table[metric_id] = counts / (np.asarray(observed, dtype="float64") / WEEK_DAYS)
        else:
            agg = by_sprint.median() if result.metric.statistic == "median" else by_sprint.mean()
            table[metric_id] = agg.reindex(shown).to_numpy(dtype="float64")
            table[f"n_{metric_id}"] = by_sprint.size().reindex(shown, fill_value=0).to_numpy().astype("int64")
    return table


def _weekly_xmr(data: PilotData, teams: list[str], windows: Windows, timezone: str):
    """Weekly throughput of the pilot teams with XmR limits from the complete baseline weeks."""
    from .metrics.xmr import xmr_limits, xmr_signals

    flow = data.flow[data.flow["team"].isin(teams)] if teams else data.flow
    weeks = weekly_throughput(flow, windows.observed_end - pd.Timedelta(microseconds=1),
                              start=windows.baseline_start, timezone=timezone)
    weeks = weeks[~weeks["partial"]].drop(columns=["item_ids", "partial"]).reset_index(drop=True)
    starts = weeks["week_start"]
    weeks["window"] = np.where(starts + pd.Timedelta(days=7) <= windows.pilot_start, "baseline",
                               np.where(starts >= windows.pilot_start, "pilot", "straddles"))
    limits = xmr_limits(weeks.loc[weeks["window"] == "baseline", "throughput"])
    signals = xmr_signals(weeks["throughput"], limits)
    for column in ("above_unpl", "below_lnpl", "run_of_8", "signal"):
        weeks[column] = signals[column].reindex(weeks.index, fill_value=False).astype(bool)
    return weeks, limits


def _censoring_warning(data: PilotData, teams: list[str], windows: Windows) -> str | None:
    """Warn when more pilot than baseline items are still unfinished (their cycle time is unknown yet)."""
    flow = data.flow[data.flow["team"].isin(teams)] if teams else data.flow
    started = flow["started_at"]
    finished = (flow["phase"].isin(["done", "canceled"])
                & flow["completed_at"].fillna(flow["canceled_at"]).le(data.as_of))
    shares = {}
    for name, lo, hi in (("baseline", windows.baseline_start, windows.pilot_start),
                         ("pilot", windows.pilot_start, windows.observed_end)):
        inside = started.ge(lo) & started.lt(hi)
        shares[name] = (float((inside & ~finished).sum()) / inside.sum()) if inside.any() else 0.0
    if shares["pilot"] - shares["baseline"] > CENSORING_GAP:
        return (f"{shares['pilot']:.0%} of the items started in the pilot are unfinished at as_of (baseline "
                f"{shares['baseline']:.0%}): only finished items have a cycle time, so the pilot's may look "
                "shorter than it is — re-run after they finish.")
    return None


def _metric_ids(primary: str, ritual) -> list[str]:
    wanted = [*DEFAULT_METRICS, primary, *(ritual.secondary_metrics if ritual else ())]
    return [m for m in dict.fromkeys(wanted) if m in PILOT_METRICS]


def _not_evaluated(reason: str, ritual: str | None, primary: str, seed: int, windows=None, teams=()) -> PilotResult:
    metrics = []
    for metric_id in dict.fromkeys([*DEFAULT_METRICS[:2], primary]):
        metric = PILOT_METRICS[metric_id]
        comparison = (stats.compare_counts(0, 0.0, 0, 0.0) if metric.kind == "rate" else
                      stats.compare_samples([], [], _rng(seed, metric_id), better=metric.better))
        metrics.append(MetricResult(metric, comparison, None, pd.DataFrame(columns=["team", "at", "value"])))
    return PilotResult("not_enough_data", reason, ritual, primary, list(teams), [], windows,
                       None if windows is None else windows.days // windows.sprint_length_days, metrics, seed=seed)


def evaluate_pilot(client, pilot=None, *, n_resamples: int = stats.N_RESAMPLES) -> PilotResult:
    """Evaluate the pilot of ``engagement.pilot`` (or ``pilot``): baseline against pilot, per metric.

    Metrics: ``cycle_time_days``, ``throughput_per_week``, ``queue_days``, the ritual's primary
    metric and its secondary metrics (definitions in ``PILOT_METRICS``), each with its verdict; the
    overall verdict is the primary metric's. Without a configured pilot (or one starting after
    as_of) the result says why, with verdict ``not_enough_data`` — never an exception.
    """
    engagement = client.engagement
    pilot = pilot if pilot is not None else engagement.pilot
    if isinstance(pilot, dict):
        from .config import Pilot

        pilot = Pilot.model_validate(pilot)
    seed = int(engagement.seed)
    ritual_id = getattr(pilot, "ritual", None)
    ritual = RITUALS.get(ritual_id or "")
    primary = ritual.primary_metric if ritual else "cycle_time_days"
    if pilot is None or pilot.start is None:
        return _not_evaluated("No pilot is configured: add `pilot: {ritual, start, sprints, teams}` to "
                              "engagement.yaml.", ritual_id, primary, seed)
    if pilot.sprints < 1 or pilot.sprint_length_days < 1:
        return _not_evaluated(f"The pilot needs at least one sprint of at least one day (sprints {pilot.sprints}, "
                              f"sprint_length_days {pilot.sprint_length_days}).", ritual_id, primary, seed)
    windows = pilot_windows(pilot, engagement.timezone, client.as_of)
    teams = list(pilot.teams)
    if windows.pilot_start >= client.as_of:
        return _not_evaluated(f"The pilot starts on {pilot.start.isoformat()}, after the data ends "
                              f"({client.as_of_date.isoformat()}).", ritual_id, primary, seed, windows, teams)
    data = PilotData.from_client(client)
    known = set(data.flow["team"].dropna())
    warnings = [f"Pilot team {t!r} has no work items in the data." for t in teams if t not in known]
    if ritual is None:
        warnings.append(f"Ritual {ritual_id!r} is not in the catalog; cycle_time_days decides the verdict."
                        if ritual_id else "No ritual is named for the pilot; cycle_time_days decides the verdict.")
    if windows.in_progress:
        seen = (windows.observed_end - windows.pilot_start) / DAY
        warnings.append(f"The pilot is still running: {seen:.0f} of {windows.days} days observed by as_of.")
    results = {m: evaluate_metric(data, PILOT_METRICS[m], windows, teams, seed, n_resamples)
               for m in _metric_ids(primary, ritual)}
    censoring = _censoring_warning(data, teams, windows)
    warnings += [censoring] if censoring else []
    for result in results.values():
        c = result.comparison
        if c.verdict == "not_enough_data" and result.metric.id in (primary, *DEFAULT_METRICS):
            warnings.append(f"{result.metric.id}: {c.n_baseline} baseline and {c.n_pilot} pilot observations — "
                            f"at least {stats.MIN_N} each are needed to conclude.")
    if not PILOT_METRICS[primary].team_scoped and teams:
        warnings.append(f"{primary} has no team: it counts every team, not only the pilot teams.")
    weekly, limits = _weekly_xmr(data, teams, windows, engagement.timezone)
    result = PilotResult(results[primary].comparison.verdict, None, ritual_id, primary, teams,
                         sorted(known - set(teams)) if teams else [], windows, int(pilot.sprints),
                         list(results.values()), _sprint_table(results, windows, engagement.timezone,
                                                               int(pilot.sprints)),
                         weekly, limits, warnings, seed)
    result.reason = sentence(results[primary])
    log.info("pilot of %s (%s): %s", ritual_id, ", ".join(teams) or "all teams", result.verdict)
    return result


def sentence(result: MetricResult) -> str:
    """One line a founder can read: the metric's before → after, change, interval, p and verdict."""
    c, m = result.comparison, result.metric
    if c.verdict == "not_enough_data" and (c.n_baseline < stats.MIN_N or c.n_pilot < stats.MIN_N):
        return (f"{m.label}: not enough data ({c.n_baseline} baseline, {c.n_pilot} pilot observations; "
                f"at least {stats.MIN_N} each are needed).")
    pct = f" ({c.ratio - 1:+.0%})" if math.isfinite(c.ratio) else ""
    stat = "" if m.kind == "rate" else f"{m.statistic} "
    ci = (f"95% CI of the change {c.ci_low:+.2f} to {c.ci_high:+.2f}" if math.isfinite(c.ci_low)
          else "no interval")
    p = ("p < 0.001" if c.p_value < 0.001 else f"p = {c.p_value:.3f}") if math.isfinite(c.p_value) else "no p-value"
    return (f"{m.label}: {stat}{c.baseline:.2f} → {c.pilot:.2f} {m.unit}{pct}; {ci}, {p}; "
            f"n = {c.n_baseline}/{c.n_pilot} → {c.verdict.replace('_', ' ')}.")


# --- presentation ----------------------------------------------------------------------------

def metrics_table(result: PilotResult) -> pd.DataFrame:
    """One row per metric for the notebook: label, unit, baseline, pilot, change (and %), 95 % CI,
    p-value, n per window, verdict, the n it would need, and the difference-in-differences."""
    rows = []
    for m in result.metrics:
        d = m.as_dict()
        did = d["did"] or {}
        rows.append({"metric": m.metric.label, "unit": m.metric.unit, "statistic": m.metric.statistic,
                     "baseline": d["baseline"], "pilot": d["pilot"], "change": d["change"],
                     "change_pct": None if d["ratio"] is None else d["ratio"] - 1, "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "p_value": d["p_value"], "n_baseline": d["n_baseline"],
                     "n_pilot": d["n_pilot"], "verdict": d["verdict"], "needed_n": d["needed_n"],
                     "needed_unit": d["needed_unit"], "did": did.get("estimate"), "did_ci_low": did.get("ci_low"),
                     "did_ci_high": did.get("ci_high"), "primary": m.metric.id == result.primary_metric})
    return pd.DataFrame(rows)


def headline(result: PilotResult) -> dict:
    """The pilot in a few fields: verdict, primary metric, its sentence, windows and warnings."""
    payload = result.as_dict()
    return {"verdict": result.verdict, "primary_metric": result.primary_metric, "sentence": result.reason,
            "ritual": payload["ritual_name"] or result.ritual, "teams": ", ".join(result.teams) or "all teams",
            "pilot": payload["pilot"], "baseline": payload["baseline"], "warnings": list(result.warnings)}


def _fmt(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def render_text(result: PilotResult) -> str:
    """The pilot evaluation as plain text for the terminal."""
    d = result.as_dict()
    name = d["ritual_name"] or d["ritual"] or ("not configured" if result.windows is None else "ritual not named")
    lines = [f"Pilot: {name} — teams {', '.join(result.teams) or 'all'}"]
    if result.windows is not None:
        lines.append(f"Pilot {d['pilot']['start']} – {d['pilot']['end']} ({d['pilot']['sprints']} sprint(s) × "
                     f"{d['pilot']['sprint_length_days']} days); baseline {d['baseline']['start']} – "
                     f"{d['baseline']['end']}")
    lines += [f"Verdict: {result.verdict.upper().replace('_', ' ')} (primary metric: {result.primary_metric})",
              f"  {result.reason}", ""]
    header = f"{'metric':<28}{'baseline':>10}{'pilot':>10}{'change':>10}  {'95% CI':<20}{'p':>7}{'n':>9}  verdict"
    lines.append(header)
    for m in d["metrics"]:
        ci = f"{_fmt(m['ci_low'])} … {_fmt(m['ci_high'])}" if m["ci_low"] is not None else "–"
        p = "<0.001" if m["p_value"] is not None and m["p_value"] < 0.001 else _fmt(m["p_value"], 3)
        lines.append(f"{m['metric']:<28}{_fmt(m['baseline']):>10}{_fmt(m['pilot']):>10}{_fmt(m['change']):>10}  "
                     f"{ci:<20}{p:>7}{str(m['n_baseline']) + '/' + str(m['n_pilot']):>9}  {m['verdict']}")
    dids = [(m["metric"], m["did"]) for m in d["metrics"] if m["did"]]
    if dids:
        lines += ["", f"Against the other teams ({', '.join(result.other_teams)}), difference-in-differences:"]
        lines += [f"  {k}: {_fmt(v['estimate'])} (95% CI {_fmt(v['ci_low'])} … {_fmt(v['ci_high'])})"
                  for k, v in dids]
    if result.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in result.warnings]
    return "\n".join(lines)

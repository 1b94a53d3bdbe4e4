"""Monte Carlo forecasts from weekly throughput, and a backtest of how well they would have done.

Two questions a team asks (DESIGN §8, ``opsdiag forecast``):

* **"When will these N items be done?"** — :func:`forecast_items`: the date by which 50 / 85 /
  95 % of simulated futures finished (p50 ≤ p85 ≤ p95 dates);
* **"How many items by this date?"** — :func:`forecast_by_date`: the item count reached by at
  least 50 / 85 / 95 % of simulated futures (p95 ≤ p85 ≤ p50 counts).

Method: simulated weeks are drawn at random (with replacement) from the team's own history, so
the forecast carries the team's real variability, zero weeks included. The history is the
throughput of the last ``THROUGHPUT_WEEKS`` (26) complete Monday-started weeks before ``as_of``
(fewer when the history is shorter; the week ``as_of`` cuts short is left out), counting included
items completed as done (``metrics.flow.weekly_throughput``). Teams working in sprints close most
items in a sprint's last week, so weeks alternate high/low; drawing single weeks would make a
month look far less predictable than it is. Weeks are therefore drawn in runs as long as the
sprint (``block_weeks``, :func:`sprint_weeks`; 1 without sprints) — a block bootstrap. All
simulations are drawn at once as a (simulations × weeks) matrix; nothing loops per simulation.

Scope growth (items forecasts only): new work arrives while the N items are being delivered and
takes some of the capacity. It is measured as the share of the window's completed items that
were picked up within ``EXPEDITE_DAYS`` (7) of being created — work that arrived and went
straight into progress instead of waiting its turn in the backlog, i.e. weekly arrivals that
competed with existing work, as a fraction of weekly completions. Each simulated week adds
``scope_growth × throughput`` items to the remaining scope, so the N items need N / (1 − g)
completions in total. It is capped at ``MAX_SCOPE_GROWTH`` (0.9) so a forecast always ends.
Count forecasts (``--by``) count every completion and do not use scope growth.

Backtest (:func:`backtest`): every week from the 12th week of history on, a count forecast of
the next ``BACKTEST_HORIZON_WEEKS`` (4) weeks is made from the weeks before it only, and compared
with what then happened. The share of forecasts whose actual count reached the p85 count is the
hit rate: about 85 % when the forecasts are calibrated, higher when throughput has been growing
(forecasts too cautious), lower when it has been falling or is more erratic than its history.

All randomness comes from the ``rng`` passed in (``numpy.random.default_rng(seed)``): same
inputs and seed → same forecast.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import UsageError
from .metrics.flow import DAY, completed, utc, weekly_throughput

log = logging.getLogger(__name__)

PERCENTILES = (50, 85, 95)
SIMULATIONS = 10_000
THROUGHPUT_WEEKS = 26  # history window: the last 26 complete weeks (about six months)
MIN_HISTORY_WEEKS = 12  # a forecast needs a quarter of history (the low end of the 12–26 week window)
EXPEDITE_DAYS = 7.0
MAX_SCOPE_GROWTH = 0.9
MAX_WEEKS = 520  # an items forecast gives up after ten years (the date is then None)
BACKTEST_HORIZON_WEEKS = 4  # each past forecast looks four weeks (about a month) ahead
BACKTEST_STEP_WEEKS = 1  # a past forecast every week: more of them, a steadier hit rate
BACKTEST_SIMULATIONS = 2_000


def _index(q: float, n: int) -> int:
    """ceil(q × n) without float noise (0.85 × 100 must be 85, not 85.00000000000001)."""
    return int(math.ceil(round(q * n, 9)))


def finish_percentile(weeks_needed: np.ndarray, q: float) -> float:
    """Smallest w such that at least share ``q`` (0–1) of simulations finished within w weeks.

    With the simulations sorted ascending, the ``ceil(q × n)``-th value (1-based); ``inf`` when
    that simulation never finished; NaN when there are no simulations.
    """
    if len(weeks_needed) == 0:
        return float("nan")
    ordered = np.sort(np.asarray(weeks_needed, dtype="float64"))
    return float(ordered[max(_index(q, len(ordered)) - 1, 0)])


def count_percentile(counts: np.ndarray, q: float) -> int | None:
    """Largest count c that at least share ``q`` (0–1) of simulations reached (total ≥ c).

    With the simulations sorted ascending, the value at 0-based position ``n − ceil(q × n)``: the
    ``ceil(q × n)`` simulations from there on all reached it, and any larger count was reached
    by fewer. None when there are no simulations.
    """
    if len(counts) == 0:
        return None
    ordered = np.sort(np.asarray(counts))
    return int(ordered[len(ordered) - _index(q, len(ordered))])


def _history(throughput_weekly) -> np.ndarray:
    values = pd.to_numeric(pd.Series(throughput_weekly, dtype="float64"), errors="coerce").dropna()
    return values.clip(lower=0).round().astype("int64").to_numpy()


@dataclass
class ItemsForecast:
    """When ``n_items`` will be done: percentile weeks and dates from ``start``.

    ``weeks_needed`` holds one value per simulation (``inf`` = not done within ``MAX_WEEKS``);
    ``weeks`` and ``dates`` map 50/85/95 to the finish week and date (None when not reached).
    """

    n_items: int
    start: dt.date
    scope_growth: float
    weeks_needed: np.ndarray = field(repr=False)
    weeks: dict[int, float]
    dates: dict[int, dt.date | None]


@dataclass
class CountForecast:
    """How many items by ``end``: percentile counts over ``counts`` (one per simulation)."""

    start: dt.date
    end: dt.date
    weeks: float
    counts: np.ndarray = field(repr=False)
    percentiles: dict[int, int | None]


def forecast_items(throughput_weekly, n_items: int, start, rng: np.random.Generator,
                   sims: int = SIMULATIONS, scope_growth: float = 0.0, percentiles=PERCENTILES,
                   block_weeks: int = 1) -> ItemsForecast:
    """Monte Carlo "when will ``n_items`` be done", one simulated week at a time from ``start``.

    Each simulation draws weekly throughputs from ``throughput_weekly`` (a history of
    completed items per week, oldest first) with replacement — in runs of ``block_weeks``
    consecutive weeks, see :func:`simulate_weeks` — and counts the weeks until cumulative
    throughput × (1 − scope_growth) ≥ ``n_items`` (scope growth: new items added to the scope
    per item completed, capped at ``MAX_SCOPE_GROWTH``). The p-th percentile date is ``start`` +
    7 × w days, w the smallest week count by which p % of simulations finished. Constant 5 items
    a week and no scope growth: 20 items take exactly 4 weeks. ``n_items`` ≤ 0 finishes at
    ``start``; a history without any completion (or none at all) never finishes (dates None).
    """
    start = pd.Timestamp(start).date()
    history = _history(throughput_weekly)
    growth = float(min(max(scope_growth or 0.0, 0.0), MAX_SCOPE_GROWTH))
    if n_items <= 0:
        needed = np.zeros(sims)
    elif history.size == 0 or history.max() == 0:
        log.warning("forecast: no completed items in the throughput history; cannot forecast %s items", n_items)
        needed = np.full(sims, np.inf)
    else:
        needed = _weeks_needed(history, n_items / (1.0 - growth), rng, sims, block_weeks)
    weeks = {int(p): finish_percentile(needed, p / 100) for p in percentiles}
    dates = {p: (start + dt.timedelta(days=7 * int(w)) if np.isfinite(w) else None) for p, w in weeks.items()}
    return ItemsForecast(int(n_items), start, growth, needed, weeks, dates)


def history_blocks(history: np.ndarray, block_weeks: int = 1) -> np.ndarray:
    """The history cut into runs of ``block_weeks`` consecutive weeks, aligned to its most recent week.

    Returns a (runs × block_weeks) array; the oldest weeks that do not fill a run are dropped.
    A history shorter than one run falls back to single weeks.
    """
    history = np.asarray(history)
    size = max(int(block_weeks), 1)
    runs = history.size // size
    if runs == 0:
        size, runs = 1, history.size
    return history[history.size - runs * size:].reshape(runs, size)


def simulate_weeks(history: np.ndarray, rng: np.random.Generator, sims: int, weeks: int,
                   block_weeks: int = 1) -> np.ndarray:
    """A (sims × weeks) matrix of simulated weekly throughputs drawn from ``history``.

    Draws whole runs of ``block_weeks`` consecutive historical weeks with replacement (a block
    bootstrap; 1 = independent weeks) and lays them end to end. Runs as long as the team's
    sprint keep the sprint's rhythm — most items closing in its last week — so a six-week
    total is as variable as three real sprints, not as six unrelated weeks.
    """
    blocks = history_blocks(history, block_weeks)
    count = -(-weeks // blocks.shape[1]) if weeks else 0
    draws = blocks[rng.integers(0, blocks.shape[0], size=(sims, count))]
    return draws.reshape(sims, count * blocks.shape[1])[:, :weeks]


def _weeks_needed(history: np.ndarray, target: float, rng: np.random.Generator, sims: int,
                  block_weeks: int = 1) -> np.ndarray:
    """Weeks until each simulation's cumulative throughput reaches ``target`` (inf past MAX_WEEKS).

    Weeks are drawn in chunks (a matrix per chunk) for the simulations still running; the chunk
    size is about twice the expected duration, so one chunk almost always suffices.
    """
    size = history_blocks(history, block_weeks).shape[1]
    needed = np.full(sims, np.inf)
    total = np.zeros(sims)
    chunk = int(min(MAX_WEEKS, max(8, math.ceil(2 * target / max(history.mean(), 1e-9)))))
    chunk = -(-chunk // size) * size  # whole runs, so a chunk boundary never splits one
    elapsed = 0
    running = np.arange(sims)
    while running.size and elapsed < MAX_WEEKS:
        draws = simulate_weeks(history, rng, running.size, chunk, block_weeks)
        cumulative = total[running, None] + draws.cumsum(axis=1)
        reached = cumulative >= target - 1e-9
        finished = reached.any(axis=1)
        needed[running[finished]] = elapsed + reached[finished].argmax(axis=1) + 1
        total[running] = cumulative[:, -1]
        running = running[~finished]
        elapsed += chunk
    needed[needed > MAX_WEEKS] = np.inf
    return needed


def forecast_by_date(throughput_weekly, end, start, rng: np.random.Generator, sims: int = SIMULATIONS,
                     percentiles=PERCENTILES, block_weeks: int = 1) -> CountForecast:
    """Monte Carlo "how many items from ``start`` to ``end``".

    The span is w whole weeks plus r leftover days: each simulation sums w weekly throughputs
    drawn from ``throughput_weekly`` with replacement (runs of ``block_weeks``, see
    :func:`simulate_weeks`), plus the next drawn week thinned to r/7 (each of its items kept
    with probability r/7, a binomial draw). The p-th percentile count is the largest count
    reached by at least p % of simulations, so p95 ≤ p85 ≤ p50. ``end`` on or before ``start``
    gives 0; an empty history gives None.
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    days = max((end - start).days, 0)
    full, rest = divmod(days, 7)
    history = _history(throughput_weekly)
    if history.size == 0:
        log.warning("forecast: no throughput history; cannot forecast a count")
        return CountForecast(start, end, days / 7, np.array([], dtype="int64"), {int(p): None for p in percentiles})
    weeks = simulate_weeks(history, rng, sims, full + (1 if rest else 0), block_weeks)
    counts = weeks[:, :full].sum(axis=1)
    if rest:
        counts = counts + rng.binomial(weeks[:, full], rest / 7)
    counts = counts.astype("int64")
    return CountForecast(start, end, days / 7, counts,
                         {int(p): count_percentile(counts, p / 100) for p in percentiles})


# --- the client's history -------------------------------------------------------------------------

def complete_weeks(flow: pd.DataFrame, as_of, timezone: str = "UTC") -> pd.DataFrame:
    """Throughput of every complete Monday-started local week up to ``as_of``.

    ``metrics.flow.weekly_throughput`` without the week ``as_of`` cuts short. Columns:
    week_start (local midnight, tz-aware), throughput (int). Empty when nothing completed.
    """
    weekly = weekly_throughput(flow, as_of, timezone=timezone)
    weekly = weekly[~weekly["partial"]]
    return weekly[["week_start", "throughput"]].reset_index(drop=True)


def throughput_window(flow: pd.DataFrame, as_of, timezone: str = "UTC",
                      weeks: int = THROUGHPUT_WEEKS) -> pd.DataFrame:
    """The forecast's history: the last ``weeks`` complete weeks of :func:`complete_weeks`."""
    return complete_weeks(flow, as_of, timezone).tail(weeks).reset_index(drop=True)


def sprint_weeks(sprints: pd.DataFrame) -> int:
    """Typical sprint length in whole weeks (1–4): the block length of the simulation.

    The median gap in days between consecutive sprint starts of the same team, divided by 7 and
    rounded; when no team has two sprints, the median ``end − start`` instead. 1 (single weeks)
    without sprints.
    """
    rows = sprints[sprints["start"].notna()].sort_values("start") if len(sprints) else sprints
    if rows.empty:
        return 1
    gaps = (rows.groupby(rows["team"].fillna(""))["start"].diff() / DAY).dropna()
    gaps = gaps[gaps > 0]
    days = gaps.median() if len(gaps) else ((rows["end"] - rows["start"]) / DAY).median()
    if pd.isna(days):
        return 1
    return int(min(max(round(days / 7), 1), 4))


def scope_growth(flow: pd.DataFrame, start, as_of, expedite_days: float = EXPEDITE_DAYS) -> float:
    """Share of items completed in [``start``, ``as_of``] that started within ``expedite_days`` of creation.

    Definition: among included items completed as done in the window, those with
    ``started_at − created_at ≤ expedite_days`` days arrived while other work was waiting and
    were picked up at once — new scope competing for the same capacity, as a fraction of
    completions (0–1; items without ``created_at`` or ``started_at`` count as not expedited).
    0.0 when nothing completed in the window.
    """
    done = completed(flow, as_of)
    if start is not None:
        done = done[done["completed_at"] >= utc(start)]
    if done.empty:
        return 0.0
    waited = (done["started_at"] - done["created_at"]) / DAY
    return float((waited <= expedite_days).sum() / len(done))


# --- backtest ---------------------------------------------------------------------------------

@dataclass
class Backtest:
    """Past forecasts against what happened.

    ``forecasts``: one row per forecast — made_on (the Monday it was made), horizon_end (the
    Monday after its last week), history_weeks, p50, p85, p95 (counts), actual, hit (actual ≥
    p85). ``hit_rate_p85`` = share of hits (None without any forecast); ``hit_rate_p50`` /
    ``hit_rate_p95`` the same for the other percentiles (a calibrated forecast scores about 50 %,
    85 % and 95 %).
    """

    forecasts: pd.DataFrame
    horizon_weeks: int
    step_weeks: int
    window_weeks: int

    def hit_rate(self, p: int) -> float | None:
        if self.forecasts.empty:
            return None
        return float((self.forecasts["actual"] >= self.forecasts[f"p{p}"]).mean())

    @property
    def hit_rate_p85(self) -> float | None:
        return self.hit_rate(85)

    def as_dict(self) -> dict:
        rows = [{"made_on": r.made_on.isoformat(), "horizon_end": r.horizon_end.isoformat(),
                 "history_weeks": int(r.history_weeks), "p50": int(r.p50), "p85": int(r.p85), "p95": int(r.p95),
                 "actual": int(r.actual), "hit": bool(r.hit)} for r in self.forecasts.itertuples()]
        rate = {p: self.hit_rate(p) for p in PERCENTILES}
        return {"hit_rate_p85": None if rate[85] is None else round(rate[85], 4),
                "hit_rate_p50": None if rate[50] is None else round(rate[50], 4),
                "hit_rate_p95": None if rate[95] is None else round(rate[95], 4),
                "horizon_weeks": self.horizon_weeks, "step_weeks": self.step_weeks,
                "window_weeks": self.window_weeks, "forecasts": rows}


def backtest_weeks(weeks: pd.DataFrame, rng: np.random.Generator, *, horizon_weeks: int = BACKTEST_HORIZON_WEEKS,
                   step_weeks: int = BACKTEST_STEP_WEEKS, window_weeks: int = THROUGHPUT_WEEKS,
                   min_history_weeks: int = MIN_HISTORY_WEEKS, sims: int = BACKTEST_SIMULATIONS,
                   block_weeks: int = 1) -> Backtest:
    """Backtest count forecasts on a weekly throughput series (``week_start``, ``throughput``).

    Forecasts are made at the start of every ``step_weeks``-th week, counting back from the last
    origin whose ``horizon_weeks`` have all happened, as long as at least ``min_history_weeks``
    weeks precede it. Each uses only the (up to) ``window_weeks`` weeks before its origin —
    exactly what :func:`forecast_by_date` would have seen then — and is compared with the
    items actually completed in the ``horizon_weeks`` that followed. One simulation matrix per
    forecast; rows oldest first.
    """
    counts = weeks["throughput"].to_numpy(dtype="int64")
    starts = pd.Series(weeks["week_start"]).reset_index(drop=True)
    last = len(counts) - horizon_weeks
    origins = list(range(last, min_history_weeks - 1, -step_weeks))[::-1]
    rows = []
    for origin in origins:  # one vectorised forecast per origin, never a loop per simulation
        history = counts[max(0, origin - window_weeks):origin]
        made_on = pd.Timestamp(starts[origin]).date()
        result = forecast_by_date(history, made_on + dt.timedelta(weeks=horizon_weeks), made_on, rng, sims,
                                  block_weeks=block_weeks)
        actual = int(counts[origin:origin + horizon_weeks].sum())
        rows.append({"made_on": made_on, "horizon_end": made_on + dt.timedelta(weeks=horizon_weeks),
                     "history_weeks": len(history), **{f"p{p}": result.percentiles[p] for p in PERCENTILES},
                     "actual": actual, "hit": actual >= result.percentiles[85]})
    columns = ["made_on", "horizon_end", "history_weeks", "p50", "p85", "p95", "actual", "hit"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        frame = frame.astype({c: "int64" for c in columns[2:7]} | {"hit": "bool"})
    return Backtest(frame, horizon_weeks, step_weeks, window_weeks)


def backtest(flow: pd.DataFrame, as_of, rng: np.random.Generator | None = None, *, timezone: str = "UTC",
             seed: int = 0, **options) -> Backtest:
    """Backtest the client's count forecasts over its whole history (see :func:`backtest_weeks`).

    Uses the complete weeks of :func:`complete_weeks` up to ``as_of``; ``rng`` defaults to
    ``numpy.random.default_rng(seed)``. Too short a history gives an empty backtest (hit rate
    None).
    """
    rng = rng if rng is not None else np.random.default_rng(seed)
    return backtest_weeks(complete_weeks(flow, as_of, timezone), rng, **options)


# --- one client's forecast ---------------------------------------------------------------------

@dataclass
class ClientForecast:
    """One client's forecast: the question, the simulation result, its history and its backtest."""

    client: str
    as_of: dt.date
    question: str  # "items" or "by"
    target: int | dt.date
    result: ItemsForecast | CountForecast
    backtest: Backtest
    window: pd.DataFrame  # the throughput history used: week_start, throughput
    scope_growth: float
    block_weeks: int
    seed: int
    simulations: int

    @property
    def percentiles(self) -> dict[int, dt.date | int | None]:
        """50/85/95 → finish date (``items``) or item count (``by``)."""
        return dict(self.result.dates) if self.question == "items" else dict(self.result.percentiles)

    def table(self) -> pd.DataFrame:
        """The answer as a small table for people: chance, then the date and weeks (items) or the count (by)."""
        rows = []
        for p, value in self.percentiles.items():
            if self.question == "items":
                weeks = self.result.weeks[p]
                rows.append({"chance": f"{p}%", "done by": value.isoformat() if value else "not within 10 years",
                             "weeks": int(weeks) if np.isfinite(weeks) else None})
            else:
                rows.append({"chance": f"{p}%", "at least (items)": value})
        return pd.DataFrame(rows)

    def as_dict(self) -> dict:
        """The ``opsdiag forecast --json`` shape (DESIGN §8) plus provenance keys."""
        values = {f"p{p}": (v.isoformat() if isinstance(v, dt.date) else v) for p, v in self.percentiles.items()}
        head = {"items": int(self.target)} if self.question == "items" else {"by": self.target.isoformat()}
        tp = self.window["throughput"]
        window = {"start": self.window["week_start"].iloc[0].date().isoformat() if len(tp) else None,
                  "end": (self.window["week_start"].iloc[-1] + pd.Timedelta(days=6)).date().isoformat()
                  if len(tp) else None,
                  "weeks": int(len(tp)), "mean_per_week": round(float(tp.mean()), 3) if len(tp) else None,
                  "median_per_week": float(tp.median()) if len(tp) else None}
        extra = ({"weeks": {f"p{p}": (None if not np.isfinite(w) else int(w)) for p, w in self.result.weeks.items()}}
                 if self.question == "items" else {"weeks": round(self.result.weeks, 3)})
        return {**head, **values, "backtest": self.backtest.as_dict(), "client": self.client,
                "as_of": self.as_of.isoformat(), "start": self.as_of.isoformat(), **extra,
                "throughput_window": window, "scope_growth_per_week": round(self.scope_growth, 4),
                "block_weeks": self.block_weeks, "simulations": self.simulations, "seed": self.seed}


def _by_date(by) -> dt.date:
    if isinstance(by, dt.date):
        return by
    try:
        return dt.date.fromisoformat(str(by)[:10])
    except ValueError:
        raise UsageError(f"--by {by!r}: expected a date like 2026-09-30") from None


def make_forecast(client, items: int | None = None, by=None, seed: int | None = None, *,
                  sims: int = SIMULATIONS, growth: float | None = None) -> ClientForecast:
    """Forecast "when will ``items`` be done" or "how many by ``by``" for a client, with a backtest.

    The forecast starts at the end of ``client.as_of_date`` and draws from the throughput of the
    last ``THROUGHPUT_WEEKS`` complete weeks (engagement timezone) in runs as long as the client's
    sprint (:func:`sprint_weeks`). Scope growth (items only) is measured over the same weeks
    (:func:`scope_growth`) unless ``growth`` is given. ``seed`` defaults to ``engagement.seed``;
    the forecast and the backtest (:func:`backtest`: a 4-week count forecast every week over the
    history) each draw from their own ``numpy.random.default_rng(seed)``, so the backtest does
    not depend on the question asked.

    Raises
    ------
    UsageError : neither or both of ``items`` / ``by``, ``items`` < 1, or ``by`` not after as_of.
    """
    if (items is None) == (by is None):
        raise UsageError("give exactly one of --items N or --by DATE")
    seed = client.engagement.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    timezone = client.engagement.timezone
    window = throughput_window(client.flow, client.as_of, timezone)
    block = sprint_weeks(client.dataset.sprints)
    start = client.as_of_date
    if items is not None:
        if int(items) < 1:
            raise UsageError(f"--items {items}: expected a whole number of items, at least 1")
        first = window["week_start"].iloc[0] if len(window) else None
        measured = scope_growth(client.flow, first, client.as_of) if growth is None else float(growth)
        result = forecast_items(window["throughput"], int(items), start, rng, sims, measured, block_weeks=block)
        question, target = "items", int(items)
    else:
        target = _by_date(by)
        if target <= start:
            raise UsageError(f"--by {target.isoformat()}: must be after the as-of date {start.isoformat()}")
        result = forecast_by_date(window["throughput"], target, start, rng, sims, block_weeks=block)
        question = "by"
    history = backtest(client.flow, client.as_of, np.random.default_rng(seed), timezone=timezone, block_weeks=block)
    if len(window) < MIN_HISTORY_WEEKS:
        log.warning("forecast: only %d complete weeks of throughput history (at least %d recommended)",
                    len(window), MIN_HISTORY_WEEKS)
    used = result.scope_growth if question == "items" else 0.0  # as capped by forecast_items
    return ClientForecast(client.name, start, question, target, result, history, window, used, block, seed, sims)


def render_forecast(result: dict) -> str:
    """The dict of ``ClientForecast.as_dict`` (``opsdiag.scale.forecast``) as plain text for the terminal."""
    lines = [f"{result.get('client', '')} — forecast as of {result['as_of']} "
             f"({result['simulations']:,} simulations, seed {result['seed']})".strip(" —"), ""]
    if "items" in result:
        lines.append(f"When will {result['items']} items be done?")
        for p in PERCENTILES:
            date, weeks = result[f"p{p}"], result["weeks"][f"p{p}"]
            lines.append(f"  {p}% chance: by {date} ({weeks} weeks)" if date else
                         f"  {p}% chance: not within {MAX_WEEKS} weeks")
    else:
        lines.append(f"How many items by {result['by']}?")
        for p in PERCENTILES:
            lines.append(f"  {p}% chance: at least {result[f'p{p}']} items")
    window = result["throughput_window"]
    if window["weeks"]:
        lines += ["", f"History: {window['weeks']} complete weeks from {window['start']} to {window['end']}, "
                      f"{window['mean_per_week']:.1f} items a week on average, drawn in "
                      f"{result['block_weeks']}-week runs."]
    if "items" in result:
        lines.append(f"Scope growth: {result['scope_growth_per_week']:.2f} new items per item completed "
                     "(work picked up within a week of arriving).")
    bt = result["backtest"]
    if bt["hit_rate_p85"] is None:
        lines.append("Backtest: not enough history yet.")
    else:
        lines.append(f"Backtest: {len(bt['forecasts'])} past forecasts of the next {bt['horizon_weeks']} weeks; "
                     f"the 85% count was reached {bt['hit_rate_p85']:.0%} of the time (calibrated forecasts: "
                     "about 85%).")
    return "\n".join(lines)

"""Synthetic work items for the sample clients: status histories, sprints, releases.

Used only by ``opsdiag.samples``. Every draw comes from one ``numpy.random.Generator`` in a fixed
order, so a seed gives the same frames every time. Histories are built per path variant (normal,
bounce-back, blocked detour, canceled) as a matrix of stay durations (items × steps) whose
cumulative sum gives the transition times; nothing loops over single transitions.

All samples share one Jira-like workflow (``WORKFLOW``); every sample's ``engagement.yaml`` pins
it explicitly, so the diagnosis reads the statuses exactly as the ground truth does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .schema import conform

DAY = pd.Timedelta(days=1)
FAR_FUTURE = pd.Timestamp("2200-01-01", tz="UTC")  # "not yet" in date comparisons
SPRINT = 14 * DAY

# status -> (phase, kind, owner, order). Queue statuses belong to whoever picks the work up
# next, so the owner changes between committed statuses are product→engineering (pick-up) and
# engineering→qa (review done), plus the two a bounce-back adds. There is no release-owned queue
# (items are deployed when QA passes; fix versions group them into releases).
WORKFLOW: dict[str, tuple[str, str, str, int]] = {
    "Backlog": ("backlog", "queue", "product", 0),
    "Selected for Development": ("committed", "queue", "product", 1),
    "In Progress": ("committed", "active", "engineering", 2),
    "Blocked": ("committed", "blocked", "engineering", 2),
    "In Review": ("committed", "queue", "engineering", 3),
    "Ready for QA": ("committed", "queue", "qa", 4),
    "In QA": ("committed", "active", "qa", 5),
    "Done": ("done", "active", "release", 6),
    "Won't Do": ("canceled", "active", "product", 7),
}
CATEGORY = {"backlog": "todo", "committed": "in_progress", "done": "done", "canceled": "done"}

_TAIL = ["In Review", "Ready for QA", "In QA", "Done"]
PATHS: dict[str, list[str]] = {
    "normal": ["Backlog", "Selected for Development", "In Progress", *_TAIL],
    "bounce": ["Backlog", "Selected for Development", "In Progress", "In Review", "Ready for QA",
               "In QA", "In Progress", *_TAIL],
    "blocked": ["Backlog", "Selected for Development", "In Progress", "Blocked", "In Progress", *_TAIL],
    "canceled_backlog": ["Backlog", "Won't Do"],
    "canceled_started": ["Backlog", "Selected for Development", "In Progress", "Won't Do"],
}
FLOW_TYPES = ("Story", "Task", "Bug")
HEALTHY_QUEUE = (0.05, 0.65)  # uniform days per queue stay: 3 stays < 2 handoffs × 1 day, always


@dataclass(frozen=True)
class FlowSpec:
    """How one sample's delivery behaves.

    Queue distributions are ``(lo, hi)`` uniform days or ``("gamma", mean_days)`` (shape 2).
    """

    key: str  # Jira project key, e.g. "ACME"
    teams: dict[str, float]  # team -> share of items
    labels: tuple[str, ...]  # feature areas; also the names of the product feature events
    n_items: int = 330  # stories, tasks and bugs
    n_epics: int = 8
    n_subtasks: int = 30
    queues: dict = field(default_factory=dict)  # queue status -> distribution (default healthy)
    pilot_queues: dict = field(default_factory=dict)  # the same for items the pilot covers
    bounce_share: float = 0.03
    pilot_bounce_share: float = 0.03
    blocked_share: float = 0.04
    long_work_share: float = 0.0  # items whose active work runs ×3 (sprint carry-over)
    planned_share: float = 0.88  # items selected at sprint planning (the rest: added mid-sprint)
    release_slip_weeks: float = 0.0  # mean slip of a release (0 = every release on time)
    overdue_releases: int = 0  # per team, the latest releases planned before as_of still unreleased
    pilot_team: str | None = None
    pilot_start: dt.date | None = None


def _draw(rng: np.random.Generator, dist, n: int) -> np.ndarray:
    if dist[0] == "gamma":
        return rng.gamma(2.0, dist[1] / 2.0, n)
    return rng.uniform(dist[0], dist[1], n)


def _days(values) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype=float), unit="D")


def sprint_calendar(teams, first_start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """14-day sprints per team (Monday 07:00 UTC to Friday 19:00 of week two) up to ``as_of``."""
    starts = pd.date_range(first_start, as_of, freq="14D")
    frames = []
    for team in teams:
        ends = starts + pd.Timedelta(days=11, hours=12)
        frames.append(pd.DataFrame({
            "sprint": [f"{team} Sprint {i}" for i in range(1, len(starts) + 1)], "team": team,
            "start": starts, "end": ends, "state": np.where(ends <= as_of, "closed", "active")}))
    return conform("sprints", pd.concat(frames, ignore_index=True))


def _sprint_position(sprints: pd.DataFrame, teams: np.ndarray, times) -> np.ndarray:
    """Sprints elapsed (fractional) between the team's first sprint start and ``times``."""
    first = pd.DatetimeIndex(sprints.drop_duplicates("team").set_index("team")["start"].reindex(teams))
    return ((pd.DatetimeIndex(times) - first) / SPRINT).to_numpy()


def _sprint_index(sprints: pd.DataFrame, teams: np.ndarray, times) -> np.ndarray:
    """Index of the sprint (of the item's team) running at ``times`` (−1 before the first)."""
    return np.floor(_sprint_position(sprints, teams, times))


def _path_transitions(path: list[str], rows: np.ndarray, start: pd.DatetimeIndex,
                      durations: np.ndarray) -> pd.DataFrame:
    """Transitions of one path variant: step i (path[i] → path[i+1]) at start + Σ durations[:i+1]."""
    n, steps = durations.shape
    offsets = _days(np.cumsum(durations, axis=1).ravel()).to_numpy().reshape(n, steps)
    at = start.tz_convert("UTC").tz_localize(None).to_numpy()[:, None] + offsets
    return pd.DataFrame({"row": np.repeat(rows, steps), "step": np.tile(np.arange(steps), n),
                         "at": pd.DatetimeIndex(at.ravel()).tz_localize("UTC"),
                         "from_status": np.tile(path[:-1], n), "to_status": np.tile(path[1:], n)})


def _variants(spec: FlowSpec, rng, n: int) -> np.ndarray:
    u = rng.random(n)
    return np.select([u < 0.03, u < 0.05, u < 0.05 + spec.blocked_share],
                     ["canceled_backlog", "canceled_started", "blocked"], "normal")


def _stay(rng, spec: FlowSpec, status: str, visit: int, work_median, pilot) -> np.ndarray:
    """Days of one stay in ``status`` (its ``visit``-th stay on the path), per item."""
    n = len(work_median)
    kind = WORKFLOW[status][1]
    if kind == "queue":
        usual = spec.queues.get(status, HEALTHY_QUEUE)
        normal = _draw(rng, usual, n)
        piloted = _draw(rng, spec.pilot_queues.get(status, usual), n)
        return np.where(pilot, piloted, normal)
    if kind == "blocked":
        return rng.uniform(1.0, 4.0, n)
    if status == "In QA":
        return np.minimum(rng.lognormal(np.log(0.8), 0.4, n), 4.0)
    median = work_median if visit == 1 else np.full(n, 1.0)  # rework after a bounce is shorter
    return np.minimum(rng.lognormal(np.log(median), 0.5), 30.0)


def _history(spec, rng, variant, base, work_median, pilot) -> pd.DataFrame:
    parts = []
    for name, path in PATHS.items():
        rows = np.flatnonzero(variant == name)
        if not len(rows):
            continue
        durations = np.zeros((len(rows), len(path) - 1))
        for i, status in enumerate(path[1:-1], start=1):
            visit = path[1:i + 1].count(status)
            durations[:, i] = _stay(rng, spec, status, visit, work_median[rows], pilot[rows])
        parts.append(_path_transitions(path, rows, pd.DatetimeIndex(base[rows]), durations))
    history = pd.concat(parts, ignore_index=True)
    history["at"] = history["at"].dt.round("min")
    return history


def _state(history: pd.DataFrame, n: int) -> pd.DataFrame:
    """Per row: status at as_of, first committed entry, last Done / Won't Do entry."""
    status = pd.Series("Backlog", index=pd.RangeIndex(n))
    last = history.groupby("row").tail(1).set_index("row")["to_status"]
    status.loc[last.index] = last
    phase = history["to_status"].map(lambda s: WORKFLOW[s][0])
    started = history[phase.eq("committed")].groupby("row")["at"].min().reindex(status.index)
    done = history[history["to_status"].eq("Done")].groupby("row")["at"].max().reindex(status.index)
    cancel = history[history["to_status"].eq("Won't Do")].groupby("row")["at"].max().reindex(status.index)
    return pd.DataFrame({"status": status, "started_at": started,
                         "completed_at": done.where(status.eq("Done")),
                         "canceled_at": cancel.where(status.eq("Won't Do"))})


def generate_items(spec: FlowSpec, rng: np.random.Generator, start: pd.Timestamp, as_of: pd.Timestamp,
                   sprints: pd.DataFrame, people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Stories, tasks and bugs with history, plus epics and sub-tasks.

    Items are created uniformly from ``start`` to five days before ``as_of``. Returns canonical
    ``work_items`` (with helper columns ``_selected`` and ``_planned``, dropped before writing)
    and ``transitions``; transitions after ``as_of`` are cut off.
    """
    n = spec.n_items
    span = (as_of - start) / DAY - 5.0
    created = (start + _days(np.sort(rng.uniform(0, span, n)))).round("min")  # keys in creation order
    teams = rng.choice(list(spec.teams), n, p=np.array(list(spec.teams.values())))
    types = rng.choice(FLOW_TYPES, n, p=[0.55, 0.25, 0.20])
    estimate = rng.choice([1.0, 2.0, 3.0, 5.0, 8.0], n, p=[0.15, 0.25, 0.30, 0.20, 0.10])
    variant = _variants(spec, rng, n)
    # pick-up: planned items enter "Selected" at the next sprint planning, the rest mid-sprint
    ready = created + _days(0.5 + rng.exponential(10.0, n))
    planned = rng.random(n) < spec.planned_share
    index = np.ceil(_sprint_position(sprints, teams, ready)).clip(min=0)  # next planning after ready
    first = pd.DatetimeIndex(sprints.drop_duplicates("team").set_index("team")["start"].reindex(teams))
    planning = first + _days(14.0 * index) + _days(rng.uniform(0.05, 0.2, n))
    selected = pd.DatetimeIndex(np.where(planned, planning, ready)).tz_convert("UTC")
    pilot = np.zeros(n, dtype=bool)
    if spec.pilot_team and spec.pilot_start:
        pilot = (teams == spec.pilot_team) & (selected >= pd.Timestamp(spec.pilot_start, tz="UTC"))
    bounce = rng.random(n) < np.where(pilot, spec.pilot_bounce_share, spec.bounce_share)
    variant = np.where((variant == "normal") & bounce, "bounce", variant)
    work_median = np.select([types == "Story", types == "Task"], [2.5, 1.8], 1.2) * np.sqrt(estimate / 3.0)
    long_work = rng.random(n) < spec.long_work_share
    work_median = np.where(long_work, work_median * 3.0, work_median)
    base = np.where(variant == "canceled_backlog", ready, selected)
    history = _history(spec, rng, variant, pd.DatetimeIndex(base).tz_convert("UTC"), work_median, pilot)
    history = history[history["at"] <= as_of].sort_values(["row", "at", "step"], kind="stable")
    state = _state(history, n)

    item_ids = np.array([f"{spec.key}-{i}" for i in range(1, n + 1)])
    labels = rng.choice(spec.labels, n)
    engineers = people[people["role"].eq("engineering")].groupby("team")["person"].apply(list)
    pick = rng.integers(0, 1000, n)
    items = pd.DataFrame({
        "item_id": item_ids, "title": _titles(types, labels, pick), "item_type": types,
        "project": spec.key, "team": teams, **state,
        "created_at": created, "priority": rng.choice(["Highest", "High", "Medium", "Low", "Lowest"], n,
                                                      p=[0.05, 0.2, 0.5, 0.2, 0.05]),
        "estimate": np.where(types == "Bug", np.nan, estimate),
        "labels": [(lab,) for lab in labels],
        "assignee": [engineers[t][j % len(engineers[t])] for t, j in zip(teams, pick)],
        "_selected": selected.where(state["started_at"].notna().to_numpy()), "_planned": planned,
    })
    transitions = pd.DataFrame({"item_id": item_ids[history["row"]], "at": history["at"].to_numpy(),
                                "from_status": history["from_status"].to_numpy(),
                                "to_status": history["to_status"].to_numpy()})
    epics, epic_moves, parent = _epics(spec, rng, items, start, as_of)
    items["parent_id"] = parent
    subtasks, sub_moves = _subtasks(spec, rng, items, as_of)
    items = pd.concat([items, epics, subtasks], ignore_index=True)
    transitions = pd.concat([transitions, epic_moves, sub_moves], ignore_index=True)
    items["status_category"] = items["status"].map(lambda s: CATEGORY[WORKFLOW[s][0]])
    items["resolution"] = items["status"].map({"Done": "Done", "Won't Do": "Won't Do"})
    items["source"] = transitions["source"] = "sample"
    return {"work_items": items, "transitions": transitions.sort_values(["item_id", "at"], kind="stable")}


def _titles(types, labels, pick) -> list[str]:
    verbs = {"Story": "Support", "Task": "Clean up", "Bug": "Fix"}
    return [f"{verbs[t]} {lab.replace('-', ' ')} {_NOUNS[j % len(_NOUNS)]}" for t, lab, j in zip(types, labels, pick)]


_NOUNS = ["for multi-site customers", "edge cases", "settings page", "API endpoint", "error handling",
          "performance", "CSV export", "permissions", "onboarding flow", "audit log", "retry logic",
          "mobile layout", "alerts", "report filters", "bulk actions", "timeouts", "empty states"]


def _epics(spec: FlowSpec, rng, items: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp):
    """Epics (one per feature area, round robin) spanning their children's work."""
    labels = [spec.labels[i % len(spec.labels)] for i in range(spec.n_epics)]
    epic_ids = [f"{spec.key}-{len(items) + i}" for i in range(1, spec.n_epics + 1)]
    by_label = dict(zip(labels, epic_ids))  # a later epic of the same area wins
    area = items["labels"].str[0]
    has_parent = (items["item_type"].ne("Bug") & area.isin(by_label) & (rng.random(len(items)) < 0.7)).to_numpy()
    parent = np.where(has_parent, area.map(by_label), None)
    kids = items.assign(parent_id=parent)[has_parent]
    still_open = kids["status"].map(lambda s: WORKFLOW[s][0]).isin(["backlog", "committed"])
    span = kids.assign(still_open=still_open).groupby("parent_id").agg(
        start=("started_at", "min"), end=("completed_at", "max"), open=("still_open", "sum"))
    span = span.reindex(epic_ids)
    finish = span["end"] + DAY
    finished = span["open"].eq(0) & finish.le(as_of)
    moves = pd.concat([
        pd.DataFrame({"item_id": span.index, "at": span["start"], "from_status": "Backlog", "to_status": "In Progress"}),
        pd.DataFrame({"item_id": span.index, "at": finish, "from_status": "In Progress", "to_status": "Done"})[finished],
    ]).dropna(subset=["at"])
    created = start - _days(rng.uniform(5, 40, spec.n_epics))  # planned before the history starts
    status = np.where(finished, "Done", np.where(span["start"].notna(), "In Progress", "Backlog"))
    epics = pd.DataFrame({
        "item_id": epic_ids, "title": [f"{lab.replace('-', ' ').title()} v2" for lab in labels],
        "item_type": "Epic", "project": spec.key, "team": kids.groupby("parent_id")["team"].agg(
            lambda s: s.mode().iloc[0]).reindex(epic_ids).fillna(list(spec.teams)[0]).to_numpy(),
        "status": status, "created_at": created.round("min"), "started_at": span["start"].to_numpy(),
        "completed_at": finish.where(finished).to_numpy(), "priority": "High",
        "labels": [(lab,) for lab in labels]})
    return epics, moves, parent


def _subtasks(spec: FlowSpec, rng, items: pd.DataFrame, as_of: pd.Timestamp):
    """Sub-tasks of started stories: opened at the parent's start, done within a day or two."""
    stories = items[items["item_type"].eq("Story") & items["started_at"].notna()]
    parents = stories.iloc[rng.choice(len(stories), spec.n_subtasks, replace=False)].reset_index(drop=True)
    n = len(parents)
    created = (parents["started_at"] + _days(rng.uniform(0.01, 0.3, n))).dt.round("min")
    begin = (created + _days(rng.uniform(0.0, 0.5, n))).dt.round("min")
    finish = (begin + _days(rng.uniform(0.2, 1.5, n))).dt.round("min")
    ids = [f"{spec.key}-{len(items) + spec.n_epics + i}" for i in range(1, n + 1)]
    moves = pd.concat([
        pd.DataFrame({"item_id": ids, "at": begin, "from_status": "Backlog", "to_status": "In Progress"}),
        pd.DataFrame({"item_id": ids, "at": finish, "from_status": "In Progress", "to_status": "Done"}),
    ], ignore_index=True)
    moves = moves[moves["at"] <= as_of]
    status = np.where(finish <= as_of, "Done", np.where(begin <= as_of, "In Progress", "Backlog"))
    subtasks = pd.DataFrame({
        "item_id": ids, "title": [f"Write tests for {t.lower()}" for t in parents["title"]],
        "item_type": "Sub-task", "project": spec.key, "team": parents["team"], "status": status,
        "created_at": created, "started_at": begin.where(begin <= as_of),
        "completed_at": finish.where(finish <= as_of), "priority": parents["priority"],
        "labels": parents["labels"], "assignee": parents["assignee"], "parent_id": parents["item_id"]})
    return subtasks, moves


def ranks_within(count: np.ndarray) -> np.ndarray:
    """0, 1, …, count−1 for each group, concatenated (the position of each repeated row)."""
    count = np.asarray(count, dtype=int)
    return np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)


def sprint_membership(items: pd.DataFrame, sprints: pd.DataFrame,
                      as_of: pd.Timestamp) -> tuple[pd.Series, pd.DataFrame]:
    """Sprints each selected item was in (in order) and the ``sprint`` field changes.

    An item joins the sprint running when it entered "Selected for Development" (at planning,
    2 h before the sprint starts, or at the moment it was selected when added mid-sprint) and is
    carried into every later sprint that starts before it is done or canceled.
    """
    flow = items[items["_selected"].notna()]
    end = flow["completed_at"].fillna(flow["canceled_at"]).fillna(as_of)
    teams = flow["team"].to_numpy()
    first = _sprint_index(sprints, teams, flow["_selected"]).astype(int)
    last = _sprint_index(sprints, teams, end).astype(int)
    count = last - first + 1
    row = np.repeat(np.arange(len(flow)), count)
    number = np.repeat(first, count) + ranks_within(count)
    names = pd.Series(teams[row]).str.cat(pd.Series(number + 1).astype(str), sep=" Sprint ")
    starts = pd.Series(pd.DatetimeIndex(sprints.set_index("sprint")["start"].reindex(names)))
    is_first = pd.Series(np.r_[True, row[1:] != row[:-1]] if len(row) else np.array([], bool))
    planned = pd.Series(flow["_planned"].to_numpy()[row])
    selected = pd.Series(pd.DatetimeIndex(flow["_selected"]).take(row))
    at = (starts - pd.Timedelta(hours=1)).mask(is_first, selected)
    at = at.mask(is_first & planned, starts - pd.Timedelta(hours=2))
    changes = pd.DataFrame({"item_id": flow["item_id"].to_numpy()[row], "at": at.to_numpy(),
                            "field": "sprint", "from_value": names.shift(1).where(~is_first).to_numpy(),
                            "to_value": names.to_numpy()})
    membership = names.groupby(row).agg(tuple)
    out = pd.Series([()] * len(items), index=items.index, dtype=object)
    out.loc[flow.index[membership.index]] = membership.to_numpy()
    return out, changes


def priority_changes(items: pd.DataFrame, rng: np.random.Generator, as_of: pd.Timestamp,
                     share: float = 0.06) -> pd.DataFrame:
    """One re-prioritisation for a few stories, tasks and bugs (healthy churn)."""
    flow = items[items["item_type"].isin(FLOW_TYPES)]
    chosen = flow[rng.random(len(flow)) < share]
    at = (chosen["created_at"] + _days(rng.uniform(1, 20, len(chosen)))).dt.round("min")
    earlier = np.where(chosen["priority"].isin(["Highest", "High"]), "Medium", "High")
    changes = pd.DataFrame({"item_id": chosen["item_id"], "at": at, "field": "priority",
                            "from_value": earlier, "to_value": chosen["priority"]})
    return changes[changes["at"] <= as_of]

"""Generate a large synthetic client for the performance benchmarks (not used by the tests).

One seeded ``numpy.random.Generator`` draws every value in a fixed order, so ``--items`` and
``--seed`` give the same files every time. Histories are built without looping over single
transitions: each item's path is a sequence of workflow *segments* (start, back to backlog,
blocked detour, QA bounce-backs, finish, release, cancel) drawn as per-item counts, expanded
with ``numpy.repeat``, and timed by a cumulative sum of stay durations per item.

Writes three client folders under ``--out`` (default ``benchmarks/_data/``, git-ignored):

- ``templates/`` — opsdiag templates: ``work_items.csv``, ``transitions.csv`` (about ten
  transitions per item), ``people.csv``, ``tools.csv``, ``releases.csv``, ``feedback.csv``,
  ``events.csv`` and an ``engagement.yaml``;
- ``jira_csv/`` — the same items as one Jira Cloud "all fields" CSV export
  (``opsdiag.ingest.jira_csv.write_jira_csv``; no history, as Jira's CSV has none);
- ``jira_json/`` — the same items with their changelog as Cloud ``/rest/api/3/search/jql``
  pages of ``--page-size`` issues (``opsdiag.ingest.jira_json.write_search_pages``).

``manifest.json`` records the sizes and the time each part took to write.

Usage::

    python benchmarks/generate.py --items 100000 [--out benchmarks/_data] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gen_common import (AS_OF, DAY_S, DEFAULT_OUT, HISTORY_DAYS, LABELS, POINTS, PRIORITIES, PRIORITY_SHARE,
                        PROJECTS, TEAM_SHARE, TEAMS, TYPE_SHARE, TYPES, iso, json_lists, utc)
from gen_side import events, feedback, people, tools

log = logging.getLogger("benchmarks.generate")

# The workflow (DESIGN §5 names, so inference maps every status without config) and the mean
# stay in each status, in days (gamma, shape 1.5).
STATUSES = ["Backlog", "Selected for Development", "In Progress", "Blocked", "In Review",
            "Ready for QA", "In QA", "Done", "Released", "Won't Do"]
MEAN_STAY = np.array([15.0, 2.0, 3.0, 4.0, 1.5, 2.5, 1.0, 5.0, 1.0, 1.0])
CATEGORY = np.array(["todo", "in_progress", "in_progress", "in_progress", "in_progress", "in_progress",
                     "in_progress", "done", "done", "done"], dtype=object)
BACKLOG, SELECTED, DONE, RELEASED, WONT_DO = 0, 1, 7, 8, 9

# Segments of a path, in the order they occur; an item's path is a count of each.
SEGMENTS = [
    ("start", [1, 2]),                 # Selected for Development, In Progress
    ("backlog_return", [0, 1, 2]),     # back to Backlog, then picked up again
    ("blocked", [3, 2]),               # Blocked, back to In Progress
    ("review_rework", [4, 2]),         # In Review, changes requested: back to In Progress
    ("bounce", [4, 5, 6, 2]),          # In Review, Ready for QA, In QA, bounced to In Progress
    ("finish", [4, 5, 6, 7]),          # In Review, Ready for QA, In QA, Done
    ("release", [8]),                  # Released
    ("cancel", [9]),                   # Won't Do
]
SEG_LEN = np.array([len(s) for _, s in SEGMENTS])
SEG_OFFSET = np.r_[0, np.cumsum(SEG_LEN)[:-1]]
SEG_FLAT = np.concatenate([s for _, s in SEGMENTS])


def histories(rng: np.random.Generator, n: int, created_s: np.ndarray) -> pd.DataFrame:
    """Status histories of ``n`` items: item index, time (epoch s), from and to status codes.

    Paths: 4 % canceled from the backlog, 4 % canceled after starting, the rest start, may go
    back to the backlog (10 %), be blocked (30 %), go back from review to In Progress (30 %),
    bounce back from QA (Poisson, mean 0.8, at most 4 times), finish, and be released (50 %). Only transitions up to ``AS_OF`` are kept.
    """
    kind = rng.random(n)
    canceled_backlog = kind < 0.04
    canceled_started = (kind >= 0.04) & (kind < 0.08)
    flows = ~(canceled_backlog | canceled_started)
    counts = np.zeros((n, len(SEGMENTS)), dtype=np.int64)
    counts[:, 0] = ~canceled_backlog
    counts[:, 1] = flows & (rng.random(n) < 0.10)
    counts[:, 2] = ~canceled_backlog & (rng.random(n) < 0.30)
    counts[:, 3] = flows & (rng.random(n) < 0.30)
    counts[:, 4] = np.where(flows, np.minimum(rng.poisson(0.8, n), 4), 0)
    counts[:, 5] = flows
    counts[:, 6] = flows & (rng.random(n) < 0.50)
    counts[:, 7] = ~flows
    segment = np.repeat(np.tile(np.arange(len(SEGMENTS)), n), counts.ravel())
    segment_item = np.repeat(np.repeat(np.arange(n), len(SEGMENTS)), counts.ravel())
    length = SEG_LEN[segment]
    total = int(length.sum())
    owner = np.repeat(np.arange(len(segment)), length)
    within = np.arange(total) - np.repeat(np.cumsum(length) - length, length)
    to_status = SEG_FLAT[SEG_OFFSET[segment[owner]] + within]
    item = segment_item[owner]
    first = np.r_[True, item[1:] != item[:-1]]
    from_status = np.r_[BACKLOG, to_status[:-1]]
    from_status[first] = BACKLOG
    # gap before each transition = the stay in its from-status (the backlog stay for the first)
    stay = rng.gamma(1.5, MEAN_STAY[from_status] / 1.5)
    gap = np.maximum(np.round(stay * DAY_S), 60).astype(np.int64)
    cumulative = np.cumsum(gap)
    group_start = np.flatnonzero(first)
    group_len = np.diff(np.r_[group_start, total])
    offset = cumulative - np.repeat(cumulative[group_start] - gap[group_start], group_len)
    at = created_s[item] + offset
    keep = at <= int(AS_OF.timestamp())
    return pd.DataFrame({"item": item[keep], "at": at[keep], "from": from_status[keep], "to": to_status[keep]})


def work_items(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Item attributes that do not depend on history (ids, team, type, labels, estimate …)."""
    team = rng.choice(len(TEAMS), n, p=TEAM_SHARE)
    number = pd.Series(team).groupby(team).cumcount().to_numpy() + 1
    ids = np.array(PROJECTS, dtype=object)[team] + "-" + number.astype(str).astype(object)
    created = int(AS_OF.timestamp()) - rng.integers(0, HISTORY_DAYS * DAY_S, n)
    item_type = np.array(TYPES, dtype=object)[rng.choice(len(TYPES), n, p=TYPE_SHARE)]
    estimate = POINTS[rng.integers(0, len(POINTS), n)]
    estimate[rng.random(n) < 0.2] = np.nan
    label_mask = np.zeros(n, dtype=np.int64)
    for _ in range(2):  # up to two labels per item
        pick = rng.integers(0, len(LABELS), n)
        label_mask |= np.where(rng.random(n) < 0.6, 1 << pick, 0)
    # sub-tasks belong to an earlier story of the same team; epics parent nobody here
    parent = np.full(n, None, dtype=object)
    is_sub = item_type == "Sub-task"
    parent[is_sub & (number > 1)] = (np.array(PROJECTS, dtype=object)[team] + "-"
                                     + (number - 1).astype(str).astype(object))[is_sub & (number > 1)]
    return pd.DataFrame({
        "item_id": ids, "title": "Work item " + pd.Series(np.arange(1, n + 1)).astype(str),
        "item_type": item_type, "project": np.array(PROJECTS, dtype=object)[team],
        "team": np.array(TEAMS, dtype=object)[team],
        "priority": np.array(PRIORITIES, dtype=object)[rng.choice(len(PRIORITIES), n, p=PRIORITY_SHARE)],
        "estimate": estimate, "_labels": label_mask, "parent_id": parent, "_team": team, "_created": created,
        "assignee": "Engineer " + pd.Series(team * 20 + rng.integers(0, 20, n)).astype(str).str.zfill(3),
    })


def lifecycle(items: pd.DataFrame, hist: pd.DataFrame) -> pd.DataFrame:
    """Status, category, resolution and started/completed/canceled seconds from the history."""
    n = len(items)
    last = hist.groupby("item", sort=False).tail(1)
    status = np.zeros(n, dtype=np.int64)
    status[last["item"].to_numpy()] = last["to"].to_numpy()
    started = np.full(n, -1, dtype=np.int64)
    first_start = hist[hist["to"] == SELECTED].groupby("item")["at"].min()
    started[first_start.index.to_numpy()] = first_start.to_numpy()
    finished = np.full(n, -1, dtype=np.int64)
    finished[last["item"].to_numpy()] = last["at"].to_numpy()
    done = np.isin(status, [DONE, RELEASED])
    canceled = status == WONT_DO
    resolution = np.where(done, "Done", np.where(canceled, "Won't Do", None)).astype(object)
    return items.assign(
        status=np.array(STATUSES, dtype=object)[status], status_category=CATEGORY[status], resolution=resolution,
        _started=started, _completed=np.where(done, finished, -1), _canceled=np.where(canceled, finished, -1))


def sprint_names(items: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each started item's sprint (the team's 14-day sprint holding its start) and the sprint table."""
    first_monday = int(pd.Timestamp("2024-06-03", tz="UTC").timestamp())
    length = 14 * DAY_S
    started = items["_started"].to_numpy()
    number = np.where(started >= first_monday, (started - first_monday) // length + 1, 0)
    team = items["team"].to_numpy(dtype=object)
    names = np.where(number > 0, team + " Sprint " + number.astype(str).astype(object), None)
    used = pd.DataFrame({"sprint": names, "team": team, "number": number}).dropna().drop_duplicates("sprint")
    start = first_monday + (used["number"].to_numpy() - 1) * length
    sprints = pd.DataFrame({"sprint": used["sprint"].to_numpy(), "team": used["team"].to_numpy(),
                            "start": utc(start), "end": utc(start + length),
                            "state": np.where(start + length <= AS_OF.timestamp(), "closed", "active")})
    return names, sprints


def release_names(rng: np.random.Generator, items: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Done items' fix version (the team's monthly release after completion) and the releases table.

    The table's dates are epoch seconds (-1 = not released yet).
    """
    completed = items["_completed"].to_numpy()
    month = pd.to_datetime(np.where(completed >= 0, completed, 0), unit="s").to_period("M")
    label = np.where(completed >= 0, items["team"].to_numpy(dtype=object) + " " + month.strftime("%Y.%m").to_numpy(
        dtype=object), None)
    used = pd.DataFrame({"release": label, "team": items["team"].to_numpy(dtype=object), "month": month})
    used = used.dropna(subset=["release"]).drop_duplicates("release").sort_values("release", ignore_index=True)
    planned = (used["month"] + 1).dt.to_timestamp().to_numpy().astype("datetime64[s]").astype(np.int64) + 3 * DAY_S
    slip = np.round(rng.gamma(1.0, 4.0, len(used)) * DAY_S).astype(np.int64)
    released = np.where(planned + slip <= AS_OF.timestamp(), planned + slip, -1)
    releases = pd.DataFrame({"release": used["release"], "team": used["team"], "planned_date": planned,
                             "released_date": released,
                             "status": np.where(released >= 0, "released", "unreleased")})
    return label, releases


def engagement_yaml(name: str) -> str:
    return (f"client: {name}\ntimezone: UTC\ncurrency: EUR\nas_of: {AS_OF.date().isoformat()}\nseed: 0\n")


def write_templates(folder: Path, items: pd.DataFrame, hist: pd.DataFrame, side: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(engagement_yaml("Benchmark Co (templates)"), encoding="utf-8")
    ids = items["item_id"].to_numpy(dtype=object)
    status = np.array(STATUSES, dtype=object)
    transitions = pd.DataFrame({"item_id": ids[hist["item"].to_numpy()],
                                "at": iso(hist["at"].to_numpy()),
                                "from_status": status[hist["from"].to_numpy()],
                                "to_status": status[hist["to"].to_numpy()]})
    transitions.to_csv(folder / "transitions.csv", index=False)
    columns = ["item_id", "title", "item_type", "project", "team", "status", "status_category", "created_at",
               "resolution", "priority", "estimate", "labels", "sprints", "releases", "assignee", "parent_id"]
    frame = items.assign(created_at=iso(items["_created"].to_numpy()),
                         labels=json_lists(items["_labels"].to_numpy(), LABELS),
                         sprints=np.where(items["_sprint"].notna(), "[\"" + items["_sprint"].astype("object")
                                          .fillna("") + "\"]", "[]"),
                         releases=np.where(items["_release"].notna(), "[\"" + items["_release"].astype("object")
                                           .fillna("") + "\"]", "[]"))
    frame[columns].to_csv(folder / "work_items.csv", index=False)
    for name, table in side.items():
        table.to_csv(folder / f"{name}.csv", index=False)


def canonical_items(items: pd.DataFrame) -> pd.DataFrame:
    """Items in canonical shape (tz-aware times, tuples) for the Jira writers."""
    labels = items["_labels"].to_numpy()
    label_sets = {mask: tuple(LABELS[i] for i in range(len(LABELS)) if mask >> i & 1) for mask in np.unique(labels)}
    return pd.DataFrame({
        "item_id": items["item_id"], "title": items["title"], "item_type": items["item_type"],
        "project": items["project"], "team": items["team"], "status": items["status"],
        "status_category": items["status_category"], "created_at": utc(items["_created"].to_numpy()),
        "started_at": utc(items["_started"].to_numpy()), "completed_at": utc(items["_completed"].to_numpy()),
        "canceled_at": utc(items["_canceled"].to_numpy()), "resolution": items["resolution"],
        "priority": items["priority"], "estimate": items["estimate"],
        "labels": pd.Series(labels).map(label_sets),
        "sprints": items["_sprint"].map(lambda s: (s,) if isinstance(s, str) else ()),
        "releases": items["_release"].map(lambda r: (r,) if isinstance(r, str) else ()),
        "assignee": items["assignee"], "parent_id": items["parent_id"],
    })


def priority_changes(rng: np.random.Generator, items: pd.DataFrame) -> pd.DataFrame:
    """A priority change on 10 % of items, a day after creation (Jira changelog field changes)."""
    pick = np.flatnonzero(rng.random(len(items)) < 0.1)
    at = items["_created"].to_numpy()[pick] + DAY_S
    keep = at <= AS_OF.timestamp()
    return pd.DataFrame({"item_id": items["item_id"].to_numpy()[pick][keep], "at": utc(at[keep]),
                         "field": "priority", "from_value": "Medium",
                         "to_value": items["priority"].to_numpy()[pick][keep]})


def generate(n_items: int, out: Path, seed: int = 0, page_size: int = 100,
             formats: tuple[str, ...] = ("templates", "jira_csv", "jira_json")) -> dict:
    """Write the benchmark client folders for ``n_items`` items; returns the manifest."""
    rng = np.random.default_rng(seed)
    timings = {}
    clock = time.perf_counter()
    items = work_items(rng, n_items)
    hist = histories(rng, n_items, items["_created"].to_numpy())
    items = lifecycle(items, hist)
    sprint, sprints = sprint_names(items)
    release, releases = release_names(rng, items)
    items = items.assign(_sprint=sprint, _release=release)
    side = {"people": people(rng, n_items), "tools": tools(), "feedback": feedback(rng, items),
            "events": events(rng, 2 * n_items)}
    side["releases"] = releases.assign(planned_date=iso(releases["planned_date"]),
                                       released_date=iso(releases["released_date"]))
    changes = priority_changes(rng, items)
    timings["draw"] = time.perf_counter() - clock
    out.mkdir(parents=True, exist_ok=True)
    if "templates" in formats:
        clock = time.perf_counter()
        write_templates(out / "templates", items, hist, side)
        timings["templates"] = time.perf_counter() - clock
    canonical = canonical_items(items) if {"jira_csv", "jira_json"} & set(formats) else None
    if "jira_csv" in formats:
        from opsdiag.ingest.jira_csv import write_jira_csv

        clock = time.perf_counter()
        folder = out / "jira_csv"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "engagement.yaml").write_text(engagement_yaml("Benchmark Co (Jira CSV)"), encoding="utf-8")
        write_jira_csv(canonical, folder / "jira_export.csv")
        timings["jira_csv"] = time.perf_counter() - clock
    if "jira_json" in formats:
        from opsdiag.ingest.jira_json import write_search_pages

        clock = time.perf_counter()
        folder = out / "jira_json"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("jira_search_*.json"):  # a smaller earlier run must not leave pages behind
            old.unlink()
        (folder / "engagement.yaml").write_text(engagement_yaml("Benchmark Co (Jira JSON)"), encoding="utf-8")
        ids = items["item_id"].to_numpy(dtype=object)
        status = np.array(STATUSES, dtype=object)
        transitions = pd.DataFrame({"item_id": ids[hist["item"].to_numpy()], "at": utc(hist["at"].to_numpy()),
                                    "from_status": status[hist["from"].to_numpy()],
                                    "to_status": status[hist["to"].to_numpy()]})
        write_search_pages(canonical, transitions, changes, folder, page_size=page_size, api="jql",
                           sprints=sprints, releases=releases.assign(
                               planned_date=utc(releases["planned_date"].to_numpy()),
                               released_date=utc(releases["released_date"].to_numpy())))
        timings["jira_json"] = time.perf_counter() - clock
    manifest = {"items": n_items, "transitions": len(hist), "seed": seed, "page_size": page_size,
                "as_of": AS_OF.date().isoformat(), "formats": list(formats),
                "side_rows": {k: len(v) for k, v in side.items()},
                "write_seconds": {k: round(v, 2) for k, v in timings.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="work items (default 100000)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default benchmarks/_data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=100, help="issues per Jira search page (default 100)")
    parser.add_argument("--formats", default="templates,jira_csv,jira_json",
                        help="comma-separated subset of templates,jira_csv,jira_json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    manifest = generate(args.items, args.out, seed=args.seed, page_size=args.page_size, formats=formats)
    log.info("wrote %s: %d items, %d transitions (%s)", args.out, manifest["items"], manifest["transitions"],
             ", ".join(f"{k} {v}s" for k, v in manifest["write_seconds"].items()))


if __name__ == "__main__":
    main()

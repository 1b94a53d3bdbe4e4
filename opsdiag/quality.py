"""Data-quality checks that need the workflow mapping (run after ingest, on the whole client).

Each check is a function ``check_x(client) -> list[QualityFinding]`` registered in ``CHECKS``;
it returns one finding when it fires and ``[]`` on clean data. A finding carries the check id
(snake_case), a severity (``info`` | ``warning``), a count and up to 10 example ids (item ids,
or the raw status names for ``unmapped_statuses``), plus a one-line message for ``inspect`` and
the report. Checks read ``client.dataset``, ``client.mapping``, ``client.flow`` and
``client.as_of``; they never change them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import QualityFinding
from .text import arrow_text
from .workflow_calendar import history_index, to_naive_utc
from .workflow_rules import PHASES

MAX_EXAMPLES = 10


def _distinct_ids(ids) -> list[str]:
    """``ids`` as text without repeats, in order of first appearance (Arrow's ``unique`` for
    Arrow-backed text without missing values, not a Python string per id)."""
    text = arrow_text(ids)
    if text is not None and not text.null_count:
        import pyarrow.compute as pc

        return pc.unique(text).to_pylist()
    return list(dict.fromkeys(str(i) for i in ids))


def _finding(check: str, severity: str, ids, message: str) -> list[QualityFinding]:
    ids = _distinct_ids(ids)
    if not ids:
        return []
    return [QualityFinding(check=check, severity=severity, count=len(ids),
                           examples=ids[:MAX_EXAMPLES], message=message.replace("{n}", str(len(ids))))]


def _phase_codes(client, history) -> np.ndarray:
    """The mapped phase of each of ``history.statuses`` (the transitions' statuses) as a
    position in ``PHASES``, -1 when unmapped; then -1 again, for status code -1 (missing)."""
    phases = dict(zip(client.mapping["status"], client.mapping["phase"]))
    rank = {phase: i for i, phase in enumerate(PHASES)}
    return np.array([rank.get(phases.get(s), -1) for s in history.statuses] + [-1], dtype=np.int64)


def check_unmapped_statuses(client) -> list[QualityFinding]:
    """Statuses neither the name rules, the status category nor the config could map.

    They are counted as committed/active work with owner unknown. Count = statuses;
    examples = the status names (what to add to ``workflow.statuses``). Severity warning.
    """
    unmapped = client.mapping[client.mapping["source"].eq("unmapped")]
    if unmapped.empty:
        return []
    names = unmapped["status"].astype(str).tolist()
    shown = ", ".join(f"{s!r}" for s in names[:MAX_EXAMPLES])
    return [QualityFinding(
        "unmapped_statuses", "warning", len(names), names[:MAX_EXAMPLES],
        f"{len(names)} status(es) could not be mapped from their name or category and count as "
        f"in-progress work: {shown}; map them under workflow.statuses in engagement.yaml")]


def check_done_without_resolved_date(client) -> list[QualityFinding]:
    """Items done at ``as_of`` with no completion date: no history and an empty ``completed_at``.

    Such items are missing from throughput and cycle time (e.g. a Jira workflow that never
    sets a resolution). Severity warning; examples are item ids.
    """
    flow = client.flow
    done = flow.loc[flow["phase"].eq("done") & ~flow["has_history"], "item_id"]
    if done.empty:
        return []
    items = client.dataset.work_items[["item_id", "completed_at"]].drop_duplicates("item_id")
    items = items.set_index("item_id")
    own_completed = done.map(items["completed_at"]) if len(items) else done.map({})
    return _finding("done_without_resolved_date", "warning", done[own_completed.isna()],
                    "{n} item(s) are done but have no completion date and no status history; "
                    "they are left out of throughput and cycle time")


def _before(client, later: str, earlier: str) -> pd.Series:
    """Item ids where ``later`` < ``earlier`` in the derived flow or in the item's own columns."""
    flow = client.flow
    items = client.dataset.work_items
    bad_flow = flow.loc[flow[later] < flow[earlier], "item_id"]
    bad_own = items.loc[items[later] < items[earlier], "item_id"]
    return pd.concat([bad_flow, bad_own], ignore_index=True)


def check_completed_before_created(client) -> list[QualityFinding]:
    """Items whose completion date is earlier than their creation date.

    Compares ``completed_at`` with ``created_at`` both as derived (``client.flow``) and as
    given by the source (``work_items``). Lead time is left empty for them. Severity warning.
    """
    return _finding("completed_before_created", "warning", _before(client, "completed_at", "created_at"),
                    "{n} item(s) were completed before they were created; their lead time is left out")


def check_completed_before_started(client) -> list[QualityFinding]:
    """Items whose completion date is earlier than their start date (derived or source columns).

    Cycle time is left empty for them. Severity warning.
    """
    return _finding("completed_before_started", "warning", _before(client, "completed_at", "started_at"),
                    "{n} item(s) were completed before they were started; their cycle time is left out")


def check_created_in_progress(client) -> list[QualityFinding]:
    """Items whose history starts in a committed status.

    Fires when an item's first transition leaves a committed status (its ``from_status``), or
    has no ``from_status`` and enters a committed status (created straight into a column
    such as "In Progress"). Their start is the creation time, or the first transition when
    creation is unknown, so cycle time may be understated. Severity info.
    """
    history = history_index(client.dataset.transitions)
    codes = history.codes
    if not len(codes):
        return []
    first = history.starts  # each item's first transition, items in id order
    from_code, to_code = history.from_code[history.rows[first]], history.row_to[first]
    start_phase = _phase_codes(client, history)[np.where(from_code >= 0, from_code, to_code)]
    hit = start_phase == PHASES.index("committed")
    return _finding("created_in_progress", "info", history.ids[codes[first][hit]],
                    "{n} item(s) start their history in an in-progress status (created in "
                    "progress, or history cut off); their start is approximate")


def check_moved_backwards(client) -> list[QualityFinding]:
    """Items moved from done back to backlog or in progress, or from committed to backlog.

    Counted on transitions up to ``as_of``. Reopened items finish at their last done (DESIGN
    §5); moves back to backlog follow ``workflow.backward_moves``. Severity info.
    """
    t = client.dataset.transitions
    history = history_index(t)
    phase = _phase_codes(client, history)
    backlog, committed, done = (PHASES.index(p) for p in ("backlog", "committed", "done"))
    # which (from, to) status pairs are backward moves, then one lookup per transition
    source, target = np.meshgrid(phase, phase, indexing="ij")
    backward = ((source == done) & ((target == backlog) | (target == committed))) | (
        (source == committed) & (target == backlog))
    limit = to_naive_utc(pd.Series([client.as_of]))[0]
    policy = client.engagement.workflow.backward_moves
    message = ("{n} item(s) moved backwards (done → not done, or in progress → backlog); "
               f"backward_moves: {policy}")
    # every move back leaves a done status or enters a backlog one: only those (few) are looked up
    leaves_done, enters_backlog = phase == done, phase == backlog  # code -1: the last entry (no phase)
    maybe = np.flatnonzero(leaves_done[history.from_code] | enters_backlog[history.to_code])
    back = maybe[backward[history.from_code[maybe], history.to_code[maybe]]]
    back = back[history.at[back] <= limit]  # NaT compares False
    return _finding("moved_backwards", "info", t["item_id"].iloc[back], message)


def check_no_history(client) -> list[QualityFinding]:
    """Items without any transition while other items have a status history.

    Their dates come from the item's own columns and their time by status is unknown.
    Silent when no item has history (then every item is measured the same way). Severity
    warning.
    """
    flow = client.flow
    if not flow["has_history"].any():
        return []
    without = flow.loc[~flow["has_history"], "item_id"]  # work items all (flow adds items only with history)
    return _finding("no_history", "warning", without,
                    "{n} item(s) have no status history while others do; their dates come "
                    "from the item's own fields")


def check_timestamps_after_as_of(client) -> list[QualityFinding]:
    """Items with a timestamp (created/started/completed/canceled, or a transition) after ``as_of``.

    Everything after ``as_of`` is ignored when taking state at ``as_of``. Severity info.
    """
    items, moves = client.dataset.work_items, client.dataset.transitions
    late = np.zeros(len(items), dtype=bool)
    for column in ("created_at", "started_at", "completed_at", "canceled_at"):
        late |= (items[column] > client.as_of).fillna(False).to_numpy(dtype=bool)
    # the transitions' times as the history index holds them (naive UTC; NaT compares False); their
    # ids taken only when some are late (Arrow joins a million ids' chunks to take even none)
    moved_late = np.flatnonzero(history_index(moves).at > to_naive_utc(pd.Series([client.as_of]))[0])
    late_moves = moves["item_id"].iloc[moved_late] if len(moved_late) else moves["item_id"].iloc[:0]
    ids = pd.concat([items.loc[late, "item_id"], late_moves])
    return _finding("timestamps_after_as_of", "info", ids,
                    "{n} item(s) have timestamps after as_of "
                    f"({client.as_of:%Y-%m-%d %H:%M} UTC); those are ignored")


def check_excluded_types(client) -> list[QualityFinding]:
    """Items left out of flow metrics because of their type (epics, sub-tasks, pull requests …).

    The message counts them by type and names the config key that excludes them. Severity
    info.
    """
    flow = client.flow
    hit = flow["excluded_reason"].str.startswith("type", na=False)
    if not hit.any():
        return []
    by_type = flow.loc[hit, "item_type"].fillna("(no type)").value_counts()
    detail = ", ".join(f"{t}: {n}" for t, n in by_type.items())
    reason = flow.loc[hit, "excluded_reason"].iloc[0]
    return _finding("excluded_types", "info", flow.loc[hit, "item_id"],
                    "{n} item(s) excluded from flow metrics by type (" + detail + "; " + reason + ")")


CHECKS: list = [
    check_unmapped_statuses,
    check_done_without_resolved_date,
    check_completed_before_created,
    check_completed_before_started,
    check_created_in_progress,
    check_moved_backwards,
    check_no_history,
    check_timestamps_after_as_of,
    check_excluded_types,
]


def run_checks(client) -> list:
    """Every cross-source check as a list of ``QualityFinding`` (see ``CHECKS``)."""
    return [finding for check in CHECKS for finding in check(client)]

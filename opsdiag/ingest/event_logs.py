"""Ticket event logs (one row per status update) → work items, transitions and field changes.

Three shapes are recognised by their headers:

- **ServiceNow incident log** (``number, incident_state, …, sys_updated_at``; the UCI
  "incident management process" log): every row is a full snapshot of the record after an
  update. ``?`` is the null marker; times are day-first ``29-02-2016 01:16`` (ISO also read);
  ``sys_mod_count`` orders updates within the same minute. item_type ``Incident``.
- **Activity log** (Helpdesk / Disco / ProM CSV: ``Case ID, Activity, Resource, Complete
  Timestamp, …``; repeated headers such as ``Variant`` are tolerated; ``2012/10/09
  14:50:17.000``). The activity is the status the ticket moves to. item_type ``Ticket``.
- **XES-style CSV** (``case:concept:name, concept:name, lifecycle:transition, time:timestamp``,
  BPI Challenge logs). The status is ``<concept:name>/<lifecycle:transition>``
  (``Accepted/In Progress``) unless the lifecycle column only holds the standard XES lifecycle
  (start/complete/…), then just ``concept:name``. item_type ``Problem`` for the BPIC 2013 Volvo
  IT shape (``impact`` and ``product`` columns), else ``Ticket``.

Shared rules (``events_to_tables``):

- Events are sorted by time within each item (file order, or ``sys_mod_count``, breaks ties); a
  log whose times go backwards inside an item is noted (``event_log_unsorted``), not rejected.
- A transition is an event whose status differs from the item's previous event; consecutive
  rows in the same status (comments, reassignments) are not transitions. Each item's first
  event is a transition from no status (``from_status`` empty).
- ``created_at`` = the source's opened/created time, else the first event. The first status is
  taken to hold from ``created_at`` when that is earlier and the first row is the record's
  creation (ServiceNow ``sys_mod_count`` 0), so time in *New* starts when the ticket was opened.
- Priority and team (assignment group) changes between consecutive events become
  ``field_changes`` (fields ``priority`` and ``team``).
- The item's status is its last event's; ``status_category`` comes from the status name:
  cancel/invalid/duplicate/reject/withdraw → done with that resolution (``canceled_at``);
  close/resolve/complete/done/verified/solved → done; new/open/queued/insert/unmatched/
  backlog/awaiting assignment/assign seriousness/triage → todo; anything else → in_progress.
  ``completed_at`` = the source's resolved time, else the entry into the trailing run of done
  statuses (Resolved → Closed completes at Resolved).
- ``project`` names the support process (``ServiceNow incidents``, ``Helpdesk tickets``,
  ``Problem management``) and ``source`` the log format, so reports can tell support work from
  product work.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .base import Format, Probe, ReadContext, parse_numbers, parse_times, read_csv

log = logging.getLogger(__name__)

CANCELED = r"cancel|invalid|duplicate|reject|withdr[ae]w|won.?t|abort|not.?planned"
DONE = r"close|resolve|complete|\bdone\b|verified|solved|fixed"
TODO = (r"\bnew\b|\bopen\b|queued|\binsert|unmatched|backlog|awaiting assignment|"
        r"assign seriousness|\btriage|\bto ?do\b")
XES_LIFECYCLE = {"schedule", "assign", "reassign", "start", "suspend", "resume", "pi_abort",
                 "ate_abort", "complete", "autoskip", "manualskip", "withdraw"}
CHANGE_FIELDS = ("priority", "team")


def status_categories(status: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(status_category, canceled)`` per status name (rules in the module docstring)."""
    names = pd.Series(status.dropna().unique(), dtype="str")
    lower = names.str.lower()
    canceled = lower.str.contains(CANCELED)
    category = np.select([canceled | lower.str.contains(DONE), lower.str.contains(TODO)],
                         ["done", "todo"], "in_progress")
    by_name = pd.DataFrame({"category": category, "canceled": canceled.to_numpy()},
                           index=names.to_numpy())
    return (status.map(by_name["category"]),
            status.map(by_name["canceled"]).fillna(False).astype(bool))


def events_to_tables(events: pd.DataFrame, ctx: ReadContext, *, source: str, project: str,
                     item_type: str) -> dict[str, pd.DataFrame]:
    """Canonical work items, transitions and field changes from one row per event.

    ``events`` columns: ``item_id``, ``at`` (UTC), ``status``; optional ``seq`` (tie-break
    order), ``created`` (the record's own creation time), ``initial`` (bool: the row is the
    record's creation), ``resolved``, ``title``, ``team``, ``assignee``, ``priority``,
    ``resolution``. Rows without id, time or status are dropped and noted.
    """
    ev = events.copy()
    incomplete = ev[["item_id", "at", "status"]].isna().any(axis=1)
    if incomplete.any():
        ctx.note("event_rows_incomplete", "warning", ev.loc[incomplete, "item_id"].dropna().unique(),
                 f"{int(incomplete.sum())} event rows without id, time or status were skipped",
                 count=int(incomplete.sum()))
        ev = ev[~incomplete]
    for column in ("created", "resolved"):
        if column not in ev:
            ev[column] = pd.Series(pd.NaT, index=ev.index, dtype="datetime64[us, UTC]")
    for column in ("title", "team", "assignee", "priority", "resolution"):
        if column not in ev:
            ev[column] = pd.Series(pd.NA, index=ev.index, dtype="str")
    ev["seq"] = ev["seq"] if "seq" in ev else 0.0
    ev["initial"] = ev["initial"] if "initial" in ev else True
    ev["_row"] = np.arange(len(ev))

    backwards = ev["at"] < ev.groupby("item_id", sort=False)["at"].shift()
    if backwards.any():
        unsorted = ev.loc[backwards, "item_id"].unique()
        ctx.note("event_log_unsorted", "info", unsorted, f"{len(unsorted)} items have events out of "
                 "time order in the file; they were sorted by time", count=len(unsorted))
    ev = ev.sort_values(["item_id", "at", "seq", "_row"], kind="stable").reset_index(drop=True)
    first = ~ev["item_id"].duplicated()
    previous = ev["status"].shift().where(~first)
    entered = first | ev["status"].ne(previous)

    by_item = ev.groupby("item_id", sort=False)
    created = by_item["created"].transform("first").fillna(by_item["at"].transform("first"))
    backdate = first & ev["initial"].astype(bool) & (created < ev["at"])
    transitions = pd.DataFrame({
        "item_id": ev["item_id"], "at": ev["at"].where(~backdate, created),
        "from_status": previous, "to_status": ev["status"], "source": source,
    })[entered].reset_index(drop=True)

    changes = []
    for field in CHANGE_FIELDS:
        before = ev[field].shift().where(~first)
        moved = ~first & ev[field].fillna("").ne(before.fillna(""))
        changes.append(pd.DataFrame({"item_id": ev["item_id"], "at": ev["at"], "field": field,
                                     "from_value": before, "to_value": ev[field]})[moved])
    field_changes = pd.concat(changes, ignore_index=True)

    items = _items(ev, by_item, transitions, created)
    items["item_type"], items["project"], items["source"] = item_type, project, source
    return {"work_items": items, "transitions": transitions, "field_changes": field_changes}


def _items(ev: pd.DataFrame, by_item, transitions: pd.DataFrame, created: pd.Series) -> pd.DataFrame:
    """One row per item: its last status and attributes, creation, completion or cancellation."""
    last = by_item[["title", "team", "assignee", "priority", "resolution", "resolved"]].last()
    items = last.assign(
        status=by_item["status"].last(),
        created_at=created.groupby(ev["item_id"], sort=False).first(),
        last_at=transitions.groupby("item_id", sort=False)["at"].last(),
    )
    category, canceled = status_categories(items["status"])
    done = category.eq("done") & ~canceled

    t_category, _ = status_categories(transitions["to_status"])
    in_done = t_category.eq("done")
    position = transitions.groupby("item_id", sort=False).cumcount()
    last_open = position.where(~in_done).groupby(transitions["item_id"]).transform("max")
    entry = in_done & position.eq(last_open.fillna(-1) + 1)
    done_since = transitions[entry].groupby("item_id")["at"].first()

    items["status_category"] = category
    items["completed_at"] = items["resolved"].fillna(done_since.reindex(items.index)).where(done)
    items["canceled_at"] = items["last_at"].where(canceled)
    items["resolution"] = items["resolution"].where(~canceled | items["resolution"].notna(),
                                                    items["status"])
    return items.drop(columns=["resolved", "last_at"]).rename_axis("item_id").reset_index()


# --- the three log shapes ----------------------------------------------------------------------

def _nulls(values: pd.Series) -> pd.Series:
    return values.mask(values.eq("?"))


class ServiceNowLogFormat(Format):
    """ServiceNow incident event log (one snapshot row per update)."""

    name = "servicenow_event_log"
    tables = ("work_items", "transitions", "field_changes")
    description = "ServiceNow incident event log CSV"

    def sniff(self, probe: Probe) -> bool:
        h = probe.header_set()
        return ("number" in h and bool(h & {"incident_state", "state"})
                and bool(h & {"sys_updated_at", "sys_updated_on"}))

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        ids = _nulls(raw.col("number"))

        def times(*names, strict=False):
            column = raw.first(*names)
            if column is None:
                return pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[us, UTC]")
            return parse_times(_nulls(raw.col(column)), ctx, column=column, raw=raw, items=ids,
                               formats=["%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S"], dayfirst=True,
                               strict=strict)

        mods_column = raw.first("sys_mod_count")
        mods = (parse_numbers(_nulls(raw.col(mods_column)), ctx, column=mods_column, raw=raw, items=ids)
                if mods_column else pd.Series(np.nan, index=raw.frame.index))
        title = _nulls(raw.col("short_description"))
        if not raw.has("short_description"):
            title = _nulls(raw.col("category")).str.cat(_nulls(raw.col("subcategory")), sep=" / ",
                                                        na_rep="").str.strip(" /").replace("", pd.NA)
        events = pd.DataFrame({
            "item_id": ids, "status": _nulls(raw.col("incident_state", "state")),
            "at": times("sys_updated_at", "sys_updated_on", strict=True), "seq": mods,
            "initial": mods.fillna(0).eq(0),
            "created": times("opened_at", "sys_created_at", "sys_created_on"),
            "resolved": times("resolved_at"), "title": title,
            "team": _nulls(raw.col("assignment_group")), "assignee": _nulls(raw.col("assigned_to")),
            "priority": _nulls(raw.col("priority")),
            "resolution": _nulls(raw.col("closed_code", "close_code")),
        }, index=raw.frame.index)
        return events_to_tables(events, ctx, source="servicenow_event_log",
                                project="ServiceNow incidents", item_type="Incident")


ACTIVITY_CASE = ("Case ID", "Case", "CaseID", "Case Id", "case_id")
ACTIVITY_NAME = ("Activity", "Activity name", "Event")
ACTIVITY_TIME = ("Complete Timestamp", "End Timestamp", "Timestamp", "Start Timestamp")


class ActivityLogFormat(Format):
    """Helpdesk-style activity log (``Case ID, Activity, Resource, Complete Timestamp, …``)."""

    name = "activity_log_csv"
    tables = ("work_items", "transitions", "field_changes")
    description = "ticket activity log CSV (Case ID, Activity, Timestamp)"

    def sniff(self, probe: Probe) -> bool:
        h = probe.header_set()
        return (bool(h & {c.lower() for c in ACTIVITY_CASE}) and bool(h & {c.lower() for c in ACTIVITY_NAME})
                and bool(h & {c.lower() for c in ACTIVITY_TIME}))

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        ids = raw.col(*ACTIVITY_CASE)
        column = raw.first(*ACTIVITY_TIME)
        at = parse_times(raw.col(column), ctx, column=column, raw=raw, items=ids,
                         formats=["%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"])
        events = pd.DataFrame({
            "item_id": ids, "status": raw.col(*ACTIVITY_NAME), "at": at,
            "team": raw.col("workgroup", "support_section", "responsible_section", "group", "team"),
            "assignee": raw.col("Resource", "Agent", "User"),
            "priority": raw.col("priority", "seriousness", "severity"), "title": raw.col("title", "subject"),
        }, index=raw.frame.index)
        return events_to_tables(events, ctx, source="activity_log", project="Helpdesk tickets",
                                item_type="Ticket")


class XesCsvFormat(Format):
    """XES-style CSV event log (BPI Challenge: ``case:concept:name``, ``time:timestamp`` …)."""

    name = "xes_csv"
    tables = ("work_items", "transitions", "field_changes")
    description = "XES-style event log CSV (case:concept:name, concept:name, time:timestamp)"

    def sniff(self, probe: Probe) -> bool:
        return {"case:concept:name", "concept:name", "time:timestamp"} <= probe.header_set()

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        ids = raw.col("case:concept:name")
        at = parse_times(raw.col("time:timestamp"), ctx, column="time:timestamp", raw=raw, items=ids)
        activity, lifecycle = raw.col("concept:name"), raw.col("lifecycle:transition")
        if lifecycle.notna().any() and not set(lifecycle.dropna().str.lower()) <= XES_LIFECYCLE:
            activity = activity.str.cat(lifecycle, sep="/", na_rep="").str.rstrip("/")
        problem = raw.has("impact") and raw.has("product")
        events = pd.DataFrame({
            "item_id": ids, "status": activity, "at": at, "team": raw.col("org:group"),
            "assignee": raw.col("org:resource"), "priority": raw.col("impact", "priority"),
            "title": raw.col("case:description", "description"),
        }, index=raw.frame.index)
        return events_to_tables(events, ctx, source="xes_csv",
                                project="Problem management" if problem else "Event log cases",
                                item_type="Problem" if problem else "Ticket")


SERVICENOW_LOG = ServiceNowLogFormat()
ACTIVITY_LOG = ActivityLogFormat()
XES_CSV = XesCsvFormat()

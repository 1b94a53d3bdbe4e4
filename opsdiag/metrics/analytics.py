"""Analytics lever: is shipped work used, and how much time goes into pulling numbers by hand.

Product-analytics metrics read the canonical ``events`` table (``user_id, account_id, event,
at``); the survey helpers read ``people`` (hours per week). Events after ``as_of`` are ignored
wherever ``as_of`` is given. Durations are calendar days; weeks start on Monday in the
engagement timezone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..schema import TABLES, TIMESTAMP_DTYPE
from .feedback import DAY, _ids, to_utc

log = logging.getLogger(__name__)

# Events that say someone showed up, not that they got value: never the default activation event.
NON_ACTIVATION_PATTERN = (r"(?i)log.?in|log.?on|sign.?in|sign.?up|register|session|page.?view|screen.?view"
                          r"|app.?open|visit|identify")
ACTIVATION_COLUMNS = ["unit", "event", "within_days", "new", "activated", "share", "activated_ids",
                      "not_activated_ids"]
SURVEY_COLUMNS = tuple(c for c in TABLES["people"] if c.startswith("hours_") and c != "hours_per_week")


def _events_until(events: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    ev = events[events["at"].notna()]
    return ev if as_of is None else ev[ev["at"] <= as_of]


def default_activation_event(events: pd.DataFrame) -> str | None:
    """The most common event whose name is not a login/sign-up/session/page-view event
    (``NON_ACTIVATION_PATTERN``); ties go to the alphabetically first name. None when there is none."""
    names = events["event"].dropna()
    names = names[~names.str.contains(NON_ACTIVATION_PATTERN, regex=True)]
    if names.empty:
        return None
    counts = names.value_counts()
    return str(sorted(counts[counts == counts.max()].index)[0])


def activation(events: pd.DataFrame, activation_event: str | None = None, within_days: float = 7.0,
               as_of=None) -> pd.DataFrame:
    """Share of new users (and accounts) doing the activation event within N days of first seen.

    first seen = a user's (account's) earliest event; activated = the earliest
    ``activation_event`` is at most ``within_days`` after first seen. Default activation event:
    ``default_activation_event`` (the most common event that is not a login, sign-up, session or
    page view). Only events up to ``as_of`` (default: the latest event) count, and users first
    seen less than ``within_days`` before as_of are still in their window and left out.
    share = activated / new (NaN when no one is new).

    Returns
    -------
    DataFrame with two rows, unit "user" and "account": unit, event, within_days, new,
    activated, share, activated_ids, not_activated_ids. Empty input gives both rows with 0 and
    NaN.
    """
    as_of = to_utc(as_of) if as_of is not None else (events["at"].max() if events["at"].notna().any() else None)
    ev = _events_until(events, as_of)
    event = activation_event if activation_event is not None else default_activation_event(ev)
    if activation_event is None:
        log.debug("activation event not given: using the most common non-login event %r", event)
    window = pd.Timedelta(days=within_days)
    rows = []
    for unit, key in (("user", "user_id"), ("account", "account_id")):
        keyed = ev[ev[key].notna()]
        first = keyed.groupby(key)["at"].min()
        if as_of is not None:
            first = first[first <= as_of - window]
        done = keyed[keyed["event"] == event].groupby(key)["at"].min().reindex(first.index)
        activated = (done - first) <= window
        rows.append({"unit": unit, "event": event, "within_days": float(within_days), "new": len(first),
                     "activated": int(activated.sum()),
                     "share": activated.sum() / len(first) if len(first) else np.nan,
                     "activated_ids": _ids(sorted(first.index[activated.to_numpy()])),
                     "not_activated_ids": _ids(sorted(first.index[~activated.to_numpy()]))})
    return pd.DataFrame(rows, columns=ACTIVATION_COLUMNS).astype(
        {"new": "int64", "activated": "int64", "share": "float64"})


def _local_monday(at: pd.Series, timezone: str) -> pd.Series:
    local = at.dt.tz_convert(timezone).dt.tz_localize(None)
    return local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")


def retention_cohorts(events: pd.DataFrame, as_of, timezone: str = "UTC") -> pd.DataFrame:
    """Weekly retention: share of each first-seen-week cohort of users active N weeks later.

    A user's cohort is the Monday-starting week (in ``timezone``) of their first event; they are
    active at week offset k when they have any event in the week cohort + k. share = active /
    cohort users (offset 0 is 1 by definition). Only weeks that have ended by ``as_of`` (an
    inclusive end instant) are shown, so a partial week never reads as churn; events after as_of
    are ignored.

    Returns
    -------
    Long DataFrame: cohort_week (Monday 00:00 local, as UTC), week_offset, users, active, share,
    one row per cohort and observed week (zeros included). Empty input gives an empty frame.
    """
    columns = ["cohort_week", "week_offset", "users", "active", "share"]
    as_of = to_utc(as_of)
    ev = _events_until(events, as_of)
    ev = ev[ev["user_id"].notna()]
    if ev.empty:
        return pd.DataFrame({"cohort_week": pd.Series(dtype=TIMESTAMP_DTYPE), "week_offset": pd.Series(dtype="int64"),
                             "users": pd.Series(dtype="int64"), "active": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype="float64")})
    weeks = pd.DataFrame({"user_id": ev["user_id"], "week": _local_monday(ev["at"], timezone)}).drop_duplicates()
    weeks["cohort"] = weeks.groupby("user_id")["week"].transform("min")
    weeks["week_offset"] = ((weeks["week"] - weeks["cohort"]).dt.days // 7).astype("int64")
    active = weeks.groupby(["cohort", "week_offset"]).size().rename("active")
    sizes = weeks.drop_duplicates("user_id").groupby("cohort").size().rename("users")

    end_local = (as_of + pd.Timedelta(microseconds=1)).tz_convert(timezone).tz_localize(None)
    observed = pd.Series((end_local - sizes.index) // pd.Timedelta(days=7), index=sizes.index, dtype="int64")
    cohorts = pd.DataFrame({"users": sizes, "weeks": observed})
    cohorts = cohorts[cohorts["weeks"] > 0]
    grid = cohorts.loc[cohorts.index.repeat(cohorts["weeks"])].rename_axis("cohort").reset_index()
    grid["week_offset"] = grid.groupby("cohort").cumcount().astype("int64")
    grid = grid.merge(active.reset_index(), on=["cohort", "week_offset"], how="left")
    grid["active"] = grid["active"].fillna(0).astype("int64")
    grid["share"] = grid["active"] / grid["users"]
    grid["cohort_week"] = (grid["cohort"].dt.tz_localize(timezone, nonexistent="shift_forward", ambiguous=False)
                           .dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE))
    return grid[columns].astype({"users": "int64"}).sort_values(["cohort_week", "week_offset"], ignore_index=True)


def feature_adoption(events: pd.DataFrame) -> pd.DataFrame:
    """Per event name: distinct users and accounts, event count, first and last seen.

    user_share = users doing the event / all users with any event (NaN when there are none).
    No time filter (the whole export).

    Returns
    -------
    DataFrame, most users first (ties by name): event, users, accounts, events, user_share,
    first_seen, last_seen. Empty input gives an empty frame with these columns.
    """
    ev = events[events["event"].notna()]
    out = (ev.groupby("event").agg(users=("user_id", "nunique"), accounts=("account_id", "nunique"),
                                   events=("at", "size"), first_seen=("at", "min"), last_seen=("at", "max"))
           .reset_index())
    total = events["user_id"].nunique()
    out["user_share"] = out["users"] / total if total else np.nan
    out = out.astype({"event": "str", "users": "int64", "accounts": "int64", "events": "int64",
                      "user_share": "float64", "first_seen": TIMESTAMP_DTYPE, "last_seen": TIMESTAMP_DTYPE})
    out = out.sort_values(["users", "event"], ascending=[False, True], ignore_index=True)
    return out[["event", "users", "accounts", "events", "user_share", "first_seen", "last_seen"]]


def _normalise(text: pd.Series) -> pd.Series:
    return text.fillna("").astype("str").str.lower().str.replace(r"[\W_]+", " ", regex=True).str.strip()


def shipped_without_adoption(flow: pd.DataFrame, items: pd.DataFrame, events: pd.DataFrame, as_of,
                             min_days_live: float = 7.0) -> pd.DataFrame:
    """Completed items that name a tracked feature event which nobody used after they shipped.

    Names are compared normalised (lower case, punctuation and underscores as spaces): an item
    names an event when one of its ``labels`` equals the event name, or its ``title`` contains
    the name as whole words (names under 3 characters are ignored). Items: included, phase done,
    ``completed_at`` ≤ as_of − ``min_days_live`` (give a feature a few days before judging).
    Flagged when the event's last occurrence up to as_of is at or before ``completed_at``.

    Returns
    -------
    DataFrame, one row per (item, event), oldest completion first: item_id, title, completed_at,
    event, last_event_at, days_since_completion. Empty input gives an empty frame with these
    columns.
    """
    columns = ["item_id", "title", "completed_at", "event", "last_event_at", "days_since_completion"]
    as_of = to_utc(as_of)
    ev = _events_until(events, as_of)
    ev = ev.assign(feature=_normalise(ev["event"]))
    ev = ev[ev["feature"].str.len() >= 3]
    features = ev.groupby("feature").agg(event=("event", "min"), last_event_at=("at", "max"))

    done = flow[flow["included"].fillna(False).astype(bool) & flow["phase"].eq("done")
                & (flow["completed_at"] <= as_of - pd.Timedelta(days=min_days_live))][["item_id", "completed_at"]]
    done = done.merge(items[["item_id", "title", "labels"]], on="item_id", how="left")
    named = pd.DataFrame({"item_id": pd.Series(dtype="str"), "feature": pd.Series(dtype="str")})
    if len(done) and len(features):
        labels = done[["item_id", "labels"]].explode("labels").dropna(subset=["labels"])
        by_label = pd.DataFrame({"item_id": labels["item_id"], "feature": _normalise(labels["labels"])})
        alternation = "|".join(re.escape(f) for f in sorted(features.index, key=len, reverse=True))
        found = _normalise(done["title"]).str.findall(rf"(?<!\w)(?:{alternation})(?!\w)")
        by_title = pd.DataFrame({"item_id": done["item_id"], "feature": found}).explode("feature")
        named = pd.concat([by_label, by_title]).dropna().drop_duplicates()
        named = named[named["feature"].isin(features.index)]
    out = named.merge(done[["item_id", "title", "completed_at"]], on="item_id").join(features, on="feature")
    out = out[out["last_event_at"] <= out["completed_at"]]
    out["days_since_completion"] = ((as_of - out["completed_at"]) / DAY).astype("float64")
    out = out.astype({"item_id": "str", "event": "str", "last_event_at": TIMESTAMP_DTYPE,
                      "completed_at": TIMESTAMP_DTYPE})
    return out[columns].sort_values(["completed_at", "item_id", "event"], ignore_index=True)


@dataclass(frozen=True)
class SurveyHours:
    """One survey activity's hours per week, per person and in total.

    ``per_person``: person, role, team, hours_per_week (NaN = no answer).
    """

    column: str
    per_person: pd.DataFrame
    total_hours_per_week: float
    respondents: int  # people who answered this question
    people: int


def survey_hours(people: pd.DataFrame, column: str) -> SurveyHours:
    """Hours per week one survey activity takes, per person and summed over respondents.

    ``column`` is a survey column of ``people`` with or without its ``hours_`` prefix
    (status_chasing, coordination_meetings, data_pulls, feedback_triage, tool_admin, customer).
    total = Σ hours over people who answered (unanswered cells are left out, not counted as 0).
    Empty input gives an empty per-person frame and a total of 0.

    Raises
    ------
    UsageError when ``column`` is not a survey column.
    """
    name = column if column.startswith("hours_") else f"hours_{column}"
    if name not in SURVEY_COLUMNS:
        raise UsageError(f"people: unknown survey column {column!r}; expected one of "
                         f"{', '.join(c.removeprefix('hours_') for c in SURVEY_COLUMNS)}")
    per_person = (people[["person", "role", "team", name]].rename(columns={name: "hours_per_week"})
                  .astype({"hours_per_week": "float64"}).sort_values("person", ignore_index=True))
    hours = per_person["hours_per_week"]
    return SurveyHours(column=name.removeprefix("hours_"), per_person=per_person,
                       total_hours_per_week=float(hours.sum()), respondents=int(hours.notna().sum()),
                       people=len(per_person))


def data_pull_hours(people: pd.DataFrame) -> SurveyHours:
    """Hours per week spent pulling data by hand (``hours_data_pulls``): ``survey_hours`` of it."""
    return survey_hours(people, "data_pulls")

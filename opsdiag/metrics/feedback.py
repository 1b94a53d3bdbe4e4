"""Feedback lever: how customer feedback travels from received to shipped, and who is left waiting.

Inputs are the canonical ``feedback`` table (DESIGN §3) and, for the funnel, the ``flow`` frame
(one row per work item). Exports are snapshots: a feedback's ``status`` is its state when it was
exported, so it is only used where no timestamp says more (``triaged_at`` wins over ``status``).

Conventions shared by every function here:

* a feedback is **received** when ``created_at`` ≤ ``as_of`` (or unknown);
* it is **triaged** when ``triaged_at`` ≤ ``as_of``; without ``triaged_at``, when its status is
  past new (not in ``UNTRIAGED_STATUSES``) or when it is linked to a work item (linking is a
  triage decision) — so the funnel's steps are nested;
* it is **closed** when ``solved_at`` ≤ ``as_of`` or its status is in ``CLOSED_STATUSES``.

Durations are fractional calendar days.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..text import isin_text
from .flow import exploded

log = logging.getLogger(__name__)

FUNNEL_STEPS = ("received", "triaged", "linked", "shipped")
# Statuses that mean "nobody has looked at it yet": the tools' initial statuses (Zendesk new,
# Intercom and Canny open, Productboard unprocessed). The importers give every row past its
# tool's initial status a triaged_at, so a status only decides when triaged_at is missing.
UNTRIAGED_STATUSES = frozenset({"", "new", "open", "untriaged", "unprocessed", "unreviewed", "needs triage",
                                "inbox", "unread"})
CLOSED_STATUSES = frozenset({"solved", "closed", "resolved", "done", "complete", "completed",
                             "shipped", "released", "archived", "rejected", "declined", "won't do"})
# Words too common in feedback titles to be a theme.
STOPWORDS = frozenset("""
a an and are as at be but by can cannot could do does doesn't dont don't for from get gets has have
how i if in into is it it's its just me my need needs no not of on or our please should so some that
the their them there this to too up us use using via want wants was we were what when where which
while why will with without would you your able add allow also all any more new issue issues
request feature make like see way work working""".split())
WORD_PATTERN = r"[^\W\d_][\w'-]{2,}"  # a word of 3+ characters starting with a letter
DAY = pd.Timedelta(days=1)


def to_utc(as_of) -> pd.Timestamp:
    """``as_of`` as a tz-aware UTC timestamp (a naive value is taken as UTC)."""
    ts = pd.Timestamp(as_of)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _ids(values) -> tuple[str, ...]:
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.tolist()  # iterating a pandas string array is slow: convert once
    return tuple(map(str, values))


def _lower(series: pd.Series) -> pd.Series:
    """Stripped, lower-cased text ("" for missing): string methods run once per distinct value."""
    text = series.fillna("").astype("str")
    if text.empty:
        return text.str.strip().str.lower()
    codes, distinct = pd.factorize(text)
    return pd.Series(distinct.str.strip().str.lower().take(codes), index=series.index, name=series.name)


def _received(feedback: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    created = feedback["created_at"]
    return feedback[created.isna() | (created <= as_of)]


def _is_linked(feedback: pd.DataFrame) -> pd.Series:
    return feedback["linked_item_ids"].str.len().fillna(0).astype(int) > 0


def _is_triaged(feedback: pd.DataFrame, as_of: pd.Timestamp, linked: pd.Series) -> pd.Series:
    triaged_at = feedback["triaged_at"]
    by_status = ~_lower(feedback["status"]).isin(UNTRIAGED_STATUSES)
    by_time = triaged_at.notna() & (triaged_at <= as_of)
    return by_time | (triaged_at.isna() & by_status) | linked


def _is_closed(feedback: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    solved_at = feedback["solved_at"]
    return (solved_at.notna() & (solved_at <= as_of)) | _lower(feedback["status"]).isin(CLOSED_STATUSES)


def _step(step: str, ids: pd.Series, latency_days: pd.Series | None, received: int) -> dict:
    latency = latency_days.dropna() if latency_days is not None else pd.Series(dtype=float)
    return {"step": step, "count": len(ids), "share": len(ids) / received if received else np.nan,
            "median_latency_days": float(latency.median()) if len(latency) else np.nan,
            "ids": _ids(ids)}


def feedback_funnel(feedback: pd.DataFrame, flow: pd.DataFrame, as_of) -> pd.DataFrame:
    """Feedback funnel: received → triaged → linked to a work item → shipped.

    Definition (each step is a subset of the one before):

    * received: ``created_at`` ≤ as_of (or unknown);
    * triaged: see the module conventions (``triaged_at``, else status past new, else linked);
    * linked: ``linked_item_ids`` names at least one item that exists in ``flow`` (and was
      created by as_of);
    * shipped: one of those linked items has ``completed_at`` ≤ as_of.

    ``share`` = count / received. ``median_latency_days`` = median over the feedback at that
    step of (step time − ``created_at``) in calendar days: 0 for received; ``triaged_at`` for
    triaged (feedback triaged only by status or link have no time and are left out); for
    linked, the later of the feedback's and the linked item's ``created_at`` (exports carry no
    link time, so this is a lower bound); for shipped, the earliest ``completed_at`` of a linked
    item, floored at 0 (feedback about something already shipped).

    Returns
    -------
    DataFrame with one row per step in ``FUNNEL_STEPS``: step, count, share,
    median_latency_days, ids (tuple of feedback ids). Empty input gives the four steps with
    count 0 and NaN share and latency.
    """
    as_of = to_utc(as_of)
    fb = _received(feedback, as_of)
    received = len(fb)
    created = fb.set_index("feedback_id")["created_at"]

    links = (fb[["feedback_id", "created_at", "linked_item_ids"]].explode("linked_item_ids")
             .rename(columns={"linked_item_ids": "item_id", "created_at": "feedback_created_at"})
             .dropna(subset=["item_id"]))
    # only the linked items' rows: merging with every item of the flow hashes every id
    item_created = flow["created_at"]
    items = flow.loc[(item_created.isna() | (item_created <= as_of)) & isin_text(flow["item_id"], links["item_id"]),
                     ["item_id", "created_at", "completed_at"]]
    links = links.merge(items, on="item_id", how="inner")
    links["linked_at"] = links["created_at"].where(links["created_at"] > links["feedback_created_at"],
                                                   links["feedback_created_at"])
    links["shipped_at"] = links["completed_at"].where(links["completed_at"] <= as_of)
    per_feedback = links.groupby("feedback_id").agg(linked_at=("linked_at", "min"),
                                                    shipped_at=("shipped_at", "min"))
    linked_ids = pd.Series(per_feedback.index, dtype="str")
    shipped = per_feedback[per_feedback["shipped_at"].notna()]

    in_flow = isin_text(fb["feedback_id"], linked_ids)
    triaged = fb[_is_triaged(fb, as_of, _is_linked(fb)) | in_flow]
    triage_latency = (triaged["triaged_at"].where(triaged["triaged_at"] <= as_of)
                      - triaged["created_at"]) / DAY
    link_latency = (per_feedback["linked_at"] - created.reindex(per_feedback.index)) / DAY
    ship_latency = ((shipped["shipped_at"] - created.reindex(shipped.index)) / DAY).clip(lower=0)

    rows = [
        _step("received", fb["feedback_id"], pd.Series(0.0, index=fb.index), received),
        _step("triaged", triaged["feedback_id"], triage_latency, received),
        _step("linked", linked_ids, link_latency, received),
        _step("shipped", pd.Series(shipped.index, dtype="str"), ship_latency, received),
    ]
    return pd.DataFrame(rows, columns=["step", "count", "share", "median_latency_days", "ids"]).astype(
        {"step": "str", "count": "int64", "share": "float64", "median_latency_days": "float64"})


def funnel_linked_share(feedback: pd.DataFrame, flow: pd.DataFrame, as_of) -> float:
    """The ``share`` of :func:`feedback_funnel`'s ``linked`` step alone: received feedback whose
    ``linked_item_ids`` name an item of ``flow`` created by as_of (or at an unknown time) /
    received feedback; NaN when none was received.

    For a caller that needs only this figure (the ``feedback_scattered`` warning sign): the
    funnel's other steps, latencies and id tuples, and its merge of links with items, are
    skipped.
    """
    as_of = to_utc(as_of)
    fb = _received(feedback, as_of)
    if not len(fb):
        return np.nan
    rows, links = exploded(fb["linked_item_ids"], dropna=True)  # rows: positions in ``fb``
    links = pd.Series(links)
    item_created = flow["created_at"]
    known = flow.loc[item_created.isna() | (item_created <= as_of), "item_id"]
    # the linked items among the known ones first (the few links hashed, every item looked up),
    # then which links name one of them: the links that name a known item
    known = known[isin_text(known, links)]
    linked = np.unique(rows[isin_text(links, known)])
    # the funnel counts the feedback ids its links group into (missing ids form no group)
    return fb["feedback_id"].iloc[linked].nunique() / len(fb)


def arr_waiting(feedback: pd.DataFrame, as_of, healthy_triage_days: float = 7.0) -> pd.DataFrame:
    """Accounts with feedback left waiting: revenue at risk (shown, never added to cost).

    A feedback is waiting when it was received by as_of, is not closed, is not linked to a work
    item (untriaged feedback is unlinked too), and has waited longer than
    ``healthy_triage_days``: (as_of − ``created_at``) in calendar days > healthy days. Feedback
    without a ``customer`` cannot name an account and is left out.

    Returns
    -------
    DataFrame, one row per account with waiting feedback, sorted by ARR (largest first):
    customer, account_arr (the largest ``account_arr`` seen on any of the account's feedback,
    NaN when never given), waiting (count), oldest_wait_days, feedback_ids (tuple). Empty
    input gives an empty frame with these columns.
    """
    as_of = to_utc(as_of)
    fb = _received(feedback, as_of)
    fb = fb[fb["customer"].notna()]
    wait_days = (as_of - fb["created_at"]) / DAY
    waiting = fb[~_is_closed(fb, as_of) & ~_is_linked(fb) & (wait_days > healthy_triage_days)]
    arr = fb.groupby("customer")["account_arr"].max()
    out = (waiting.assign(wait_days=wait_days.loc[waiting.index])
           .groupby("customer")
           .agg(waiting=("feedback_id", "size"), oldest_wait_days=("wait_days", "max"),
                feedback_ids=("feedback_id", _ids)))
    out.insert(0, "account_arr", arr.reindex(out.index).astype("float64"))
    out = out.reset_index().sort_values(["account_arr", "customer"], ascending=[False, True],
                                        na_position="last", ignore_index=True)
    out = out.astype({"customer": "str", "waiting": "int64", "oldest_wait_days": "float64",
                      "feedback_ids": "object"})
    return out[["customer", "account_arr", "waiting", "oldest_wait_days", "feedback_ids"]]


def feedback_themes(feedback: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The most frequent feedback themes: tags when the feedback is tagged, else title keywords.

    If any feedback carries ``tags``, themes are tags (lower-cased, stripped); otherwise they are
    words of 3+ letters from ``title`` (lower-cased, minus ``STOPWORDS``). A feedback counts once
    per theme however often the word appears. ``share`` = count / number of feedback rows.

    Returns
    -------
    DataFrame of at most ``top`` rows, most frequent first (ties alphabetical): theme, basis
    ("tag" or "keyword"), count, share, ids (tuple of feedback ids). Empty input (or no tags
    and no titles) gives an empty frame with these columns.
    """
    columns = ["theme", "basis", "count", "share", "ids"]
    tags = feedback[["feedback_id", "tags"]].explode("tags").dropna(subset=["tags"])
    if len(tags):
        basis, words = "tag", tags.rename(columns={"tags": "theme"})
        words["theme"] = words["theme"].astype("str").str.strip().str.lower()
    else:
        basis = "keyword"
        found = feedback["title"].fillna("").astype("str").str.lower().str.findall(WORD_PATTERN)
        words = (pd.DataFrame({"feedback_id": feedback["feedback_id"], "theme": found})
                 .explode("theme").dropna(subset=["theme"]))
        words["theme"] = words["theme"].astype("str").str.strip("'-")
        words = words[~words["theme"].isin(STOPWORDS) & words["theme"].str.len().ge(3)]
    words = words[words["theme"] != ""].drop_duplicates(["feedback_id", "theme"])
    if words.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in
                             zip(columns, ["str", "str", "int64", "float64", "object"])})
    out = (words.groupby("theme").agg(count=("feedback_id", "size"), ids=("feedback_id", _ids))
           .reset_index().sort_values(["count", "theme"], ascending=[False, True], ignore_index=True)
           .head(top))
    out["basis"] = basis
    out["share"] = out["count"] / len(feedback)
    return out[columns].astype({"theme": "str", "basis": "str", "count": "int64"})


def feedback_sources(feedback: pd.DataFrame) -> pd.DataFrame:
    """Feedback per source tool (Zendesk, Intercom, Canny, …): how scattered the intake is.

    ``share`` = feedback from the source / all feedback; ``customers`` = distinct customers;
    feedback without a source counts under "unknown". No time filter (the whole export).

    Returns
    -------
    DataFrame, one row per source, largest first: source, count, share, customers, ids.
    Empty input gives an empty frame with these columns.
    """
    fb = feedback.assign(source=feedback["source"].fillna("unknown"))
    out = (fb.groupby("source").agg(count=("feedback_id", "size"), customers=("customer", "nunique"),
                                    ids=("feedback_id", _ids))
           .reset_index().sort_values(["count", "source"], ascending=[False, True], ignore_index=True))
    out["share"] = out["count"] / len(fb) if len(fb) else pd.Series(dtype="float64")
    out = out.astype({"source": "str", "count": "int64", "customers": "int64", "share": "float64",
                      "ids": "object"})
    return out[["source", "count", "share", "customers", "ids"]]


def triage_delays(feedback: pd.DataFrame, as_of, healthy_triage_days: float = 7.0) -> pd.DataFrame:
    """Per feedback: days it waited for triage beyond a healthy time (input to the cost model).

    waited_days = (end − ``created_at``) in calendar days, where end is ``triaged_at`` (≤ as_of),
    else ``solved_at`` (≤ as_of), else as_of while the feedback is still untriaged; feedback
    triaged only by status or by a link has an unknown end and NaN waits.
    excess_days = max(0, waited_days − ``healthy_triage_days``). Only feedback received by as_of.

    Returns
    -------
    DataFrame, one row per received feedback, longest excess first: feedback_id, customer,
    account_arr, created_at, wait_end, triaged, waited_days, excess_days, linked_item_ids.
    Empty input gives an empty frame with these columns.
    """
    as_of = to_utc(as_of)
    fb = _received(feedback, as_of)
    triaged = _is_triaged(fb, as_of, _is_linked(fb))
    end = fb["triaged_at"].where(fb["triaged_at"] <= as_of)
    end = end.fillna(fb["solved_at"].where(fb["solved_at"] <= as_of))
    end = end.where(end.notna() | triaged, as_of)
    waited = (end - fb["created_at"]) / DAY
    out = pd.DataFrame({
        "feedback_id": fb["feedback_id"], "customer": fb["customer"], "account_arr": fb["account_arr"],
        "created_at": fb["created_at"], "wait_end": end.astype(fb["created_at"].dtype),
        "triaged": triaged.astype(bool), "waited_days": waited.astype("float64"),
        "excess_days": (waited - healthy_triage_days).clip(lower=0).astype("float64"),
        "linked_item_ids": fb["linked_item_ids"],
    })
    return out.sort_values(["excess_days", "feedback_id"], ascending=[False, True], na_position="last",
                           ignore_index=True)

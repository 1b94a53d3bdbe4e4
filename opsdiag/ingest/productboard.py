"""Productboard notes CSV export (Insights → Notes → Export) → feedback.

Columns read (any case, aliases in ``feedback_tools``): ``Note ID``/``id``, ``Title``, ``Note
text``/``Content``, ``State`` (unprocessed, processed, archived), ``Company``, ``Customer
email`` (only its domain, when there is no company), ``Tags`` (comma-separated), ``Features``/
``Linked features``, ``Source``, ``Created at``, ``Updated at``, ``Processed at`` and ARR/MRR
company fields. ``Owner`` is not kept. Feature names holding an issue key (``Bulk export
(PROJ-12)``) or a GitHub reference link the note to that item; other feature names become tags
``feature:<name>``. Notes have no solved time. A processed note without ``Processed at`` is
triaged by its updated time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import conform
from .feedback_tools import (FeedbackFormat, FeedbackSpec, export_ids, joined_text,
                             made_up_contacts, money_text, plain_text, time_text, write_export)

SPEC = FeedbackSpec("productboard", "Productboard notes CSV export", ("Note ID", "Note UUID", "Id"),
                    initial_statuses=frozenset({"unprocessed", "new", "inbox"}),
                    solved_statuses=frozenset())


def is_productboard(header: set[str]) -> bool:
    """A note id/text/title column, or an id with note content and linked features."""
    return (bool(header & {"note id", "note uuid", "note text", "note content", "note title"})
            or ("id" in header and "content" in header
                and bool(header & {"features", "linked features"})))


PRODUCTBOARD = FeedbackFormat(SPEC, is_productboard)


def write_productboard_csv(feedback: pd.DataFrame, path) -> Path:
    """Write canonical feedback as a Productboard notes CSV export.

    Productboard notes have no solved time: ``solved_at`` is not written. ``Updated at`` is the
    triage time of processed notes (the reader's triage rule), else the creation time; linked
    ids are written as the notes' ``Features`` (feature names carrying the issue key); ARR →
    ``Company ARR``; made-up customer e-mails; timestamps ISO 8601 UTC. Untriaged notes should
    have the state ``unprocessed``.
    """
    feedback = conform("feedback", feedback)  # missing optional columns are written empty
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    _, email = made_up_contacts(feedback["customer"])
    updated = pd.to_datetime(feedback["triaged_at"], utc=True).fillna(
        pd.to_datetime(feedback["created_at"], utc=True))
    return write_export({
        "Note ID": export_ids(feedback, "productboard"), "Title": plain_text(feedback["title"]),
        "Note text": plain_text(feedback["text"]), "State": plain_text(feedback["status"]),
        "Source": plain_text(feedback["channel"]), "Tags": joined_text(feedback["tags"], ", "),
        "Features": joined_text(feedback["linked_item_ids"], ", "),
        "Company": plain_text(feedback["customer"]), "Customer email": email,
        "Company ARR": money_text(feedback["account_arr"]), "Owner": "",
        "Created at": time_text(feedback["created_at"], fmt), "Updated at": time_text(updated, fmt),
    }, path)

"""Intercom conversations CSV export (Reports → Conversations → Export) → feedback.

Columns read (any case, aliases in ``feedback_tools``): ``Conversation ID``, ``Title``/
``Subject``, ``Initial message``/``Body``, ``State`` (open, snoozed, closed), ``Created at``,
``Updated at``, ``First admin reply at``/``First response at``, ``Closed at``, ``Tags``
(comma-separated), ``Company name``, ``User email`` (only its domain, when there is no company),
``Company monthly spend`` (MRR → ARR × 12), ``Channel``/``Source type``, ``Linked issues``.
User and admin names are not kept. Triage is the first admin reply (or assignment); a snoozed or
closed conversation without one is triaged by its closed/updated time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import conform
from .feedback_tools import (FeedbackFormat, FeedbackSpec, export_ids, joined_text, latest_time,
                             made_up_contacts, money_text, plain_text, time_text, write_export)

SPEC = FeedbackSpec("intercom", "Intercom conversations CSV export",
                    ("Conversation ID", "Conversation Id", "Id"),
                    initial_statuses=frozenset({"open"}), solved_statuses=frozenset({"closed"}))


def is_intercom(header: set[str]) -> bool:
    """A ``Conversation ID`` column."""
    return "conversation id" in header


INTERCOM = FeedbackFormat(SPEC, is_intercom)


def write_intercom_csv(feedback: pd.DataFrame, path) -> Path:
    """Write canonical feedback as an Intercom conversations CSV export.

    ``triaged_at`` → ``First admin reply at``, ``solved_at`` → ``Closed at``, ARR → ``Company
    monthly spend`` (ARR / 12), tags comma-separated, linked ids → ``Linked issues``; made-up
    user names and e-mails at the customer's domain; timestamps ``2026-03-01 14:30:00 UTC``.
    Untriaged conversations should have the state ``open``.
    """
    feedback = conform("feedback", feedback)  # missing optional columns are written empty
    fmt = "%Y-%m-%d %H:%M:%S UTC"
    user, email = made_up_contacts(feedback["customer"])
    return write_export({
        "Conversation ID": export_ids(feedback, "intercom"), "Title": plain_text(feedback["title"]),
        "Initial message": plain_text(feedback["text"]), "State": plain_text(feedback["status"]),
        "Channel": plain_text(feedback["channel"]), "Tags": joined_text(feedback["tags"], ", "),
        "Company name": plain_text(feedback["customer"]),
        "Company monthly spend": money_text(feedback["account_arr"], 12.0),
        "User name": user, "User email": email,
        "Created at": time_text(feedback["created_at"], fmt),
        "Updated at": time_text(latest_time(feedback["created_at"], feedback["triaged_at"],
                                            feedback["solved_at"]), fmt),
        "First admin reply at": time_text(feedback["triaged_at"], fmt),
        "Closed at": time_text(feedback["solved_at"], fmt),
        "Linked issues": joined_text(feedback["linked_item_ids"], ", "),
    }, path)

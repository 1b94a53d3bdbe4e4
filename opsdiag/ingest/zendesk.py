"""Zendesk tickets CSV export (Admin Center → Reports → Export → CSV) → feedback.

Columns read (any case, aliases in ``feedback_tools``): ``Id``/``Ticket ID``, ``Subject``,
``Description``, ``Status`` (New, Open, Pending, On-hold, Solved, Closed), ``Requester email``
(only its domain, when there is no ``Organization``), ``Organization``, ``Created at``,
``Updated at``, ``Initially assigned at``, ``Assigned at``, ``First reply time in minutes``,
``Solved at``/``Resolved at``, ``Tags`` (space-separated), ``Via``/``Channel``, ``Linked Jira
issues`` and ARR/MRR custom fields. Requester and assignee names are not kept. Triage is the first
assignment or reply; a ticket past *New* without one is triaged by its solved/updated time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import conform
from .feedback_tools import (FeedbackFormat, FeedbackSpec, export_ids, joined_text, latest_time,
                             made_up_contacts, money_text, plain_text, time_text, write_export)

SPEC = FeedbackSpec("zendesk", "Zendesk tickets CSV export", ("Ticket ID", "Id", "Ticket #"),
                    initial_statuses=frozenset({"new"}),
                    solved_statuses=frozenset({"solved", "closed"}), tag_separator=" ")


def is_zendesk(header: set[str]) -> bool:
    """A subject, a ticket id and at least one Zendesk-only column (requester, via, …)."""
    return (bool(header & {"subject", "ticket subject"}) and bool(header & {"id", "ticket id", "ticket #"})
            and bool(header & {"requester", "requester email", "via", "organization", "solved at",
                               "initially assigned at"}))


ZENDESK = FeedbackFormat(SPEC, is_zendesk)


def write_zendesk_csv(feedback: pd.DataFrame, path) -> Path:
    """Write canonical feedback as a Zendesk tickets CSV export.

    ``Id`` is the feedback id without a ``zendesk-`` prefix; ``triaged_at`` becomes both
    ``Initially assigned at`` and ``Assigned at``; tags are space-separated (spaces inside a tag
    become ``_``); linked ids go to ``Linked Jira issues``; ARR to an ``Account ARR`` custom
    field; each row gets a made-up requester name and e-mail at the customer's domain (the reader
    drops both). Timestamps are UTC ``2026-03-01 14:30:00 +0000``. Untriaged tickets should have
    the status ``New``: the reader infers a triage time for any other status.
    """
    feedback = conform("feedback", feedback)  # missing optional columns are written empty
    fmt = "%Y-%m-%d %H:%M:%S +0000"
    requester, email = made_up_contacts(feedback["customer"])
    return write_export({
        "Id": export_ids(feedback, "zendesk"), "Subject": plain_text(feedback["title"]),
        "Description": plain_text(feedback["text"]), "Status": plain_text(feedback["status"]),
        "Priority": "", "Requester": requester, "Requester email": email,
        "Organization": plain_text(feedback["customer"]), "Assignee": "", "Group": "",
        "Tags": joined_text(feedback["tags"], " ", space="_"), "Via": plain_text(feedback["channel"]),
        "Created at": time_text(feedback["created_at"], fmt),
        "Updated at": time_text(latest_time(feedback["created_at"], feedback["triaged_at"],
                                            feedback["solved_at"]), fmt),
        "Initially assigned at": time_text(feedback["triaged_at"], fmt),
        "Assigned at": time_text(feedback["triaged_at"], fmt),
        "Solved at": time_text(feedback["solved_at"], fmt),
        "Linked Jira issues": joined_text(feedback["linked_item_ids"], ", "),
        "Account ARR": money_text(feedback["account_arr"]),
    }, path)

"""Canny posts CSV export (Settings → Data → Export posts) → feedback.

Columns read (any case, aliases in ``feedback_tools``): ``Post ID``/``ID``, ``Title``,
``Details``, ``Board`` (→ channel), ``Status`` (open, under review, planned, in progress,
complete, closed), ``Author Email`` (only its domain, when there is no company), ``Company
Name``, ``Company MRR`` (→ ARR × 12) or ``Account ARR``, ``Tags``, ``Created At``/``Created``,
``Status Changed At``, ``Jira Issue``/``Linked issues``. ``Votes``/``Score`` identify the export
but are not kept (the canonical table has no vote count); author names are not kept. A post past
*open* is triaged by its status-change time; complete/closed posts are solved at it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import conform
from .feedback_tools import (CHANNEL, FeedbackFormat, FeedbackSpec, export_ids, joined_text,
                             made_up_contacts, money_text, plain_text, time_text, write_export)

SPEC = FeedbackSpec("canny", "Canny posts CSV export", ("Post ID", "Id"),
                    initial_statuses=frozenset({"open"}),
                    solved_statuses=frozenset({"complete", "closed"}),
                    channels=("Board", *CHANNEL))


def is_canny(header: set[str]) -> bool:
    """An id, a title, a board and a vote count."""
    return (bool(header & {"post id", "id"}) and "title" in header and "board" in header
            and bool(header & {"votes", "score", "vote count"}))


CANNY = FeedbackFormat(SPEC, is_canny)


def write_canny_csv(feedback: pd.DataFrame, path) -> Path:
    """Write canonical feedback as a Canny posts CSV export.

    ``Board`` = channel (default ``Feature Requests``); ``Status Changed At`` = solved_at for
    solved posts, else triaged_at — Canny exports one status-change time, so a solved post reads
    back with triaged_at = solved_at. ARR → ``Company MRR`` (ARR / 12); linked ids → ``Jira
    Issue``; one vote per post; made-up author names and e-mails. Untriaged posts should have the
    status ``open``.
    """
    feedback = conform("feedback", feedback)  # missing optional columns are written empty
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    author, email = made_up_contacts(feedback["customer"])
    solved = pd.to_datetime(feedback["solved_at"], utc=True)
    changed = solved.where(solved.notna(), pd.to_datetime(feedback["triaged_at"], utc=True))
    return write_export({
        "Post ID": export_ids(feedback, "canny"), "Title": plain_text(feedback["title"]),
        "Details": plain_text(feedback["text"]),
        "Board": plain_text(feedback["channel"]).replace("", "Feature Requests"),
        "Status": plain_text(feedback["status"]), "Author Name": author, "Author Email": email,
        "Company Name": plain_text(feedback["customer"]),
        "Company MRR": money_text(feedback["account_arr"], 12.0), "Votes": "1",
        "Tags": joined_text(feedback["tags"], ", "),
        "Created At": time_text(feedback["created_at"], fmt),
        "Status Changed At": time_text(changed, fmt),
        "Jira Issue": joined_text(feedback["linked_item_ids"], ", "),
    }, path)

"""Feedback importers (Zendesk, Intercom, Productboard, Canny): golden values, writers, bad input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import detect, read_file, read_folder
from opsdiag.ingest.base import Probe
from opsdiag.ingest.feedback_tools import (write_canny_csv, write_intercom_csv,
                                           write_productboard_csv, write_zendesk_csv)
from opsdiag.schema import conform, validate


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def read(tmp_path, name: str, text: str, timezone: str = "UTC"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    fmt, tables, findings = read_file(path, timezone)
    assert fmt is not None, f"{name} not recognised"
    feedback = validate("feedback", tables["feedback"])
    return fmt.name, feedback.set_index("feedback_id", drop=False), findings


def assert_no_email(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        for value in frame[column]:
            cells = value if isinstance(value, tuple) else (value,)
            assert not any(isinstance(c, str) and "@" in c for c in cells), (column, value)


ZENDESK_CSV = """\
Ticket ID,Subject,Description,Status,Requester,Requester email,Organization,Created at,Updated at,Initially assigned at,Assigned at,First reply time in minutes,Solved at,Tags,Via,Linked Jira issues,Account ARR
101,Export fails for ann@acme.io,"CSV export times out; contact ann@acme.io",Solved,Ann Lee,ann@acme.io,Acme Robotics,2026-03-02 09:00:00 +0100,2026-03-06 10:00:00 +0100,2026-03-02 12:00:00 +0100,2026-03-03 08:00:00 +0100,,2026-03-05 08:00:00 +0100,bug export_csv,web,"PROJ-12, https://acme.atlassian.net/browse/proj-13","$120,000"
102,Slow dashboard,Dashboard is slow,New,Carl,carl@Beta.Example.com,,2026-03-02 10:00,2026-03-02 10:00,,,,,,email,,
103,Question about SSO,,Open,Dee,dee@gamma.io,Gamma,2026-03-03 14:30,2026-03-04 09:00,,,90,,sso,chat,,
104,Old bug,,Pending,Eve,eve@delta.io,Delta,2026-03-01 08:00,2026-03-04 12:00,,,,2026-03-02 09:00,,web,,
"""


def test_zendesk_golden(tmp_path):
    name, fb, findings = read(tmp_path, "tickets.csv", ZENDESK_CSV)
    assert name == "zendesk_csv"
    assert list(fb.index) == ["zendesk-101", "zendesk-102", "zendesk-103", "zendesk-104"]
    assert set(fb["source"]) == {"zendesk"}
    a = fb.loc["zendesk-101"]
    assert a["created_at"] == T("2026-03-02 08:00")  # +0100 → UTC
    assert a["triaged_at"] == T("2026-03-02 11:00")  # earliest of the two assignment times
    assert a["solved_at"] == T("2026-03-05 07:00")
    assert a["customer"] == "Acme Robotics" and a["account_arr"] == 120000.0
    assert a["tags"] == ("bug", "export_csv") and a["channel"] == "web" and a["status"] == "Solved"
    assert a["linked_item_ids"] == ("PROJ-12", "PROJ-13")  # browse URL, upper-cased
    assert a["title"] == "Export fails for [email]"
    assert a["text"] == "CSV export times out; contact [email]"
    b = fb.loc["zendesk-102"]
    assert b["customer"] == "beta.example.com"  # no organisation: the e-mail's domain
    assert pd.isna(b["triaged_at"]) and pd.isna(b["solved_at"]) and math.isnan(b["account_arr"])
    assert b["tags"] == () and b["linked_item_ids"] == ()
    # first reply 90 minutes after creation
    assert fb.loc["zendesk-103", "triaged_at"] == T("2026-03-03 16:00")
    # pending with an old "Solved at" (reopened): not solved; triaged by its updated time
    c = fb.loc["zendesk-104"]
    assert pd.isna(c["solved_at"]) and c["triaged_at"] == T("2026-03-04 12:00")
    inferred = [f for f in findings if f.check == "triage_time_inferred"]
    assert len(inferred) == 1 and inferred[0].count == 1 and inferred[0].examples == ["zendesk-104"]
    assert_no_email(fb)


def test_zendesk_naive_times_use_engagement_timezone(tmp_path):
    _, fb, _ = read(tmp_path, "tickets.csv", ZENDESK_CSV, timezone="Europe/Berlin")
    assert fb.loc["zendesk-102", "created_at"] == T("2026-03-02 09:00")  # 10:00 CET
    assert fb.loc["zendesk-101", "created_at"] == T("2026-03-02 08:00")  # explicit offset kept


def test_zendesk_unparseable_created_names_row_and_column(tmp_path):
    bad = ("Id,Subject,Status,Requester,Created at\n"
           "1,Fine,New,Ann,2026-03-01 10:00\n"
           "2,Broken,New,Bob,last tuesday\n")
    path = tmp_path / "zendesk.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        read_file(path)
    assert info.value.row == 3 and info.value.column == "Created at"
    assert "zendesk.csv" in str(info.value) and "row 3" in str(info.value)
    assert "'Created at'" in str(info.value) and "last tuesday" in str(info.value)
    # the folder reader lists the file as an error and reads the others
    (tmp_path / "tickets.csv").write_text(ZENDESK_CSV, encoding="utf-8")
    dataset = read_folder(tmp_path)
    assert [u.path for u in dataset.errors] == ["zendesk.csv"]
    assert len(dataset.feedback) == 4


INTERCOM_CSV = """\
Conversation ID,Title,Initial message,State,Channel,Tags,Company name,Company monthly spend,User name,User email,Created at,Updated at,First admin reply at,Closed at
9001,Billing question,{long},closed,email,"billing, invoices",Acme Robotics,"1,000",Ann,ann@acme.io,2026-03-01 10:00:00 UTC,2026-03-02 10:00:00 UTC,2026-03-01 10:30:00 UTC,2026-03-02 09:00:00 UTC
9002,Feature request,,open,chat,,,,Bob,bob@zeta.io,1772360000,,,
9003,Snoozed one,,snoozed,chat,,,,,,2026-03-01 12:00:00 UTC,2026-03-01 13:00:00 UTC,,
""".replace("{long}", "a" * 600)


def test_intercom_golden(tmp_path):
    name, fb, _ = read(tmp_path, "conversations.csv", INTERCOM_CSV)
    assert name == "intercom_csv"
    a = fb.loc["intercom-9001"]
    assert a["account_arr"] == 12000.0  # monthly spend 1,000 × 12
    assert a["text"] == "a" * 500  # only the first 500 characters are kept
    assert a["tags"] == ("billing", "invoices") and a["customer"] == "Acme Robotics"
    assert (a["created_at"], a["triaged_at"], a["solved_at"]) == (
        T("2026-03-01 10:00"), T("2026-03-01 10:30"), T("2026-03-02 09:00"))
    b = fb.loc["intercom-9002"]
    assert b["created_at"] == T("2026-03-01 10:13:20")  # Unix epoch seconds
    assert b["customer"] == "zeta.io" and pd.isna(b["triaged_at"])  # open, no reply: untriaged
    assert fb.loc["intercom-9003", "triaged_at"] == T("2026-03-01 13:00")  # snoozed: updated time
    assert pd.isna(fb.loc["intercom-9003", "solved_at"])
    assert_no_email(fb)


PRODUCTBOARD_CSV = """\
Note ID,Title,Note text,State,Source,Tags,Features,Company,Customer email,Owner,Created at,Updated at
n-1,Need bulk export,Mail joe@acme.io for details,processed,Slack,"export, bulk","Bulk export (PROJ-7), Reporting",Acme Robotics,joe@acme.io,Pat PM,2026-02-01T09:00:00Z,2026-02-03T09:00:00Z
n-2,Dark mode,,unprocessed,Intercom,,,,joe@omega.io,,2026-02-02T09:00:00Z,2026-02-02T09:00:00Z
"""


def test_productboard_golden(tmp_path):
    name, fb, _ = read(tmp_path, "notes.csv", PRODUCTBOARD_CSV)
    assert name == "productboard_csv"
    a = fb.loc["productboard-n-1"]
    assert a["linked_item_ids"] == ("PROJ-7",)  # feature name carrying a key
    assert a["tags"] == ("export", "bulk", "feature:Reporting")
    assert a["triaged_at"] == T("2026-02-03 09:00") and pd.isna(a["solved_at"])
    assert a["channel"] == "Slack" and a["text"] == "Mail [email] for details"
    b = fb.loc["productboard-n-2"]
    assert b["customer"] == "omega.io" and pd.isna(b["triaged_at"]) and b["linked_item_ids"] == ()
    assert_no_email(fb)


def test_productboard_plain_id_and_content_headers(tmp_path):
    text = ("id,Title,Content,Company,Customer email,Tags,Linked features,Created at,State,Source,Owner\n"
            "77,Audit log,Need an audit log,Acme,a@acme.io,security,Audit log (SEC-3),2026-02-01,new,Email,Pat\n")
    name, fb, _ = read(tmp_path, "export.csv", text)
    row = fb.loc["productboard-77"]
    assert name == "productboard_csv" and row["text"] == "Need an audit log"
    assert row["linked_item_ids"] == ("SEC-3",) and row["tags"] == ("security",)
    assert row["created_at"] == T("2026-02-01") and pd.isna(row["triaged_at"])  # new: untriaged


CANNY_CSV = """\
Post ID,Title,Details,Board,Status,Author Name,Author Email,Company Name,Company MRR,Votes,Tags,Created At,Status Changed At,Jira Issue
p1,Slack integration,Please add,Feature Requests,complete,Ann,ann@acme.io,Acme Robotics,500,12,integrations,2026-01-10T10:00:00.000Z,2026-02-10T10:00:00.000Z,https://acme.atlassian.net/browse/INT-4
p2,API limits,,Feature Requests,under review,Bob,bob@beta.io,Beta,,3,,2026-01-11T10:00:00.000Z,2026-01-12T10:00:00.000Z,
p3,Emoji,,Ideas,open,,,,,1,,2026-01-12T10:00:00.000Z,,
"""


def test_canny_golden(tmp_path):
    name, fb, _ = read(tmp_path, "posts.csv", CANNY_CSV)
    assert name == "canny_csv"
    a = fb.loc["canny-p1"]
    assert a["account_arr"] == 6000.0 and a["linked_item_ids"] == ("INT-4",)
    assert a["triaged_at"] == a["solved_at"] == T("2026-02-10 10:00")
    assert a["channel"] == "Feature Requests" and a["tags"] == ("integrations",)
    b = fb.loc["canny-p2"]
    assert b["triaged_at"] == T("2026-01-12 10:00") and pd.isna(b["solved_at"])
    c = fb.loc["canny-p3"]
    assert c["channel"] == "Ideas" and pd.isna(c["triaged_at"]) and pd.isna(c["customer"])
    assert_no_email(fb)


# --- writers → readers -------------------------------------------------------------------------

def canonical(source: str, statuses: tuple[str, str, str], solved_triage_equal: bool = False):
    solved = T("2026-01-09 09:00")
    return conform("feedback", pd.DataFrame({
        "feedback_id": [f"{source}-1", f"{source}-2", f"{source}-3"], "source": source,
        "created_at": [T("2026-01-05 10:00"), T("2026-01-06 11:30"), T("2026-01-07 08:15")],
        "customer": ["Acme Robotics", None, "Beta GmbH"], "account_arr": [120000.0, None, 12345.67],
        "channel": ["web", "email", "chat"], "title": ["Export fails", "Slow", None],
        "text": ["long text", None, "x"], "tags": [("bug", "export"), (), ("billing",)],
        "status": list(statuses),
        "triaged_at": [pd.NaT, T("2026-01-07 09:00"), solved if solved_triage_equal else T("2026-01-08 09:00")],
        "solved_at": [pd.NaT, pd.NaT, solved],
        "linked_item_ids": [(), ("PROJ-2",), ("PROJ-3", "acme/app#4")],
    }))


@pytest.mark.parametrize("writer, source, statuses, same", [
    (write_zendesk_csv, "zendesk", ("New", "Open", "Solved"), False),
    (write_intercom_csv, "intercom", ("open", "snoozed", "closed"), False),
    (write_productboard_csv, "productboard", ("unprocessed", "processed", "processed"), False),
    (write_canny_csv, "canny", ("open", "planned", "complete"), True),
])
def test_writer_round_trip(tmp_path, writer, source, statuses, same):
    feedback = canonical(source, statuses, solved_triage_equal=same)
    path = writer(feedback, tmp_path / f"{source}.csv")
    assert detect(Probe(path)).name == f"{source}_csv"
    _, tables, _ = read_file(path)
    back = tables["feedback"]
    if source == "productboard":  # notes have no solved time
        feedback["solved_at"] = pd.Series(pd.NaT, index=feedback.index, dtype="datetime64[us, UTC]")
    pd.testing.assert_frame_equal(back, feedback)
    assert_no_email(back)


def test_writers_put_made_up_emails_that_the_reader_drops(tmp_path):
    path = write_zendesk_csv(canonical("zendesk", ("New", "Open", "Solved")), tmp_path / "z.csv")
    text = path.read_text(encoding="utf-8")
    assert "contact1@acme-robotics.example" in text  # a realistic export carries e-mails
    assert text.splitlines()[0].startswith("Id,Subject,Description,Status")


def test_writer_of_empty_feedback_writes_only_the_header(tmp_path):
    empty = conform("feedback", pd.DataFrame(columns=["feedback_id"]))
    path = write_canny_csv(empty, tmp_path / "c.csv")
    assert path.read_text(encoding="utf-8").count("\n") == 1

"""Pseudonymisation: stable aliases, nothing of the real names left."""

import pandas as pd

from opsdiag.client import load_client
from opsdiag.privacy import alias


def test_alias_is_stable_case_insensitive_and_keeps_missing():
    values = pd.Series(["Ana Lima", "ana lima ", None, "Bo"])
    out = alias(values, "Person", "acme")
    assert out[0] == out[1] and out[0].startswith("Person ") and len(out[0]) == len("Person ") + 6
    assert pd.isna(out[2]) and out[3] != out[0]
    assert alias(values, "Person", "other")[0] != out[0]  # keyed per client


def test_load_client_replaces_names_everywhere(tmp_path):
    (tmp_path / "engagement.yaml").write_text("client: Acme\nreport: {pseudonymize: true}\n")
    (tmp_path / "people.csv").write_text("person,role,hours_status_chasing\nAna Lima,product,5\n")
    (tmp_path / "work_items.csv").write_text("item_id,status,assignee,created_at\nA-1,Done,Ana Lima,2026-01-01\n")
    (tmp_path / "feedback.csv").write_text("feedback_id,created_at,customer\nf1,2026-01-02,Globex Corp\n")
    client = load_client(tmp_path)
    person = client.dataset.people["person"].iloc[0]
    assert person.startswith("Person ") and client.dataset.work_items["assignee"].iloc[0] == person
    assert client.dataset.feedback["customer"].iloc[0].startswith("Customer ")
    text = "".join(frame.astype(str).to_csv() for frame in client.dataset.tables.values())
    assert "Ana Lima" not in text and "Globex" not in text

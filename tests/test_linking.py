"""Linking feedback to work items: explicit links, keys in text/tags, GitHub numbers, share."""

from __future__ import annotations

import math

import pandas as pd

from opsdiag.linking import link_feedback, linked_share
from opsdiag.schema import conform, empty_frame

ITEMS = pd.DataFrame({"item_id": ["PROJ-1", "PROJ-2", "acme/app#7", "acme/web#3", "acme/web#8"]})


def feedback(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"feedback_id": [f"f{i}" for i in range(1, n + 1)], "title": [None] * n,
            "text": [None] * n, "tags": [()] * n, "linked_item_ids": [()] * n}
    base.update(columns)
    return conform("feedback", pd.DataFrame(base))


def links(frame: pd.DataFrame) -> list[tuple]:
    return list(frame["linked_item_ids"])


def test_explicit_links_are_kept_even_when_unknown():
    fb = feedback(linked_item_ids=[("EXT-5",), ("PROJ-1",)])
    assert links(link_feedback(fb, ITEMS)) == [("EXT-5",), ("PROJ-1",)]


def test_keys_in_title_text_and_tags_are_added_after_explicit_ones_once():
    fb = feedback(title=["Export broken PROJ-2", None], text=["also PROJ-1, and PROJ-2 again", None],
                  tags=[(), ("PROJ-1",)], linked_item_ids=[("EXT-5",), ()])
    assert links(link_feedback(fb, ITEMS)) == [("EXT-5", "PROJ-2", "PROJ-1"), ("PROJ-1",)]


def test_unknown_keys_and_lower_case_look_alikes_are_ignored():
    fb = feedback(title=["PROJ-99 is not exported", "proj-1 in lower case", "covid-19, utf-8, XPROJ-1"],
                  text=["see ABC-12", None, "aPROJ-1 or PROJ-1x"])
    assert links(link_feedback(fb, ITEMS)) == [(), (), ()]


def test_repeated_tuples_and_lists_link_alike():
    # cells are read once per distinct tuple; lists (unhashable) one by one: the same links
    fb = feedback(tags=[("PROJ-1",), ("PROJ-1",), ()], linked_item_ids=[("EXT-5", "EXT-5"), ("EXT-5", "EXT-5"), ()])
    expected = [("EXT-5", "PROJ-1"), ("EXT-5", "PROJ-1"), ()]
    assert links(link_feedback(fb, ITEMS)) == expected
    as_lists = fb.assign(tags=[list(t) for t in fb["tags"]], linked_item_ids=[list(t) for t in fb["linked_item_ids"]])
    assert links(link_feedback(as_lists, ITEMS)) == expected


def test_github_numbers_link_only_when_unambiguous():
    fb = feedback(title=["Crash, see #7", "Slow, see #3", "see acme/web#3", "see #99"])
    # #7: only acme/app#7 ends in #7; #3: only acme/web#3; full refs link directly
    assert links(link_feedback(fb, ITEMS)) == [("acme/app#7",), ("acme/web#3",), ("acme/web#3",), ()]
    two_repos = pd.DataFrame({"item_id": ["a/b#7", "c/d#7"]})
    assert links(link_feedback(fb.iloc[:1], two_repos)) == [()]  # ambiguous: two repositories


def test_index_and_other_columns_are_preserved():
    fb = feedback(title=["PROJ-1"], text=["x"])
    fb.index = [42]
    out = link_feedback(fb, ITEMS)
    assert list(out.index) == [42] and out.loc[42, "text"] == "x" and links(out) == [("PROJ-1",)]
    assert links(fb) == [()]  # the input frame is not modified


def test_empty_inputs():
    assert link_feedback(empty_frame("feedback"), ITEMS).empty
    fb = feedback(title=["PROJ-1"], linked_item_ids=[("EXT-5",)])
    assert links(link_feedback(fb, empty_frame("work_items"))) == [("EXT-5",)]


def test_linked_share():
    fb = feedback(title=["PROJ-1", None, None, None, None], linked_item_ids=[(), ("EXT-5",), (), (), ()])
    assert linked_share(fb) == 1 / 5  # only the explicit link before linking
    assert linked_share(link_feedback(fb, ITEMS)) == 2 / 5  # f1 (key in title) and f2
    assert math.isnan(linked_share(empty_frame("feedback")))

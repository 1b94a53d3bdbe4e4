"""Pseudonymisation: replace people's and customers' names with stable aliases.

With ``report.pseudonymize: true`` every name that could identify a person or a customer
(roster names, assignees, feedback customers) is replaced by an alias such as
``Person 3f2a91`` before any metric runs, so no page, CSV or summary carries the real name.
Aliases are stable: the same name gets the same alias in every run for the same client (a
keyed SHA-256 of the name, keyed by the client slug), so trends stay comparable week to week.
"""

from __future__ import annotations

import hashlib

import pandas as pd

# table -> (column, alias prefix); multi-valued columns are not names and stay as they are
NAME_COLUMNS = {
    "people": (("person", "Person"),),
    "work_items": (("assignee", "Person"),),
    "feedback": (("customer", "Customer"),),
}


def alias(values: pd.Series, prefix: str, key: str) -> pd.Series:
    """``prefix`` + the first 6 hex digits of SHA-256(key + name), per distinct name; missing stays missing.

    One hash per distinct name, not per row.
    """
    names = values.dropna().astype("str").str.strip().unique()
    table = {n: f"{prefix} {hashlib.sha256(f'{key}:{n.lower()}'.encode()).hexdigest()[:6]}" for n in names}
    return values.astype("str").str.strip().map(table).where(values.notna())


def pseudonymize(dataset, key: str):
    """A copy of ``dataset`` with every name column of ``NAME_COLUMNS`` aliased."""
    replaced = {}
    for table, columns in NAME_COLUMNS.items():
        frame = dataset.tables[table]
        if frame.empty:
            continue
        frame = frame.copy()
        for column, prefix in columns:
            frame[column] = alias(frame[column], prefix, key)
        replaced[table] = frame
    return dataset.replace(**replaced) if replaced else dataset

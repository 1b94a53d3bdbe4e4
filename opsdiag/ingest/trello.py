"""Trello board JSON export (board menu → Print, export and share → Export as JSON).

The board JSON holds ``cards``, ``lists``, ``members`` and up to 1,000 ``actions`` (newest
first). What opsdiag reads:

- **work items** — one per card: item_id = card ``id``; title = ``name``; project = board
  ``name``; status = the *current* name of the list ``idList`` points at (lists are looked up by
  id, so renamed lists and archived lists that cards still reference resolve); labels = label
  names (the colour when a label has no name); assignee = the first member's full name;
  item_type ``Card``; ``closed`` (archived) cards keep their list as status, resolution
  ``Archived``. status_category is guessed from the list name (``category_from_names``) and
  left empty when the name says nothing — the workflow mapping or config decides.
- **created_at** — the ``createCard`` (or copy/convert/move-to-board) action's date; without
  one, the timestamp in the first 8 hex digits of the card id (a Mongo ObjectId), which Trello
  sets when the card is created.
- **transitions** — ``updateCard`` actions with ``data.listBefore``/``data.listAfter`` (list
  moves), plus one creation row per card into its first list (``from_status`` empty) when the
  export covers the card's creation: the creation action's list, else the list the card left on
  its first move, else its current list.
- **field_changes** — archiving/unarchiving (``updateCard`` with ``data.old.closed``) as field
  ``archived``.

Trello's export stops at 1,000 actions. A board with exactly 1,000 gets the warning finding
``trello_actions_truncated`` counting the cards created before the oldest exported action
(their early moves are missing; no creation row is invented for them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, ReadContext, read_json

SOURCE = "trello"
ACTION_LIMIT = 1000
CREATE_TYPES = ("createCard", "copyCard", "convertToCardFromCheckItem", "moveCardToBoard", "emailCard")

_DONE = (r"\b(?:done|closed?|complete[d]?|released|shipped|finished|resolved|merged|deployed|live)\b"
         r"|クローズ|完了|終了|済")
_CANCELED = r"\b(?:cancel(?:l?ed)?|won'?t do|rejected|abandoned|aborted|discarded)\b|中止|却下"
_ACTIVE = (r"\b(?:in progress|progress|doing|review|reviewing|testing|qa|wip|in development|"
           r"developing|working|blocked|on hold|ready to merge|ready for qa)\b|作業中|進行中|対応中|レビュー")
_TODO = (r"\b(?:backlog|to ?do|ideas?|icebox|next|up next|ready|new|open|triage|inbox|planned|"
         r"selected)\b|やること|やりたいこと|未着手|予定")


def category_from_names(names: pd.Series) -> pd.Series:
    """Guess a status category from free status/column names (Trello lists, Asana sections).

    Canceled-like and done-like names → ``done``; active or review names → ``in_progress``;
    backlog-like names → ``todo``; any other name → missing (left to the workflow mapping).
    Checked in that order, so "Ready for QA" is in_progress and "Done (old)" is done.
    """
    text = names.astype("str").str.lower()
    conditions = [text.str.contains(p, regex=True, na=False) for p in (_CANCELED, _DONE, _ACTIVE, _TODO)]
    out = np.select(conditions, ["done", "done", "in_progress", "todo"], default="")
    return pd.Series(out, index=names.index, dtype="str").replace("", np.nan).where(names.notna())


def is_canceled_name(names: pd.Series) -> pd.Series:
    """True where a column name means the work was dropped (Canceled, 中止 …)."""
    return names.astype("str").str.lower().str.contains(_CANCELED, regex=True, na=False)


def objectid_time(ids: pd.Series) -> pd.Series:
    """Creation time encoded in 24-hex Mongo ObjectIds (first 8 hex digits = Unix seconds).

    Ids that are not ObjectIds give missing values.
    """
    ok = ids.astype("str").str.fullmatch(r"[0-9a-fA-F]{24}", na=False)
    seconds = ids.where(ok).str[:8].map(lambda h: int(h, 16) if isinstance(h, str) else np.nan)
    return pd.to_datetime(seconds.astype("float64"), unit="s", utc=True).astype("datetime64[us, UTC]")


_BOARD_KEYS = ('"cards"', '"lists"', '"actions"')


class TrelloFormat(Format):
    """Trello board JSON export."""

    name = "trello_json"
    tables = ("work_items", "transitions", "field_changes")
    description = "Trello board JSON export"

    def sniff(self, probe: Probe) -> bool:
        doc = probe.json
        if isinstance(doc, dict):
            return (isinstance(doc.get("cards"), list) and isinstance(doc.get("lists"), list)
                    and "actions" in doc)
        # a cut-off board is not valid JSON: recognise it from its text so the reader can say so
        head = probe.text_head.lower() if probe.looks_json and doc is None else ""
        return head.lstrip().startswith("{") and ('"labelnames"' in head or '"idboard"' in head) \
            and any(key in head for key in _BOARD_KEYS)

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        board = probe.json if probe.json is not None else read_json(probe)
        for key in ("cards", "lists"):
            if not isinstance(board.get(key), list):
                raise InputFormatError(probe.path, "a Trello board export needs a list here", column=key)
        actions = board.get("actions") or []
        if not isinstance(actions, list):
            raise InputFormatError(probe.path, "expected a list of actions", column="actions")
        lists = {str(x.get("id")): x.get("name") for x in board["lists"] if isinstance(x, dict)}
        members = {str(m.get("id")): m.get("fullName") or m.get("username")
                   for m in board.get("members") or [] if isinstance(m, dict)}
        cards = _cards(board["cards"], lists, members, probe)
        cards["project"] = board.get("name")
        acts = _actions(actions, ctx)
        known = acts["card"].isin(set(cards["item_id"]))
        moves = acts[known & acts["type"].eq("updateCard") & acts["after_id"].notna()]
        transitions = pd.DataFrame({
            "item_id": moves["card"],
            "at": moves["at"],
            "from_status": moves["before_id"].map(lists).fillna(moves["before_name"]),
            "to_status": moves["after_id"].map(lists).fillna(moves["after_name"]),
        })
        creations = acts[known & acts["type"].isin(CREATE_TYPES)].sort_values("at").drop_duplicates("card")
        created = cards["item_id"].map(creations.set_index("card")["at"])
        cards["created_at"] = created.fillna(objectid_time(cards["item_id"]))
        oldest = acts["at"].min() if len(acts) else None
        truncated = len(actions) >= ACTION_LIMIT and oldest is not None
        covered = (created.notna() | cards["created_at"].ge(oldest)) if truncated \
            else pd.Series(True, index=cards.index)
        by_card = creations.set_index("card")
        created_in = by_card["list_id"].map(lists).fillna(by_card["list_name"])
        first_left = transitions.sort_values("at", kind="stable").drop_duplicates("item_id") \
            .set_index("item_id")["from_status"]
        initial = (cards["item_id"].map(created_in).fillna(cards["item_id"].map(first_left))
                   .fillna(cards["status"]))
        born = cards[covered & cards["created_at"].notna()]
        creation_rows = pd.DataFrame({"item_id": born["item_id"], "at": born["created_at"],
                                      "from_status": None, "to_status": initial[born.index]})
        transitions = pd.concat([creation_rows, transitions], ignore_index=True)
        transitions = transitions.sort_values(["item_id", "at"], kind="stable", ignore_index=True)
        transitions["source"] = SOURCE
        if truncated:
            affected = cards.loc[~covered, "item_id"]
            ctx.note("trello_actions_truncated", "warning", affected,
                     f"the board export holds exactly {ACTION_LIMIT} actions, Trello's limit: history "
                     f"before {oldest:%Y-%m-%d} is missing for {len(affected)} cards created earlier "
                     "(export with the API or a Power-Up for full history)", count=len(affected))
        archived = acts[known & acts["type"].eq("updateCard") & acts["old_closed"].notna()]
        field_changes = pd.DataFrame({
            "item_id": archived["card"], "at": archived["at"], "field": "archived",
            "from_value": archived["old_closed"].map(_flag), "to_value": archived["closed"].map(_flag),
        })
        return {"work_items": cards, "transitions": transitions, "field_changes": field_changes}


def _flag(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None or value != value else str(value).lower()


def _cards(raw_cards: list, lists: dict, members: dict, probe: Probe) -> pd.DataFrame:
    """One row per card (a loop over JSON cards while parsing)."""
    rows = []
    for i, card in enumerate(raw_cards):
        if not isinstance(card, dict) or not card.get("id"):
            raise InputFormatError(probe.path, "a card without an id", column=f"cards[{i}].id")
        labels = tuple(lab.get("name") or lab.get("color") or "" for lab in card.get("labels") or []
                       if isinstance(lab, dict))
        first_member = next((members.get(str(m)) for m in card.get("idMembers") or []), None)
        rows.append({"item_id": str(card["id"]), "title": card.get("name"),
                     "list_id": str(card.get("idList")), "closed": bool(card.get("closed")),
                     "labels": tuple(x for x in labels if x), "assignee": first_member})
    cards = pd.DataFrame(rows, columns=["item_id", "title", "list_id", "closed", "labels", "assignee"])
    cards["status"] = cards["list_id"].map(lists)
    cards["status_category"] = category_from_names(cards["status"])
    cards["resolution"] = np.where(is_canceled_name(cards["status"]), "Canceled",
                                   np.where(cards["closed"], "Archived", None))
    cards["item_type"] = "Card"
    cards["source"] = SOURCE
    return cards


def _actions(actions: list, ctx: ReadContext) -> pd.DataFrame:
    """The actions as a flat frame: card, type, at, list ids/names, archive flags."""
    columns = {"id": "id", "type": "type", "date": "date", "data.card.id": "card",
               "data.listBefore.id": "before_id", "data.listBefore.name": "before_name",
               "data.listAfter.id": "after_id", "data.listAfter.name": "after_name",
               "data.list.id": "list_id", "data.list.name": "list_name",
               "data.old.closed": "old_closed", "data.card.closed": "closed"}
    flat = pd.json_normalize([a for a in actions if isinstance(a, dict)]) if actions else pd.DataFrame()
    out = pd.DataFrame({new: flat[old] if old in flat else pd.Series(np.nan, index=flat.index, dtype="object")
                        for old, new in columns.items()}, index=flat.index)
    dates = out["date"].astype("str")
    at = pd.to_datetime(dates, utc=True, errors="coerce", format="ISO8601")
    bad = at.isna() & out["date"].notna()
    if bad.any():
        ctx.note("unparseable_dates", "warning", out.loc[bad, "id"].astype(str),
                 f"{int(bad.sum())} Trello actions have an unreadable 'date'; they are skipped",
                 count=int(bad.sum()))
    out["at"] = at.astype("datetime64[us, UTC]")
    out = out[out["at"].notna()]
    for column in ("card", "before_id", "after_id", "list_id"):
        out[column] = out[column].astype("str").where(out[column].notna())
    return out.reset_index(drop=True)

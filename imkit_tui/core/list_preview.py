"""What a conversation's list row shows of its messages: which ones move it (not the
silent types), whom it names before the preview, and showing again what is newest once
the message it showed is gone (deleted here or on another device)."""

from __future__ import annotations

import sqlite3

from imkit_tui import messages as catalogue
from imkit_tui.core.models import SendStatus
from imkit_tui.core.sql import select_messages

SILENT_IN_LIST = frozenset({catalogue.READ_RECEIPT_REQUEST, catalogue.EDIT})
"""Stored types that say nothing new: they move neither the list row nor its preview
(an edit changes the preview of the message it edits, when that one is shown)."""

_HIDDEN = (*sorted(SILENT_IN_LIST), catalogue.DELETED)
_HIDDEN_MARKS = ",".join("?" * len(_HIDDEN))


def list_sender(object_name: str, sender: str) -> str:
    """The sender the list row names before a preview: none for a notice, which says
    who did what itself ("alice added carol")."""
    kind = catalogue.lookup(object_name).kind
    return sender if kind == catalogue.MessageKind.CONTENT else ""


def shown_in_list(conn: sqlite3.Connection, conv_id: int) -> int | None:
    """The local id of the message the conversation's list row shows: the newest one
    that is neither silent nor deleted, one of ours not stored yet (or failed) counting
    as written after every message stored before it. Two keyed reads from the newest
    end: deleted ones skipped on the way are all they can walk past."""
    stored = conn.execute(
        "SELECT id FROM messages WHERE conv_id = ? AND seq IS NOT NULL"
        f" AND object_name NOT IN ({_HIDDEN_MARKS}) ORDER BY seq DESC LIMIT 1",
        (conv_id, *_HIDDEN),
    ).fetchone()
    unsent = conn.execute(
        "SELECT id FROM messages WHERE conv_id = ? AND seq IS NULL"
        f" AND object_name NOT IN ({_HIDDEN_MARKS}) ORDER BY id DESC LIMIT 1",
        (conv_id, *_HIDDEN),
    ).fetchone()
    ids = [int(row[0]) for row in (stored, unsent) if row is not None]
    if len(ids) == 2 and unsent[0] < stored[0]:
        return ids[0]  # our unsent one was written before the newest stored came
    return ids[-1] if ids else None


def show_newest(conn: sqlite3.Connection, conv_id: int, user_id: str) -> None:
    """The list row shows the conversation's newest message again (its message is gone):
    its preview, whom it names and whether it failed; empty when none is left. The row
    keeps its time and place in the list."""
    shown = shown_in_list(conn, conv_id)
    found = select_messages(conn, "WHERE m.id = ?", (shown,)) if shown is not None else []
    if not found:
        conn.execute(
            "UPDATE conversations SET preview = '', last_sender = '', failed_id = 0 WHERE id = ?",
            (conv_id,),
        )
        return
    message = found[0]
    conn.execute(
        "UPDATE conversations SET preview = ?, last_sender = ?, failed_id = ? WHERE id = ?",
        (
            catalogue.summarize(message.object_name, message.content, user_id),
            list_sender(message.object_name, message.sender),
            message.id if message.status == SendStatus.FAILED else 0,
            conv_id,
        ),
    )

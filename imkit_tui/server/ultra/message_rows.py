"""The rows an ultra group message writes beside itself, in its storing transaction:
the counted row that unread and mention counts read (read diffusion), and an edit's
effect on the message it edits (new content, "edited" mark, newest edit wins)."""

from __future__ import annotations

import sqlite3
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import edit_applies
from imkit_tui.server.store_records import AfterStoring

Then = AfterStoring
"""A NewMessage's `then`: (connection, conversation id, seq, sent_at)."""


def counted_writer(sender: str, object_name: str, content: dict[str, Any]) -> Then | None:
    """The `then` of a message sent to an ultra channel: a counted row when its type is
    counted (None: nothing to write)."""
    if not messages.lookup(object_name).counted:
        return None
    ids, everyone = messages.read_mentions(content)
    mentioned = f",{','.join(ids)}," if ids else ""

    def write(conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO ultra_counted(conv_id, seq, sender, mention_all, mentioned)"
            " VALUES (?, ?, ?, ?, ?)",
            (conv_id, seq, sender, int(everyone), mentioned),
        )

    return write


def edit_writer(original_seq: int, editor: str, content_json: str) -> Then:
    """The `then` of an edit event: the original (`original_seq`, still `editor`'s and
    not recalled) takes the new content unless a newer edit came first."""

    def write(conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        row = conn.execute(
            "SELECT edit_seq FROM ultra_edits WHERE conv_id = ? AND seq = ?",
            (conv_id, original_seq),
        ).fetchone()
        if row is not None and not edit_applies(int(row[0]), seq):
            return
        updated = conn.execute(
            "UPDATE messages SET content = ? WHERE conv_id = ? AND seq = ? AND sender = ?"
            " AND object_name != ?",
            (content_json, conv_id, original_seq, editor, messages.RECALL_NTF),
        ).rowcount
        if updated:
            conn.execute(
                "INSERT OR REPLACE INTO ultra_edits(conv_id, seq, edited_at, edit_seq)"
                " VALUES (?, ?, ?, ?)",
                (conv_id, original_seq, sent_at, seq),
            )

    return write

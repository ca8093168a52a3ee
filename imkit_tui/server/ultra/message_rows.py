"""The rows an ultra group message writes beside itself, in its storing transaction:
the counted row that unread and mention counts read (read diffusion), and an edit's
effect on the message it edits (new content, "edited" mark, newest edit wins). Each is
a store-neutral step (store_records.AfterStoring): one half per store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imkit_tui import messages
from imkit_tui.protocol import edit_applies
from imkit_tui.server.store_records import AfterStoring

if TYPE_CHECKING:
    import asyncpg

Then = AfterStoring
"""A NewMessage's `then`: written with (connection, conversation id, seq, sent_at)."""


@dataclass(frozen=True, slots=True)
class CountedRow:
    """The counted row of a message sent to an ultra channel: who sent it and whom it
    mentions (`mentioned` is ',a,b,'; `everyone` an @all)."""

    sender: str
    everyone: bool
    mentioned: str

    def on_sqlite(self, conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        """Write the row in the SQLite transaction open on `conn`."""
        conn.execute(
            "INSERT OR IGNORE INTO ultra_counted(conv_id, seq, sender, mention_all, mentioned)"
            " VALUES (?, ?, ?, ?, ?)",
            (conv_id, seq, self.sender, int(self.everyone), self.mentioned),
        )

    async def on_postgres(
        self, conn: asyncpg.Connection, conv_id: int, seq: int, sent_at: int
    ) -> None:
        """Write the row in the PostgreSQL transaction open on `conn`."""
        await conn.execute(
            "INSERT INTO ultra_counted(conv_id, seq, sender, mention_all, mentioned)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            conv_id,
            seq,
            self.sender,
            self.everyone,
            self.mentioned,
        )


def counted_writer(sender: str, object_name: str, content: dict[str, Any]) -> Then | None:
    """The `then` of a message sent to an ultra channel: a counted row when its type is
    counted (None: nothing to write)."""
    if not messages.lookup(object_name).counted:
        return None
    ids, everyone = messages.read_mentions(content)
    return CountedRow(sender, everyone, f",{','.join(ids)}," if ids else "")


@dataclass(frozen=True, slots=True)
class EditEffect:
    """An edit event's effect: the original (`original_seq`, still `editor`'s and not
    recalled) takes the new content unless a newer edit came first."""

    original_seq: int
    editor: str
    content_json: str

    def on_sqlite(self, conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        """Apply the edit in the SQLite transaction open on `conn`."""
        row = conn.execute(
            "SELECT edit_seq FROM ultra_edits WHERE conv_id = ? AND seq = ?",
            (conv_id, self.original_seq),
        ).fetchone()
        if row is not None and not edit_applies(int(row[0]), seq):
            return
        updated = conn.execute(
            "UPDATE messages SET content = ? WHERE conv_id = ? AND seq = ? AND sender = ?"
            " AND object_name != ?",
            (self.content_json, conv_id, self.original_seq, self.editor, messages.RECALL_NTF),
        ).rowcount
        if updated:
            conn.execute(
                "INSERT OR REPLACE INTO ultra_edits(conv_id, seq, edited_at, edit_seq)"
                " VALUES (?, ?, ?, ?)",
                (conv_id, self.original_seq, sent_at, seq),
            )

    async def on_postgres(
        self, conn: asyncpg.Connection, conv_id: int, seq: int, sent_at: int
    ) -> None:
        """Apply the edit in the PostgreSQL transaction open on `conn`."""
        newest = await conn.fetchval(
            "SELECT edit_seq FROM ultra_edits WHERE conv_id = $1 AND seq = $2",
            conv_id,
            self.original_seq,
        )
        if newest is not None and not edit_applies(int(newest), seq):
            return
        status = await conn.execute(
            "UPDATE messages SET content = $1 WHERE conv_id = $2 AND seq = $3 AND sender = $4"
            " AND object_name <> $5",
            self.content_json,
            conv_id,
            self.original_seq,
            self.editor,
            messages.RECALL_NTF,
        )
        if status != "UPDATE 0":
            await conn.execute(
                "INSERT INTO ultra_edits(conv_id, seq, edited_at, edit_seq)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (conv_id, seq) DO UPDATE"
                " SET edited_at = EXCLUDED.edited_at, edit_seq = EXCLUDED.edit_seq",
                conv_id,
                self.original_seq,
                sent_at,
                seq,
            )


def edit_writer(original_seq: int, editor: str, content_json: str) -> Then:
    """The `then` of an edit event on message `original_seq` (EditEffect)."""
    return EditEffect(original_seq, editor, content_json)

"""The local store's side of @mentions: which unread messages mention this user.

A message is flagged (``messages.mentioned``) when it is stored: a counted message of
someone else, in a group or an ultra group, whose ``mentionedInfo`` names this user or
everyone. The conversation row counts the flagged messages above the read position
(``conversations.mentions``), recounted wherever the unread count is (core/sql.py), and
a recall or a deletion drops the flag with the content (core/history_store.py).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.core.models import Message
from imkit_tui.core.sql import recount_unread, select_messages
from imkit_tui.protocol import ConversationType, ConvRef

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_FLAGGED_KEY = "mentions_flagged"
"""Set in `meta` once the messages stored before mentions were flagged."""


class MentionTable:
    """`store.mentions`: unread mentions of this user."""

    def __init__(self, parts: StoreParts) -> None:
        self.user_id = parts.user_id
        self._writer = parts.writer
        self._reader = parts.reader
        self._conversation_id = parts.conversation_id

    async def unread(self, conv: ConvRef, limit: int = 100) -> list[Message]:
        """The unread messages of `conv` that mention this user, oldest first."""
        key = (conv.type, conv.target, conv.channel)

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = conn.execute(
                "SELECT id, read_seq, mentions FROM conversations"
                " WHERE type = ? AND target = ? AND channel = ?",
                key,
            ).fetchone()
            if row is None or not row[2]:
                return []
            # The literal `mentioned = 1` lets SQLite use the partial index.
            return select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.mentioned = 1 AND m.counted = 1 AND m.seq > ?"
                " ORDER BY m.seq LIMIT ?",
                (row[0], row[1], limit),
            )

        return await self._reader.run(read)

    async def first_unread(self, conv: ConvRef) -> Message | None:
        """The oldest unread message of `conv` that mentions this user, if any."""
        found = await self.unread(conv, limit=1)
        return found[0] if found else None

    async def flag_stored(self) -> int:
        """Flag the unread mentions among messages stored before the store knew of
        mentions (once per store); return how many were found."""
        user_id = self.user_id

        def job(conn: sqlite3.Connection) -> int:
            if conn.execute("SELECT 1 FROM meta WHERE key = ?", (_FLAGGED_KEY,)).fetchone():
                return 0
            rows = conn.execute(
                "SELECT m.id, m.conv_id, m.content FROM messages m"
                " JOIN conversations c ON c.id = m.conv_id"
                " WHERE c.type IN (?, ?) AND m.counted = 1 AND m.mentioned = 0"
                " AND m.seq > c.read_seq AND m.content LIKE '%mentionedInfo%'",
                (ConversationType.GROUP, ConversationType.ULTRA_GROUP),
            ).fetchall()
            found: dict[int, int] = {}
            for message_id, conv_id, content in rows:
                try:
                    decoded = msgspec.json.decode(content)
                except msgspec.DecodeError:
                    continue
                if catalogue.mentions_user(decoded, user_id):
                    found[int(message_id)] = int(conv_id)
            for message_id in found:
                conn.execute("UPDATE messages SET mentioned = 1 WHERE id = ?", (message_id,))
            for conv_id in set(found.values()):
                recount_unread(conn, conv_id)
            conn.execute("INSERT INTO meta(key, value) VALUES (?, '1')", (_FLAGGED_KEY,))
            return len(found)

        return await self._writer.submit(job)

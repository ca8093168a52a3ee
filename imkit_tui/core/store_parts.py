"""What the local store's per-table objects are built with.

`LocalStore` is made of one query object per table or concern (`store.messages`,
`store.outbox`, `store.conversations`, `store.state`, …); each is built with the same
:class:`StoreParts`: the writer, the reading connection, and the cache of conversation
ids that writer jobs share.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from imkit_tui.core.outbox_claims import OutboxClaims
from imkit_tui.core.search_index import SearchIndexer
from imkit_tui.protocol import ConvRef
from imkit_tui.storage import BatchWriter, Database


class ConversationIds:
    """Conversation ids by reference, made on first use (inside writer jobs only)."""

    def __init__(self) -> None:
        self._ids: dict[ConvRef, int] = {}

    def clear(self) -> None:
        """Forget every id (a rolled-back batch may have made some that are gone)."""
        self._ids.clear()

    def __call__(self, conn: sqlite3.Connection, conv: ConvRef) -> int:
        """The id of `conv`, adding its row when it has none (on the writer's thread)."""
        cached = self._ids.get(conv)
        if cached is not None:
            return cached
        conn.execute(
            "INSERT OR IGNORE INTO conversations(type, target, channel) VALUES (?, ?, ?)",
            (conv.type, conv.target, conv.channel),
        )
        row = conn.execute(
            "SELECT id FROM conversations WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        ).fetchone()
        self._ids[conv] = int(row[0])
        return int(row[0])


@dataclass(frozen=True, slots=True)
class StoreParts:
    """The store's connections and shared helpers, handed to each table object."""

    user_id: str
    db: Database
    """The writer's database (its connection, on the event loop)."""
    reader: Database
    """The reading connection, on its own thread: sees committed data only."""
    writer: BatchWriter
    conversation_id: ConversationIds
    search_index: SearchIndexer
    claims: OutboxClaims

"""The local store (the IMLib database): conversations, messages and the outbox.

`LocalStore` is one query object per table or concern, each built with the same
:class:`~imkit_tui.core.store_parts.StoreParts`: `store.meta`, `store.conversations`,
`store.messages`, `store.outbox`, `store.state`, `store.history`, `store.mentions`,
`store.receipts`, `store.groups`, `store.chatrooms`, `store.public`.
`store.receipts`, `store.groups`, `store.chatrooms`, `store.ultra`.

Writes go through one BatchWriter, inline on the event loop; larger reads (pages, the
conversation list) run on a second connection's thread and only ever see committed
data. Every write method returns after its commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from imkit_tui.core.chatroom_store import ChatroomTable
from imkit_tui.core.customer_service_store import CsStateTable
from imkit_tui.core.first_look import LIST_QUERY
from imkit_tui.core.group_store import GroupTable
from imkit_tui.core.history_store import HistoryTable
from imkit_tui.core.mention_store import MentionTable
from imkit_tui.core.message_table import MessageTable
from imkit_tui.core.models import Conversation
from imkit_tui.core.outbox_claims import OutboxClaims, new_owner
from imkit_tui.core.outbox_table import OutboxTable
from imkit_tui.core.profile_store import ProfileTable
from imkit_tui.core.public_store import PublicTable
from imkit_tui.core.receipts import ReceiptTable
from imkit_tui.core.received_store import Coverage as Coverage
from imkit_tui.core.received_store import ReceivedRows
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.search_index import SearchIndexer
from imkit_tui.core.sql import CONVERSATION_COLUMNS, conversation_from_row
from imkit_tui.core.state_store import StateTable
from imkit_tui.core.store_parts import ConversationIds, StoreParts
from imkit_tui.core.ultra_store import UltraTable
from imkit_tui.protocol import ConvRef
from imkit_tui.storage import BatchWriter, Database, apply_migrations

T = TypeVar("T")


class MetaTable:
    """`store.meta`: the store's key/value table."""

    def __init__(self, parts: StoreParts) -> None:
        self._reader = parts.reader
        self._writer = parts.writer

    async def get(self, key: str, default: str = "") -> str:
        """A value of the store's key/value table."""
        row = await self._reader.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else default

    async def set(self, key: str, value: str) -> None:
        """Set a value of the store's key/value table."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._writer.submit(job)


class ConversationTable:
    """`store.conversations`: the conversation list and its rows."""

    def __init__(self, parts: StoreParts) -> None:
        self._reader = parts.reader
        self._writer = parts.writer
        self._conversation_id = parts.conversation_id

    async def page(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """The conversation list in the service's order: pinned first, then newest."""
        rows = await self._reader.fetch_all(LIST_QUERY, (limit, offset))
        return [conversation_from_row(r) for r in rows]

    async def get(self, conv: ConvRef) -> Conversation | None:
        """One row of the conversation list (None if this conversation is not stored)."""
        row = await self._reader.fetch_one(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations"
            " WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        )
        return conversation_from_row(row) if row else None

    async def total_unread(self) -> int:
        """Unread messages over every conversation that is not muted (an ultra group
        once, by its list row: its channels' rows are summed there)."""
        row = await self._reader.fetch_one(
            "SELECT COALESCE(SUM(unread), 0) FROM conversations WHERE muted = 0"
            " AND (type != 10 OR channel = '*')"
        )
        return int(row[0]) if row else 0

    async def set_draft(self, conv: ConvRef, text: str, now_ms: int) -> None:
        """Keep (or, with empty text, drop) the draft of a conversation; a draft moves
        the conversation up the list as a new message would."""
        draft_at = now_ms if text else 0

        def job(conn: sqlite3.Connection) -> None:
            conv_id = self._conversation_id(conn, conv)
            conn.execute(
                "UPDATE conversations SET draft = ?, draft_at = ?, sort_at = MAX(last_at, ?)"
                " WHERE id = ?",
                (text, draft_at, draft_at, conv_id),
            )

        await self._writer.submit(job)


class LocalStore:
    """One user's local store: one query object per table or concern."""

    def __init__(self, user_id: str, writer_db: Database, reader_db: Database) -> None:
        self.user_id = user_id
        self._db = writer_db
        self._reader = reader_db
        # Touched only by jobs, on the writer's database thread.
        conversation_id = ConversationIds()
        self._writer = BatchWriter(
            writer_db,
            on_rollback=lambda conn: conversation_id.clear(),
            checkpoint=reader_db.checkpoint,
        )
        self.search_index = SearchIndexer(writer_db.path, reader_db)
        """Indexes stored messages for search, in the background (core/search_index.py)."""
        self.claims = OutboxClaims(self._writer, new_owner())
        """This store's claims on outbox rows, which other processes may share."""
        self.received = ReceivedRows(user_id, conversation_id, self.claims.owner, 0)
        """Builds the jobs that store received records (core/received_store.py); its
        `opened_after` is the highest message id when the store was opened: a row above
        it that this process did not write came from another process of the same user."""
        parts = StoreParts(
            user_id,
            writer_db,
            reader_db,
            self._writer,
            conversation_id,
            self.search_index,
            self.claims,
        )
        self.meta = MetaTable(parts)
        """The key/value table (the sync cursor, the last known privacy state, …)."""
        self.conversations = ConversationTable(parts)
        """The conversation list, rows, drafts, the unread total."""
        self.messages = MessageTable(parts, self.received)
        """Pages of messages; received messages and their coverage."""
        self.outbox = OutboxTable(parts)
        """Messages of ours waiting to be sent."""
        self.state = StateTable(parts)
        """Read positions and settings, and the changes still to send."""
        self.history = HistoryTable(parts)
        """Recall, delete, clear and remove, here."""
        self.mentions = MentionTable(parts)
        """Unread @mentions of this user."""
        self.receipts = ReceiptTable(parts)
        """Group read receipts asked for and to answer."""
        self.groups = GroupTable(parts)
        """Group names, owners and members."""
        self.public = PublicTable(parts)
        """Public service accounts as last seen (profile, menu, followed)."""
        self.profiles = ProfileTable(parts)
        """People's display names and portraits (core/profile_store.py)."""
        self.chatrooms = ChatroomTable(parts)
        """The messages of joined chatrooms, held only while in them."""
        self.ultra = UltraTable(parts)
        """Ultra groups: their channels, the user's settings, each channel's counts."""
        self.customer_service = CsStateTable(parts)
        """Where each conversation with a customer service stands."""

    @classmethod
    async def open(cls, path: Path | str, user_id: str) -> LocalStore:
        """Open the store at `path` for `user_id`, migrating it to the current schema."""
        writer = await Database.open(path, threaded=False)
        try:
            await apply_migrations(writer, MIGRATIONS)
            reader = await Database.open(path)
        except BaseException:
            await writer.close()
            raise
        store = cls(user_id, writer, reader)
        row = await reader.fetch_one("SELECT COALESCE(MAX(id), 0) FROM messages")
        store.received.opened_after = int(row[0])
        store._writer.start()
        store.search_index.start()
        await store.mentions.flag_stored()
        await store.chatrooms.clear_orphans()
        return store

    async def count_steps(self, counter: Callable[[], int] | None, every: int = 100) -> None:
        """Call `counter` every `every` SQLite steps on the store's connections
        (None stops it): how much work its statements do, for tests and benchmarks."""
        await self._db.count_steps(counter, every)
        await self._reader.count_steps(counter, every)
        await self.search_index.count_steps(counter, every)

    async def close(self) -> None:
        """Give up this store's outbox claims, commit what is queued and close."""
        await self.search_index.close()
        await self.claims.release()
        await self._writer.close()
        await self._reader.close()
        await self._db.close()

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only `fn(connection)` on the reader's thread (it sees committed data)."""
        return await self._reader.run(fn)

"""The local store (the IMLib database): conversations, messages and the outbox.

Writes go through one BatchWriter, inline on the event loop; larger reads (pages, the
conversation list) run on a second connection's thread and only ever see committed
data. Every write method returns after its commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.core.first_look import LIST_QUERY
from imkit_tui.core.group_store import GroupStore
from imkit_tui.core.history_store import HistoryStore
from imkit_tui.core.mention_store import MentionStore
from imkit_tui.core.models import Conversation, Direction, Message, SendStatus
from imkit_tui.core.outbox_claims import LEASE_MS, OutboxClaims, new_owner, written_elsewhere
from imkit_tui.core.receipts import ReceiptStates
from imkit_tui.core.received_store import (
    SILENT_IN_LIST,
    Coverage,
    Received,
    ReceivedBatch,
    ReceivedRows,
    list_sender,
)
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.search_index import SearchIndexer
from imkit_tui.core.sql import (
    CONVERSATION_COLUMNS,
    OWN_CMID,
    conversation_from_row,
    recipients_column,
    select_messages,
    set_preview,
    stored_conversation_id,
)
from imkit_tui.core.state_store import StateStore
from imkit_tui.protocol import ConvRef, MessageRecord, encode_content
from imkit_tui.storage import BatchWriter, Database, apply_migrations

T = TypeVar("T")

_INSERT_OUTGOING = (
    "INSERT OR IGNORE INTO messages(conv_id, cmid, sender, direction, status, counted,"
    " object_name, content, sent_at, recipients, mentioned, claimed_by, claim_until)"
    " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?)"
)
"""Queues a message of ours (no seq or server id yet), claimed by this store."""


class LocalStore(StateStore, HistoryStore, MentionStore, ReceiptStates, GroupStore):
    """One user's local store."""

    def __init__(self, user_id: str, writer_db: Database, reader_db: Database) -> None:
        self.user_id = user_id
        self._db = writer_db
        self._reader = reader_db
        # Touched only by jobs, on the writer's database thread.
        self._conv_ids: dict[ConvRef, int] = {}
        self._writer = BatchWriter(
            writer_db,
            on_rollback=lambda conn: self._conv_ids.clear(),
            checkpoint=reader_db.checkpoint,
        )
        self.search_index = SearchIndexer(writer_db.path, reader_db)
        """Indexes stored messages for search, in the background (core/search_index.py)."""
        self.claims = OutboxClaims(self._writer, new_owner())
        """This store's claims on outbox rows, which other processes may share."""
        self.received = ReceivedRows(user_id, self._conversation_id, self.claims.owner, 0)
        """Builds the jobs that store received records (core/received_store.py); its
        `opened_after` is the highest message id when the store was opened: a row above
        it that this process did not write came from another process of the same user."""

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
        await store.flag_stored_mentions()
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

    def _conversation_id(self, conn: sqlite3.Connection, conv: ConvRef) -> int:
        cached = self._conv_ids.get(conv)
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
        self._conv_ids[conv] = int(row[0])
        return int(row[0])

    # ------------------------------------------------------------------ meta

    async def get_meta(self, key: str, default: str = "") -> str:
        """A value of the store's key/value table."""
        row = await self._reader.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else default

    async def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store's key/value table."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._writer.submit(job)

    # ------------------------------------------------------------------ outgoing

    async def add_outgoing(
        self,
        conv: ConvRef,
        cmid: str,
        object_name: str,
        content: dict[str, Any],
        now_ms: int,
        to: Sequence[str] = (),
    ) -> Message:
        """Put a message of ours in the outbox (status SENDING); `to` targets it at those
        members of a group. Idempotent by cmid: adding a cmid that is already stored
        returns the stored message as it is."""
        content_json = encode_content(content)
        preview = catalogue.summarize(object_name, content, self.user_id)

        def job(conn: sqlite3.Connection) -> Message:
            conv_id = self._conversation_id(conn, conv)
            # Claimed by this store in the same statement (core/outbox_claims.py).
            cursor = conn.execute(
                _INSERT_OUTGOING,
                (
                    conv_id,
                    cmid,
                    self.user_id,
                    Direction.SENT,
                    SendStatus.SENDING,
                    object_name,
                    content_json,
                    now_ms,
                    recipients_column(to),
                    self.claims.owner,
                    now_ms + LEASE_MS,
                ),
            )
            if cursor.rowcount and cursor.lastrowid is not None:
                if object_name not in SILENT_IN_LIST:
                    sender = list_sender(object_name, self.user_id)
                    set_preview(conn, conv_id, now_ms, preview, sender, None)
                return Message(
                    id=cursor.lastrowid,
                    conv=conv,
                    seq=None,
                    uid=None,
                    cmid=cmid,
                    sender=self.user_id,
                    object_name=object_name,
                    content=content,
                    sent_at=now_ms,
                    direction=Direction.SENT,
                    status=SendStatus.SENDING,
                    to=tuple(to),
                )
            (existing,) = select_messages(
                conn, f"WHERE m.sender = ? AND m.cmid = ? AND m.{OWN_CMID}", (self.user_id, cmid)
            )
            return existing

        return await self._writer.submit(job)

    async def mark_sent(
        self, message_id: int, seq: int, uid: str, sent_at: int, queued: Message | None = None
    ) -> Message | None:
        """Record the server's ack of a message of ours and return it; None if the row
        is gone. A row already confirmed (another process of this user stored the same
        message from the server first) is returned as it is. `queued`, the message as it
        was sent, spares reading the row back."""

        def job(conn: sqlite3.Connection) -> Message | None:
            row = conn.execute(
                "UPDATE messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL"
                " WHERE id = ? AND seq IS NULL RETURNING receipt",
                (seq, uid, sent_at, SendStatus.SENT, message_id),
            ).fetchone()
            if row is not None and queued is not None and queued.id == message_id:
                return msgspec.structs.replace(
                    queued,
                    seq=seq,
                    uid=uid,
                    sent_at=sent_at,
                    status=SendStatus.SENT,
                    error=None,
                    receipt_asked=row[0] != 0,
                )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        # Queued, not run at once: acks arriving together (and whatever else is being
        # written) share one commit, after the messages received meanwhile.
        return await self._writer.submit_nowait(job)

    async def mark_failed(self, message_id: int, code: int) -> Message | None:
        """Take a message out of the outbox as failed with error `code`."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE messages SET status = ?, error = ? WHERE id = ? AND status = ?",
                (SendStatus.FAILED, code, message_id, SendStatus.SENDING),
            )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)

    async def pending(self, limit: int = 100) -> list[Message]:
        """Messages waiting in the outbox, oldest first (a small indexed read, on the
        writer's connection so it always sees the latest writes)."""
        # The literal 0 (SENDING) lets SQLite use the partial index messages_outbox; a
        # bound parameter would make it scan every message.
        return await self._read_messages_inline(
            "WHERE m.status = 0 ORDER BY m.id LIMIT ?", (limit,)
        )

    async def pending_count(self) -> int:
        """How many messages wait in the outbox."""
        row = await self._db.fetch_one("SELECT COUNT(*) FROM messages WHERE status = 0")
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ incoming

    async def add_received(
        self, conv: ConvRef, records: Sequence[MessageRecord], coverage: Coverage
    ) -> ReceivedBatch:
        """Store records of one conversation (duplicates ignored) and its new coverage.

        Records of ours that are still in the outbox here (their ack was lost) are
        confirmed instead of added twice.
        """
        (batch,) = await self.add_received_many([Received(conv, records, coverage)])
        return batch

    async def add_received_many(self, items: Sequence[Received]) -> list[ReceivedBatch]:
        """Store the records of several conversations in one transaction (a burst of
        pushes, pulled pages); one ReceivedBatch per item, in order."""
        batches = await self._writer.submit(self.received.job_for_many(items))
        if any(batch.recalled for batch in batches):
            self.search_index.forget_removed()
        return batches

    async def written_elsewhere(self, conv: ConvRef, up_to_seq: int) -> list[Message]:
        """The messages of `conv` up to `up_to_seq` that another process of this user
        stored since this store opened (core/outbox_claims.py)."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None or up_to_seq <= 0:
                return []
            return written_elsewhere(
                conn,
                int(row[0]),
                self.claims.owner,
                self.received.opened_after,
                up_to_seq=up_to_seq,
            )

        return await self._reader.run(read)

    async def coverages(
        self, convs: Sequence[ConvRef]
    ) -> dict[ConvRef, tuple[Coverage, list[Message]]]:
        """For each of `convs`: which seqs are local (all zero for a conversation never
        seen), and the messages another process of this user stored there since this
        store opened (core/outbox_claims.py). One read, however many conversations."""
        owner, opened_after = self.claims.owner, self.received.opened_after

        def read(conn: sqlite3.Connection) -> dict[ConvRef, tuple[Coverage, list[Message]]]:
            found: dict[ConvRef, tuple[Coverage, list[Message]]] = {}
            for conv in convs:
                row = conn.execute(
                    "SELECT id, synced_seq, floor_seq, max_seq FROM conversations"
                    " WHERE type = ? AND target = ? AND channel = ?",
                    (conv.type, conv.target, conv.channel),
                ).fetchone()
                if row is None:
                    found[conv] = (Coverage(0, 0, 0), [])
                    continue
                elsewhere = (
                    written_elsewhere(conn, row[0], owner, opened_after, up_to_seq=row[1])
                    if row[1] > 0
                    else []
                )
                found[conv] = (Coverage(row[1], row[2], row[3]), elsewhere)
            return found

        return await self._reader.run(read)

    async def coverage(self, conv: ConvRef) -> Coverage:
        """Which seqs of `conv` are local (all zero for a conversation never seen)."""
        row = await self._reader.fetch_one(
            "SELECT synced_seq, floor_seq, max_seq FROM conversations"
            " WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        )
        if row is None:
            return Coverage(0, 0, 0)
        return Coverage(synced_seq=row[0], floor_seq=row[1], max_seq=row[2])

    # ------------------------------------------------------------------ reading

    async def message(self, message_id: int) -> Message | None:
        """One message by its local id."""
        found = await self._read_messages_inline("WHERE m.id = ?", (message_id,))
        return found[0] if found else None

    async def messages_by_id(self, message_ids: Sequence[int]) -> list[Message]:
        """The messages with these local ids (missing ones are left out), by id."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            found: list[Message] = []
            for start in range(0, len(message_ids), 500):
                chunk = tuple(message_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += select_messages(conn, f"WHERE m.id IN ({marks}) ORDER BY m.id", chunk)
            return found

        return await self._db.run(read)

    async def messages(
        self, conv: ConvRef, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """A page of a conversation, oldest first.

        Without `before_seq`: the newest `limit` stored messages, then the ones still in
        the outbox or failed. With it: the `limit` messages just before that seq.
        """

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None:
                return []
            if before_seq is not None:
                older = select_messages(
                    conn,
                    "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq < ?"
                    " ORDER BY m.seq DESC LIMIT ?",
                    (row[0], before_seq, limit),
                )
                return older[::-1]
            stored = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT ?",
                (row[0], limit),
            )
            unsent = select_messages(
                conn, "WHERE m.conv_id = ? AND m.seq IS NULL ORDER BY m.id", (row[0],)
            )
            return stored[::-1] + unsent

        return await self._reader.run(read)

    async def messages_around(
        self, conv: ConvRef, seq: int, *, before: int = 20, after: int = 20
    ) -> list[Message]:
        """The stored messages of `conv` around `seq`, oldest first: up to `before` just
        below it, the one at `seq` and up to `after` above it; when that reaches the
        newest, the ones still in the outbox or failed follow, as in `messages()`."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None:
                return []
            older = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq < ?"
                " ORDER BY m.seq DESC LIMIT ?",
                (row[0], seq, before),
            )
            newer = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq >= ? ORDER BY m.seq LIMIT ?",
                (row[0], seq, after + 2),
            )
            if len(newer) <= after + 1:
                newer += select_messages(
                    conn, "WHERE m.conv_id = ? AND m.seq IS NULL ORDER BY m.id", (row[0],)
                )
            else:
                newer = newer[: after + 1]
            return older[::-1] + newer

        return await self._reader.run(read)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only `fn(connection)` on the reader's thread (it sees committed data)."""
        return await self._reader.run(fn)

    async def _read_messages_inline(self, where: str, params: tuple[Any, ...]) -> list[Message]:
        return await self._db.run(lambda conn: select_messages(conn, where, params))

    async def conversations(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """The conversation list in the service's order: pinned first, then newest."""
        rows = await self._reader.fetch_all(LIST_QUERY, (limit, offset))
        return [conversation_from_row(r) for r in rows]

    async def conversation(self, conv: ConvRef) -> Conversation | None:
        """One row of the conversation list (None if this conversation is not stored)."""
        row = await self._reader.fetch_one(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations"
            " WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        )
        return conversation_from_row(row) if row else None

    async def total_unread(self) -> int:
        """Unread messages over every conversation that is not muted."""
        row = await self._reader.fetch_one(
            "SELECT COALESCE(SUM(unread), 0) FROM conversations WHERE muted = 0"
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

    async def requeue(self, message_id: int) -> Message | None:
        """Put a failed message of ours back in the outbox, with the same client id."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE messages SET status = ?, error = NULL WHERE id = ? AND status = ?",
                (SendStatus.SENDING, message_id, SendStatus.FAILED),
            )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)

    async def update_content(self, message_id: int, content: dict[str, Any]) -> Message | None:
        """Replace the content of a message still in the outbox (its upload finished)."""
        content_json = encode_content(content)

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE messages SET content = ? WHERE id = ? AND status = 0",
                (content_json, message_id),
            )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)

    async def mark_listened(self, message_id: int) -> Message | None:
        """Note that a voice or video message was played on this device."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute("UPDATE messages SET listened = 1 WHERE id = ?", (message_id,))
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)

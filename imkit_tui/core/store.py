"""The local store (the IMLib database): conversations, messages and the outbox.

Writes go through one BatchWriter; reads use a second connection and so only ever see
committed data. Every write method returns after its commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.core.models import Conversation, Direction, Message, SendStatus
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.storage import BatchWriter, apply_migrations, fetch_all, fetch_one, open_database

_decode_content = msgspec.json.Decoder(dict[str, Any]).decode

_MESSAGE_COLUMNS = (
    "m.id, c.type, c.target, c.channel, m.seq, m.uid, m.cmid, m.sender, m.object_name,"
    " m.content, m.sent_at, m.direction, m.status, m.error"
)
_CONVERSATION_COLUMNS = (
    "type, target, channel, last_at, preview, last_sender, unread, pinned, muted, draft, max_seq"
)


def encode_content(content: dict[str, Any]) -> str:
    """The JSON text stored for a message's content."""
    return msgspec.json.encode(content).decode()


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which seqs of a conversation are known to be local: floor_seq..synced_seq."""

    synced_seq: int
    floor_seq: int
    max_seq: int


@dataclass(slots=True)
class ReceivedBatch:
    """What storing a batch of received records changed."""

    added: list[Message] = field(default_factory=list)
    confirmed: list[Message] = field(default_factory=list)


class LocalStore:
    """One user's local store."""

    def __init__(
        self, user_id: str, writer_conn: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.user_id = user_id
        self._conn = writer_conn
        self._reader = reader
        self._conv_ids: dict[ConvRef, int] = {}
        self._writer = BatchWriter(writer_conn, on_rollback=self._forget_ids)

    @classmethod
    async def open(cls, path: Path | str, user_id: str) -> LocalStore:
        """Open the store at `path` for `user_id`, migrating it to the current schema."""
        writer = await open_database(path)
        try:
            await apply_migrations(writer, MIGRATIONS)
            reader = await open_database(path)
        except BaseException:
            await writer.close()
            raise
        store = cls(user_id, writer, reader)
        store._writer.start()
        return store

    async def close(self) -> None:
        """Commit what is queued and close."""
        await self._writer.close()
        await self._reader.close()
        await self._conn.close()

    async def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        await self._writer.flush()

    async def _forget_ids(self) -> None:
        self._conv_ids.clear()

    async def _conversation_id(self, conn: aiosqlite.Connection, conv: ConvRef) -> int:
        cached = self._conv_ids.get(conv)
        if cached is not None:
            return cached
        await conn.execute(
            "INSERT OR IGNORE INTO conversations(type, target, channel) VALUES (?, ?, ?)",
            (conv.type, conv.target, conv.channel),
        )
        async with conn.execute(
            "SELECT id FROM conversations WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        self._conv_ids[conv] = int(row[0])
        return int(row[0])

    # ------------------------------------------------------------------ meta

    async def get_meta(self, key: str, default: str = "") -> str:
        """A value of the store's key/value table."""
        row = await fetch_one(self._reader, "SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else default

    async def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store's key/value table."""

        async def job(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._writer.submit(job)

    # ------------------------------------------------------------------ outgoing

    async def add_outgoing(
        self, conv: ConvRef, cmid: str, object_name: str, content: dict[str, Any], now_ms: int
    ) -> Message:
        """Put a message of ours in the outbox (status SENDING). Idempotent by cmid."""
        content_json = encode_content(content)
        preview = catalogue.summarize(object_name, content)
        counted = 0

        async def job(conn: aiosqlite.Connection) -> int:
            conv_id = await self._conversation_id(conn, conv)
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO messages(conv_id, seq, uid, cmid, sender, direction,"
                " status, counted, object_name, content, sent_at)"
                " VALUES (?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conv_id,
                    cmid,
                    self.user_id,
                    Direction.SENT,
                    SendStatus.SENDING,
                    counted,
                    object_name,
                    content_json,
                    now_ms,
                ),
            )
            if cursor.rowcount:
                await self._set_preview(conn, conv_id, now_ms, preview, self.user_id, None)
            async with conn.execute(
                "SELECT id FROM messages WHERE sender = ? AND cmid = ?", (self.user_id, cmid)
            ) as found:
                row = await found.fetchone()
            assert row is not None
            return int(row[0])

        message_id = await self._writer.submit(job)
        message = await self.message(message_id)
        assert message is not None
        return message

    async def mark_sent(self, message_id: int, seq: int, uid: str, sent_at: int) -> Message | None:
        """Record the server's ack of a message of ours; None if it was already recorded."""

        async def job(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL"
                " WHERE id = ? AND seq IS NULL",
                (seq, uid, sent_at, SendStatus.SENT, message_id),
            )
            return cursor.rowcount > 0

        if not await self._writer.submit(job):
            return None
        return await self.message(message_id)

    async def mark_failed(self, message_id: int, code: int) -> Message | None:
        """Take a message out of the outbox as failed with error `code`."""

        async def job(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "UPDATE messages SET status = ?, error = ? WHERE id = ? AND status = ?",
                (SendStatus.FAILED, code, message_id, SendStatus.SENDING),
            )

        await self._writer.submit(job)
        return await self.message(message_id)

    async def pending(self, limit: int = 100) -> list[Message]:
        """Messages waiting in the outbox, oldest first."""
        return await self._select_messages(
            "WHERE m.status = ? ORDER BY m.id LIMIT ?", (SendStatus.SENDING, limit)
        )

    async def pending_count(self) -> int:
        """How many messages wait in the outbox."""
        row = await fetch_one(
            self._reader, "SELECT COUNT(*) FROM messages WHERE status = ?", (SendStatus.SENDING,)
        )
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ incoming

    async def add_received(
        self, conv: ConvRef, records: Sequence[MessageRecord], coverage: Coverage
    ) -> ReceivedBatch:
        """Store records of one conversation (duplicates ignored) and its new coverage.

        Records of ours that are still in the outbox here (their ack was lost) are
        confirmed instead of added twice.
        """
        rows = [self._record_row(r) for r in records]
        newest = max(records, key=lambda r: r.seq, default=None)

        async def job(conn: aiosqlite.Connection) -> tuple[list[int], list[int]]:
            conv_id = await self._conversation_id(conn, conv)
            added: list[int] = []
            confirmed: list[int] = []
            for record, row in zip(records, rows, strict=True):
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO messages(conv_id, seq, uid, cmid, sender, direction,"
                    " status, counted, object_name, content, sent_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conv_id, *row),
                )
                if cursor.rowcount and cursor.lastrowid is not None:
                    added.append(cursor.lastrowid)
                elif record.sender == self.user_id:
                    confirmed.extend(await self._confirm(conn, record))
            await conn.execute(
                "UPDATE conversations SET synced_seq = ?, floor_seq = ?,"
                " max_seq = MAX(max_seq, ?) WHERE id = ?",
                (coverage.synced_seq, coverage.floor_seq, coverage.max_seq, conv_id),
            )
            if newest is not None:
                await self._set_preview(
                    conn,
                    conv_id,
                    newest.sent_at,
                    catalogue.summarize(newest.object_name, newest.content),
                    newest.sender,
                    newest.seq,
                )
            await self._recount_unread(conn, conv_id)
            return added, confirmed

        added_ids, confirmed_ids = await self._writer.submit(job)
        batch = ReceivedBatch()
        if added_ids:
            batch.added = await self._messages_by_id(added_ids)
        if confirmed_ids:
            batch.confirmed = await self._messages_by_id(confirmed_ids)
        return batch

    def _record_row(self, record: MessageRecord) -> tuple[Any, ...]:
        own = record.sender == self.user_id
        counted = catalogue.lookup(record.object_name).counted and not own
        return (
            record.seq,
            record.uid,
            record.cmid,
            record.sender,
            Direction.SENT if own else Direction.RECEIVED,
            SendStatus.SENT if own else SendStatus.RECEIVED,
            int(counted),
            record.object_name,
            encode_content(record.content),
            record.sent_at,
        )

    async def _confirm(self, conn: aiosqlite.Connection, record: MessageRecord) -> list[int]:
        async with conn.execute(
            "UPDATE messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL"
            " WHERE sender = ? AND cmid = ? AND seq IS NULL RETURNING id",
            (record.seq, record.uid, record.sent_at, SendStatus.SENT, record.sender, record.cmid),
        ) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]

    async def _set_preview(
        self,
        conn: aiosqlite.Connection,
        conv_id: int,
        at: int,
        preview: str,
        sender: str,
        seq: int | None,
    ) -> None:
        await conn.execute(
            "UPDATE conversations SET last_at = ?, preview = ?, last_sender = ?,"
            " last_seq = MAX(last_seq, ?), sort_at = MAX(?, draft_at)"
            " WHERE id = ? AND last_at <= ?",
            (at, preview, sender, seq or 0, at, conv_id, at),
        )

    async def _recount_unread(self, conn: aiosqlite.Connection, conv_id: int) -> None:
        # Counted from the read position and each message's counted flag, never
        # max_seq - read_seq: own and uncounted messages would break that.
        await conn.execute(
            "UPDATE conversations SET unread = (SELECT COUNT(*) FROM messages m"
            " WHERE m.conv_id = conversations.id AND m.seq > conversations.read_seq"
            " AND m.counted = 1) WHERE id = ?",
            (conv_id,),
        )

    async def coverage(self, conv: ConvRef) -> Coverage:
        """Which seqs of `conv` are local (all zero for a conversation never seen)."""
        row = await fetch_one(
            self._reader,
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
        found = await self._messages_by_id([message_id])
        return found[0] if found else None

    async def _messages_by_id(self, ids: list[int]) -> list[Message]:
        marks = ",".join("?" * len(ids))
        return await self._select_messages(f"WHERE m.id IN ({marks}) ORDER BY m.id", tuple(ids))

    async def messages(
        self, conv: ConvRef, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """A page of a conversation, oldest first.

        Without `before_seq`: the newest `limit` stored messages, then the ones still in
        the outbox or failed. With it: the `limit` messages just before that seq.
        """
        conv_id = await self._existing_conversation_id(conv)
        if conv_id is None:
            return []
        if before_seq is None:
            stored = await self._select_messages(
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT ?",
                (conv_id, limit),
            )
            unsent = await self._select_messages(
                "WHERE m.conv_id = ? AND m.seq IS NULL ORDER BY m.id", (conv_id,)
            )
            return stored[::-1] + unsent
        older = await self._select_messages(
            "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
            (conv_id, before_seq, limit),
        )
        return older[::-1]

    async def _existing_conversation_id(self, conv: ConvRef) -> int | None:
        cached = self._conv_ids.get(conv)
        if cached is not None:
            return cached
        row = await fetch_one(
            self._reader,
            "SELECT id FROM conversations WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        )
        return int(row[0]) if row else None

    async def _select_messages(self, where: str, params: tuple[Any, ...]) -> list[Message]:
        sql = (
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m"
            f" JOIN conversations c ON c.id = m.conv_id {where}"
        )
        rows = await fetch_all(self._reader, sql, params)
        return [_message_from_row(row) for row in rows]

    async def conversations(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """The conversation list in the service's order: pinned first, then newest."""
        rows = await fetch_all(
            self._reader,
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"
            " WHERE last_at > 0 OR draft != ''"
            " ORDER BY pinned DESC, sort_at DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            Conversation(
                ref=ConvRef(type=r[0], target=r[1], channel=r[2]),
                last_at=r[3],
                preview=r[4],
                last_sender=r[5],
                unread=r[6],
                pinned=bool(r[7]),
                muted=bool(r[8]),
                draft=r[9],
                max_seq=r[10],
            )
            for r in rows
        ]

    async def mark_read(self, conv: ConvRef) -> None:
        """Everything received in `conv` so far is read. The read position only moves forward."""

        async def job(conn: aiosqlite.Connection) -> None:
            conv_id = await self._conversation_id(conn, conv)
            await conn.execute(
                "UPDATE conversations SET read_seq = MAX(read_seq, last_seq, synced_seq)"
                " WHERE id = ?",
                (conv_id,),
            )
            await self._recount_unread(conn, conv_id)

        await self._writer.submit(job)


def _message_from_row(row: Any) -> Message:
    return Message(
        id=row[0],
        conv=ConvRef(type=row[1], target=row[2], channel=row[3]),
        seq=row[4],
        uid=row[5],
        cmid=row[6],
        sender=row[7],
        object_name=row[8],
        content=_decode_content(row[9]),
        sent_at=row[10],
        direction=Direction(row[11]),
        status=SendStatus(row[12]),
        error=row[13],
    )

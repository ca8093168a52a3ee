"""Chatroom cloud history in the server store: kept when the server is configured to,
read by backward (or forward) pulls of members, pruned by age."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from imkit_tui.protocol import MessageRecord, encode_content
from imkit_tui.server.chatrooms.naming import room_conv
from imkit_tui.storage import BatchWriter, Database

_COLUMNS = "seq, uid, sender, object_name, content, cmid, sent_at"


class ChatroomHistory:
    """Reads and writes of `chatroom_messages` (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def append(self, room: str, record: MessageRecord) -> None:
        """Keep `record`, a message of `room` (its seq is the room's)."""
        row = message_row(room, record)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT OR REPLACE INTO chatroom_messages(room, {_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        await self._writer.submit(job)

    async def remove(self, room: str, seq: int) -> None:
        """Forget message `seq` of `room` (it was recalled)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM chatroom_messages WHERE room = ? AND seq = ?", (room, seq))

        await self._writer.submit(job)

    async def last_seq(self, room: str) -> int:
        """The highest seq kept for `room` (0: none)."""
        row = await self._reader.fetch_one(
            "SELECT MAX(seq) FROM chatroom_messages WHERE room = ?", (room,)
        )
        return int(row[0] or 0) if row else 0

    async def find(self, room: str, uid: str, not_before_ms: int) -> MessageRecord | None:
        """The kept message `uid` of `room`, sent at `not_before_ms` or later."""
        row = await self._reader.fetch_one(
            f"SELECT {_COLUMNS} FROM chatroom_messages WHERE room = ? AND uid = ? AND sent_at >= ?",
            (room, uid, not_before_ms),
        )
        return message_of(room, row) if row else None

    async def page(
        self,
        room: str,
        *,
        after_seq: int,
        before_seq: int,
        limit: int,
        periods: Sequence[tuple[int, int]] | None,
    ) -> list[MessageRecord]:
        """A page of `room`'s kept messages: seq < before_seq newest first (backward),
        else seq > after_seq oldest first; only those within `periods` ((first, last)
        seqs, last 0: open) when given. Each span is a range of the primary key, so a
        page costs what it returns, however long the history."""
        where = ["room = ?"]
        params: list[object] = [room]
        if before_seq:
            where.append("seq < ?")
            params.append(before_seq)
        else:
            where.append("seq > ?")
            params.append(after_seq)
        if periods is not None:
            spans = []
            for first, last in periods:
                spans.append("(seq BETWEEN ? AND ?)")
                params.extend((first, last or 2**63 - 1))
            where.append("(" + (" OR ".join(spans) or "0") + ")")
            if periods:  # the outer bounds, so the key range scanned is no wider
                where.append("seq BETWEEN ? AND ?")
                lasts = [last or 2**63 - 1 for _, last in periods]
                params.extend((min(first for first, _ in periods), max(lasts)))
        order = "DESC" if before_seq else "ASC"
        rows = await self._reader.fetch_all(
            f"SELECT {_COLUMNS} FROM chatroom_messages WHERE {' AND '.join(where)}"
            f" ORDER BY seq {order} LIMIT ?",
            (*params, limit),
        )
        return [message_of(room, row) for row in rows]

    async def prune(self, older_than_ms: int) -> int:
        """Forget messages sent before `older_than_ms`; how many went."""

        def job(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM chatroom_messages WHERE sent_at < ?", (older_than_ms,)
            ).rowcount

        return await self._writer.submit(job)


def message_row(room: str, record: MessageRecord) -> tuple[object, ...]:
    """The row of chatroom_messages that keeps `record`, a message of `room`
    (room, then _COLUMNS)."""
    return (
        room,
        record.seq,
        record.uid,
        record.sender,
        record.object_name,
        encode_content(record.content),
        record.cmid,
        record.sent_at,
    )


def message_of(room: str, row: Sequence[object]) -> MessageRecord:
    """The message of `room` in a row of chatroom_messages (its _COLUMNS)."""
    seq, uid, sender, object_name, content, cmid, sent_at = row
    return MessageRecord(
        uid=str(uid),
        conv=room_conv(room),
        seq=int(str(seq)),
        sender=str(sender),
        object_name=str(object_name),
        content=json.loads(str(content)),
        cmid=str(cmid),
        sent_at=int(str(sent_at)),
    )

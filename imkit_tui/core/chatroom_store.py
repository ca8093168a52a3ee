"""`store.chatrooms`: the messages of the chatrooms this client is in, only while in them.

A chatroom is live: the server keeps nothing for members who are offline, so the client
keeps a room's messages from joining it to leaving it (or to the connection dropping),
in a table of their own. They are never in the conversation list, the unread counts or
search (those read the `messages` table only). Each row names the store that holds it
(its `holder`, one per process: :func:`~imkit_tui.core.outbox_claims.new_owner`), so two
processes of one user join and leave rooms apart; rows left by a process that is gone
are deleted when a store opens (:meth:`ChatroomTable.clear_orphans`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from imkit_tui.core.message_table import in_place, lowest_placed
from imkit_tui.core.models import Direction, Message, SendStatus
from imkit_tui.core.outbox_claims import process_running
from imkit_tui.core.store_parts import StoreParts
from imkit_tui.protocol import ConversationType, ConvRef, MessageRecord
from imkit_tui.protocol.codec import encode_content
from imkit_tui.protocol.frames import MAX_INT

_decode_content = msgspec.json.Decoder(dict[str, Any]).decode

_COLUMNS = (
    "id, room, seq, uid, cmid, sender, object_name, content, sent_at, direction, status, error,"
    " place_seq"
)


def room_ref(room: str) -> ConvRef:
    """The conversation of chatroom `room`."""
    return ConvRef(type=ConversationType.CHATROOM, target=room)


def _message(row: Any) -> Message:
    return Message(
        id=row[0],
        conv=room_ref(row[1]),
        seq=row[2],
        uid=row[3],
        cmid=row[4],
        sender=row[5],
        object_name=row[6],
        content=_decode_content(row[7]),
        sent_at=row[8],
        direction=Direction(row[9]),
        status=SendStatus(row[10]),
        error=row[11],
        place_seq=row[12],
    )


class ChatroomTable:
    """`store.chatrooms`: the messages of joined chatrooms, by room, in seq order."""

    def __init__(self, parts: StoreParts) -> None:
        self._reader = parts.reader
        self._writer = parts.writer
        self._holder = parts.claims.owner
        self._me = parts.user_id

    async def add(self, room: str, records: Sequence[MessageRecord]) -> list[Message]:
        """Keep records of `room` in one transaction; return those that are new here,
        in the order given. A record held already (by server id) is skipped; one of
        this user's own that waits for its ack here is confirmed instead (not new)."""
        holder, me = self._holder, self._me

        def job(conn: sqlite3.Connection) -> list[Message]:
            added: list[Message] = []
            for record in records:
                own = record.sender == me
                if own and _confirm(conn, holder, room, record.cmid, record) is not None:
                    continue
                direction = Direction.SENT if own else Direction.RECEIVED
                status = SendStatus.SENT if own else SendStatus.RECEIVED
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO chatroom_messages(holder, room, seq, uid, cmid,"
                    " sender, object_name, content, sent_at, direction, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        holder,
                        room,
                        record.seq or None,
                        record.uid,
                        record.cmid,
                        record.sender,
                        record.object_name,
                        encode_content(record.content),
                        record.sent_at,
                        direction,
                        status,
                    ),
                )
                if cursor.rowcount and cursor.lastrowid is not None:
                    added.append(
                        Message(
                            id=cursor.lastrowid,
                            conv=room_ref(room),
                            seq=record.seq or None,
                            uid=record.uid,
                            cmid=record.cmid,
                            sender=record.sender,
                            object_name=record.object_name,
                            content=record.content,
                            sent_at=record.sent_at,
                            direction=direction,
                            status=status,
                        )
                    )
            return added

        return await self._writer.submit(job)

    async def add_own(
        self, room: str, cmid: str, object_name: str, content: dict[str, Any], at: int
    ) -> Message:
        """Keep a message this user is sending to `room` (status SENDING, no seq yet)."""
        holder, me = self._holder, self._me

        def job(conn: sqlite3.Connection) -> Message:
            cursor = conn.execute(
                "INSERT INTO chatroom_messages(holder, room, cmid, sender, object_name,"
                " content, sent_at, direction, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    holder,
                    room,
                    cmid,
                    me,
                    object_name,
                    encode_content(content),
                    at,
                    Direction.SENT,
                    SendStatus.SENDING,
                ),
            )
            assert cursor.lastrowid is not None
            return Message(
                id=cursor.lastrowid,
                conv=room_ref(room),
                seq=None,
                uid=None,
                cmid=cmid,
                sender=me,
                object_name=object_name,
                content=content,
                sent_at=at,
                direction=Direction.SENT,
                status=SendStatus.SENDING,
            )

        return await self._writer.submit(job)

    async def confirm(self, room: str, record: MessageRecord) -> Message | None:
        """The server acknowledged an own message (`record` as acknowledged): its seq,
        server id and time. The message as it now is (None when the room was left)."""
        holder = self._holder
        return await self._writer.submit(
            lambda conn: _confirm(conn, holder, room, record.cmid, record)
        )

    async def failed(self, message_id: int, code: int | None) -> Message | None:
        """An own message was refused or dropped with `code` (None: no answer came); it
        as it now is. It keeps its place: after the newest message of the room held
        before it was written, not after those that came since."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE chatroom_messages SET status = ?, error = ?, place_seq = COALESCE(("
                "SELECT o.seq FROM chatroom_messages o WHERE o.holder = chatroom_messages.holder"
                " AND o.room = chatroom_messages.room AND o.seq IS NOT NULL"
                " AND o.id < chatroom_messages.id ORDER BY o.seq DESC LIMIT 1), 0)"
                " WHERE id = ?",
                (SendStatus.FAILED, code, message_id),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM chatroom_messages WHERE id = ?", (message_id,)
            ).fetchone()
            return _message(row) if row else None

        return await self._writer.submit(job)

    async def page(
        self, room: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """Up to `limit` messages of `room` held here, oldest first: the newest (with
        those still sending) or, with `before_seq`, those below it; a failed one of ours
        comes with the message it follows (`Message.place_seq`)."""
        holder = self._holder
        pending: list[Any] = []
        if before_seq is None:
            pending = await self._reader.fetch_all(
                f"SELECT {_COLUMNS} FROM chatroom_messages WHERE holder = ? AND room = ?"
                " AND seq IS NULL AND place_seq IS NULL ORDER BY id",
                (holder, room),
            )
        below = MAX_INT if before_seq is None else before_seq
        rows = await self._reader.fetch_all(
            f"SELECT {_COLUMNS} FROM chatroom_messages WHERE holder = ? AND room = ?"
            " AND seq < ? ORDER BY seq DESC LIMIT ?",
            (holder, room, below, limit),
        )
        stored = [_message(row) for row in reversed(rows)]
        low = lowest_placed(stored, limit)
        failed = await self._reader.fetch_all(
            f"SELECT {_COLUMNS} FROM chatroom_messages WHERE holder = ? AND room = ?"
            " AND seq IS NULL AND place_seq IS NOT NULL AND place_seq >= ? AND place_seq < ?"
            " ORDER BY place_seq, id",
            (holder, room, -1 if low is None else low, below),
        )
        placed = in_place(stored, [_message(row) for row in failed])
        return placed + [_message(row) for row in pending]

    async def count(self, room: str) -> int:
        """How many messages of `room` are held here."""
        row = await self._reader.fetch_one(
            "SELECT COUNT(*) FROM chatroom_messages WHERE holder = ? AND room = ?",
            (self._holder, room),
        )
        return int(row[0]) if row else 0

    async def clear(self, room: str) -> int:
        """Delete every message of `room` held here (the room was left); how many."""
        holder = self._holder

        def job(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM chatroom_messages WHERE holder = ? AND room = ?", (holder, room)
            ).rowcount

        return await self._writer.submit(job)

    async def clear_orphans(self) -> int:
        """Delete the rooms' messages held by processes that are gone (they were out of
        every room when they ended, whether they could say so or not); how many."""
        rows = await self._reader.fetch_all("SELECT DISTINCT holder FROM chatroom_messages")
        gone = [
            str(row[0])
            for row in rows
            if row[0] != self._holder and not process_running(str(row[0]).partition(":")[0])
        ]
        if not gone:
            return 0

        def job(conn: sqlite3.Connection) -> int:
            return sum(
                conn.execute("DELETE FROM chatroom_messages WHERE holder = ?", (h,)).rowcount
                for h in gone
            )

        return await self._writer.submit(job)


def _confirm(
    conn: sqlite3.Connection, holder: str, room: str, cmid: str, record: MessageRecord
) -> Message | None:
    """Mark the own message `cmid` of `room` sent as `record` says (inside a job): its
    content too, which the server may have replaced."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM chatroom_messages WHERE holder = ? AND room = ? AND cmid = ?"
        " AND direction = 1",
        (holder, room, cmid),
    ).fetchone()
    if row is None:
        return None
    conn.execute(
        "UPDATE chatroom_messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL,"
        " content = ? WHERE id = ?",
        (
            record.seq or None,
            record.uid,
            record.sent_at,
            SendStatus.SENT,
            encode_content(record.content),
            row[0],
        ),
    )
    return msgspec.structs.replace(
        _message(row),
        seq=record.seq or None,
        uid=record.uid,
        sent_at=record.sent_at,
        status=SendStatus.SENT,
        error=None,
        content=record.content,
    )

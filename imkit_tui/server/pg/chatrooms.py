"""Chatroom cloud history and the chatrooms' settings on PostgreSQL (as
server/chatrooms/history_store.py and state_store.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from imkit_tui.protocol import MessageRecord
from imkit_tui.server.chatrooms.history_store import message_of, message_row
from imkit_tui.server.pg.writer import PgWriter, affected

_COLUMNS = "seq, uid, sender, object_name, content, cmid, sent_at"
_NO_CEILING = 2**63 - 1


class PgChatroomHistory:
    """Reads and writes of `chatroom_messages`."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def append(self, room: str, record: MessageRecord) -> None:
        """Keep `record`, a message of `room` (its seq is the room's)."""
        row = message_row(room, record)

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                f"INSERT INTO chatroom_messages(room, {_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (room, seq) DO UPDATE"
                " SET uid = excluded.uid, sender = excluded.sender,"
                " object_name = excluded.object_name, content = excluded.content,"
                " cmid = excluded.cmid, sent_at = excluded.sent_at",
                *row,
            )

        await self._writer.submit(job)

    async def remove(self, room: str, seq: int) -> None:
        """Forget message `seq` of `room` (it was recalled)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "DELETE FROM chatroom_messages WHERE room = $1 AND seq = $2", room, seq
            )

        await self._writer.submit(job)

    async def last_seq(self, room: str) -> int:
        """The highest seq kept for `room` (0: none)."""
        found = await self._pool.fetchval(
            "SELECT MAX(seq) FROM chatroom_messages WHERE room = $1", room
        )
        return int(found or 0)

    async def find(self, room: str, uid: str, not_before_ms: int) -> MessageRecord | None:
        """The kept message `uid` of `room`, sent at `not_before_ms` or later."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM chatroom_messages"
            " WHERE room = $1 AND uid = $2 AND sent_at >= $3",
            room,
            uid,
            not_before_ms,
        )
        return message_of(room, tuple(row)) if row else None

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
        seqs, last 0: open) when given. Each span is a range of the primary key."""
        params: list[object] = [room]

        def mark(value: object) -> str:
            params.append(value)
            return f"${len(params)}"

        where = ["room = $1"]
        where.append(f"seq < {mark(before_seq)}" if before_seq else f"seq > {mark(after_seq)}")
        if periods is not None:
            spans = [
                f"(seq BETWEEN {mark(first)} AND {mark(last or _NO_CEILING)})"
                for first, last in periods
            ]
            where.append("(" + (" OR ".join(spans) or "false") + ")")
        order = "DESC" if before_seq else "ASC"
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM chatroom_messages WHERE {' AND '.join(where)}"
            f" ORDER BY seq {order} LIMIT {mark(limit)}",
            *params,
        )
        return [message_of(room, tuple(row)) for row in rows]

    async def prune(self, older_than_ms: int) -> int:
        """Forget messages sent before `older_than_ms`; how many went."""

        async def job(conn: asyncpg.Connection) -> int:
            return affected(
                await conn.execute(
                    "DELETE FROM chatroom_messages WHERE sent_at < $1", older_than_ms
                )
            )

        return await self._writer.submit(job)


class PgChatroomState:
    """Reads and writes of `chatroom_state`: one JSON document."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def save(self, body: dict[str, Any]) -> None:
        """Keep `body` as the chatrooms' settings."""
        text = json.dumps(body, separators=(",", ":"), sort_keys=True)

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO chatroom_state(id, body) VALUES (1, $1)"
                " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                text,
            )

        await self._writer.submit(job)

    async def load(self) -> dict[str, Any]:
        """The chatrooms' settings last kept ({} when none)."""
        text = await self._pool.fetchval("SELECT body FROM chatroom_state WHERE id = 1")
        if text is None:
            return {}
        body = json.loads(str(text))
        return body if isinstance(body, dict) else {}

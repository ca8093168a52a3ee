"""The message log of an hour, as the service hands history to an app server: every
message stored in that hour (`/message/history` answers a URL to it), unless the app
deleted that hour's log (`/message/history/delete`; the messages stay in their
conversations). A store part: reads along the time-ordered uid, no time index needed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from imkit_tui.storage import BatchWriter, Database

HOUR_MS = 3_600_000


def uid_floor(ms: int) -> str:
    """The text every UUIDv7 uid of a message sent at or after `ms` sorts at or above."""
    hexed = f"{max(0, min(ms, 2**48 - 1)):012x}"
    return f"{hexed[:8]}-{hexed[8:]}"


async def in_batches(run: Callable[[], Awaitable[int]], batch: int) -> int:
    """Run `run` (one batch of a purge, answering how many rows it took) until a batch
    takes fewer than `batch`; how many rows went in all."""
    total = 0
    while True:
        taken = await run()
        total += taken
        if taken < batch:
            return total


def _target(key: str, peer: str | None) -> tuple[int, str]:
    """A conversation's type and target as the log names them: the group, the system
    conversation's user, or a private chat's receiver (the sender's peer)."""
    kind, _, rest = key.partition(":")
    if kind in ("3", "6"):
        return int(kind), rest
    return 1, peer or ""


def log_entry(row: Sequence[Any]) -> dict[str, Any]:
    """An entry of an hour's log from a row of (uid, sender, conversation key, object
    name, content, sent_at, the sender's target in the conversation)."""
    uid, sender, key, object_name, content, sent_at, peer = row
    kind, target = _target(str(key), None if peer is None else str(peer))
    return {
        "msgUID": str(uid),
        "fromUserId": str(sender),
        "targetId": target,
        "targetType": kind,
        "classname": str(object_name),
        "content": json.loads(content),
        "timestamp": int(sent_at),
    }


class HistoryLogs:
    """Reads of an hour's messages, and the hours whose log was deleted."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def page(self, hour_ms: int, after_uid: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries of the log of the hour starting at `hour_ms`, after
        `after_uid` ("" from the start), oldest first; [] when that log was deleted."""
        if await self.deleted(hour_ms):
            return []
        rows = await self._reader.fetch_all(
            "SELECT m.uid, m.sender, c.key, m.object_name, m.content, m.sent_at,"
            " (SELECT target FROM members t WHERE t.conv_id = m.conv_id AND t.user_id = m.sender)"
            " FROM messages m JOIN conversations c ON c.id = m.conv_id"
            " WHERE m.uid >= ? AND m.uid > ? AND m.uid < ? AND m.sent_at >= ? AND m.sent_at < ?"
            " ORDER BY m.uid LIMIT ?",
            (
                uid_floor(hour_ms),
                after_uid,
                uid_floor(hour_ms + HOUR_MS),
                hour_ms,
                hour_ms + HOUR_MS,
                limit,
            ),
        )
        return [log_entry(row) for row in rows]

    async def delete(self, hour_ms: int) -> None:
        """Delete the log of the hour starting at `hour_ms` (not its messages)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO history_logs_deleted(hour_ms) VALUES (?)", (hour_ms,)
            )

        await self._writer.submit(job)

    async def deleted(self, hour_ms: int) -> bool:
        """Whether the log of that hour was deleted."""
        row = await self._reader.fetch_one(
            "SELECT 1 FROM history_logs_deleted WHERE hour_ms = ?", (hour_ms,)
        )
        return row is not None

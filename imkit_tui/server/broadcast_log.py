"""When the Server API's broadcasts went out (a store part), so that their limit (at most
2 an hour and 3 a day, server/api/limits.py) holds across a restart of the server."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from imkit_tui.storage import BatchWriter, Database

Allows = Callable[[list[int], int], bool]
"""(the times of the broadcasts let through, now) -> whether one more may go."""


class BroadcastLog:
    """Reads and writes of the broadcast times."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def take(self, now_ms: int, since: int, allows: Allows) -> bool:
        """Let a broadcast through at `now_ms` if `allows(times since `since`, now_ms)`,
        and note it; those before `since` are forgotten. One writer job, so two calls
        (or, on a shared store, two nodes) never both take the last one."""

        def job(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM api_broadcasts WHERE sent_at < ?", (since,))
            rows = conn.execute("SELECT sent_at FROM api_broadcasts ORDER BY sent_at")
            if not allows([int(row[0]) for row in rows], now_ms):
                return False
            conn.execute("INSERT INTO api_broadcasts(sent_at) VALUES (?)", (now_ms,))
            return True

        return await self._writer.submit(job)

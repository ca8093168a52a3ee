"""When the Server API's broadcasts went out (a store part), so that their limit (at most
2 an hour and 3 a day, server/api/limits.py) holds across a restart of the server."""

from __future__ import annotations

import sqlite3

from imkit_tui.storage import BatchWriter, Database


class BroadcastLog:
    """Reads and writes of the broadcast times."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def record(self, sent_at: int, forget_before: int) -> None:
        """Note a broadcast let through at `sent_at`; drop those before `forget_before`."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM api_broadcasts WHERE sent_at < ?", (forget_before,))
            conn.execute("INSERT INTO api_broadcasts(sent_at) VALUES (?)", (sent_at,))

        await self._writer.submit(job)

    async def since(self, start: int) -> list[int]:
        """The times of the broadcasts from `start` on, oldest first."""
        rows = await self._reader.fetch_all(
            "SELECT sent_at FROM api_broadcasts WHERE sent_at >= ? ORDER BY sent_at", (start,)
        )
        return [int(row[0]) for row in rows]

"""The chatrooms' settings in the server store: one JSON document (snapshot.py)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from imkit_tui.storage import BatchWriter, Database


class ChatroomState:
    """Reads and writes of `chatroom_state` (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def save(self, body: dict[str, Any]) -> None:
        """Keep `body` as the chatrooms' settings."""
        text = json.dumps(body, separators=(",", ":"), sort_keys=True)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO chatroom_state(id, body) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                (text,),
            )

        await self._writer.submit(job)

    async def load(self) -> dict[str, Any]:
        """The chatrooms' settings last kept ({} when none)."""
        row = await self._reader.fetch_one("SELECT body FROM chatroom_state WHERE id = 1")
        if not row:
            return {}
        body = json.loads(str(row[0]))
        return body if isinstance(body, dict) else {}

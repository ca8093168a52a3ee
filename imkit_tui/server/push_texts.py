"""What a message's offline push notification says, when the app server gave it
(`pushContent`, `pushData` of the Server API's publish paths): kept by message uid for
the offline push to use (a store part). Messages without one have no row."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from imkit_tui.storage import BatchWriter, Database


class PushTexts:
    """Reads and writes of push texts."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def keep(self, uids: Sequence[str], content: str, data: str) -> None:
        """Keep the push text (`content`) and payload (`data`) of the messages `uids`."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR REPLACE INTO push_texts(uid, content, data) VALUES (?, ?, ?)",
                [(uid, content, data) for uid in uids],
            )

        await self._writer.submit(job)

    async def get(self, uid: str) -> tuple[str, str] | None:
        """The push text and payload of message `uid`; None when none was given."""
        row = await self._reader.fetch_one(
            "SELECT content, data FROM push_texts WHERE uid = ?", (uid,)
        )
        return (str(row[0]), str(row[1])) if row is not None else None

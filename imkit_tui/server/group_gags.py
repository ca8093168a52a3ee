"""When the gags of group members end, in the server store.

A gag is a mute (group_voices, kind "muted") with an end: `/group/user/gag/add` mutes
for some minutes. The mute itself is what sends check; this table only says when the
server lifts it again (the Server API's sweep, server/api/runner.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from imkit_tui.storage import BatchWriter, Database

FOREVER = 0
"""`ends_at` of a gag without an end."""


class GroupGags:
    """Reads and writes of gag end times (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def set_ends(self, group_id: str, user_ids: Sequence[str], ends_at: int) -> None:
        """The gags of `user_ids` in `group_id` end at `ends_at` (FOREVER: never)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO group_gag_ends(group_id, user_id, ends_at) VALUES (?, ?, ?)"
                " ON CONFLICT (group_id, user_id) DO UPDATE SET ends_at = excluded.ends_at",
                [(group_id, user_id, ends_at) for user_id in user_ids],
            )

        await self._writer.submit(job)

    async def forget(self, group_id: str, user_ids: Sequence[str]) -> None:
        """The gags of `user_ids` in `group_id` were lifted: no end to keep."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "DELETE FROM group_gag_ends WHERE group_id = ? AND user_id = ?",
                [(group_id, user_id) for user_id in user_ids],
            )

        await self._writer.submit(job)

    async def ends(self, group_id: str) -> dict[str, int]:
        """The end of each gag kept for `group_id`, by user."""
        rows = await self._reader.fetch_all(
            "SELECT user_id, ends_at FROM group_gag_ends WHERE group_id = ?", (group_id,)
        )
        return {str(u): int(e) for u, e in rows}

    async def ended(self, now_ms: int, limit: int = 500) -> list[tuple[str, str]]:
        """(group, user) of gags that ended by `now_ms`, oldest end first."""
        rows = await self._reader.fetch_all(
            "SELECT group_id, user_id FROM group_gag_ends"
            " WHERE ends_at > 0 AND ends_at <= ? ORDER BY ends_at LIMIT ?",
            (now_ms, limit),
        )
        return [(str(g), str(u)) for g, u in rows]

    async def all_muted_groups(self) -> list[str]:
        """The groups muted as a whole, by id (for `/group/ban/query` without ids)."""
        rows = await self._reader.fetch_all("SELECT id FROM groups WHERE all_muted = 1 ORDER BY id")
        return [str(row[0]) for row in rows]

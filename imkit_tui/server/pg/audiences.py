"""The audiences of targeted messages on PostgreSQL: stored in `targeted`, kept in memory
by each node (server/targeted_store.py holds them), and caught up with what other nodes
stored by reading only the rows after the last one seen (`targeted.id`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import asyncpg

from imkit_tui.server.targeted_store import TargetedStore

_SINCE = (
    "SELECT t.id, c.key, t.seq, t.user_id FROM targeted t"
    " JOIN conversations c ON c.id = t.conv_id WHERE t.id > $1 ORDER BY t.id"
)


class PgAudiences:
    """Writes audiences and keeps a node's :class:`TargetedStore` up to date."""

    def __init__(self, memory: TargetedStore) -> None:
        self.memory = memory
        """What handlers read, without I/O (the store's `audiences`)."""
        self._last_id = 0
        self._lock = asyncio.Lock()  # one look at a time: each row is remembered once
        self.stored = False
        """True once a job of the running batch stored an audience (caught up after it)."""

    async def record(
        self,
        conn: asyncpg.Connection,
        conv_id: int,
        seq: int,
        audience: Iterable[str],
        change_id: int,
    ) -> None:
        """Store the audience of the targeted message at `seq` and move the audience's
        change id to `change_id` (inside a writer job)."""
        users = sorted(set(audience))
        await conn.executemany(
            "INSERT INTO targeted(conv_id, seq, user_id) VALUES ($1, $2, $3)",
            [(conv_id, seq, user) for user in users],
        )
        await conn.execute(
            "UPDATE members SET state_change = $1 WHERE conv_id = $2 AND user_id = ANY($3)",
            change_id,
            conv_id,
            users,
        )
        self.stored = True

    async def catch_up(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        """Read the audiences stored (by any node) since the last look."""
        async with self._lock:
            self._apply(await conn.fetch(_SINCE, self._last_id))

    async def reload(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        """Read every audience again (at open)."""
        async with self._lock:
            rows = await conn.fetch(_SINCE, 0)
            self.memory.forget_all()  # and filled again before anything else runs
            self._last_id = 0
            self._apply(rows)

    def _apply(self, rows: list[asyncpg.Record]) -> None:
        grouped: dict[tuple[str, int], list[str]] = {}
        for row in rows:
            grouped.setdefault((str(row[1]), int(row[2])), []).append(str(row[3]))
        for (key, seq), users in sorted(grouped.items(), key=lambda item: item[0][1]):
            self.memory.remember(key, seq, users)
        if rows:
            self._last_id = int(rows[-1][0])

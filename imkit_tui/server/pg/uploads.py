"""Each user's uploads counted in PostgreSQL, once for every node (as the in-memory
counts of server/upload_quota.py on one node): the unfinished uploads in `uploads`, the
bytes of a user's day in `upload_days`. The rules are upload_quota.py's; each count is
a writer job, so two nodes taking the same user's last room one after the other see
each other's."""

from __future__ import annotations

import asyncpg

from imkit_tui.protocol import ProtocolError
from imkit_tui.server.pg.writer import PgWriter
from imkit_tui.server.upload_quota import DayCount, UploadQuota, check_room


class PgUploadCounts:
    """Unfinished uploads and the day's bytes, by user (the store's `uploads`)."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def open(
        self, quota: UploadQuota, user_id: str, sha256: str, size: int, now_ms: int
    ) -> None:
        """Count an unfinished upload (announced again: its new size); RATE_LIMITED,
        counting nothing, past the quota."""

        async def job(conn: asyncpg.Connection) -> ProtocolError | None:
            rows = await conn.fetch("SELECT sha256, size FROM uploads WHERE user_id = $1", user_id)
            try:
                check_room(quota, {str(r[0]): int(r[1]) for r in rows}, sha256, size)
            except ProtocolError as refused:  # an answer, not a failed write
                return refused
            await conn.execute(
                "INSERT INTO uploads(user_id, sha256, size, opened_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (user_id, sha256) DO UPDATE SET size = excluded.size",
                user_id,
                sha256,
                size,
                now_ms,
            )
            return None

        refused = await self._writer.submit(job)
        if refused is not None:
            raise refused

    async def close(self, user_id: str, sha256: str) -> None:
        """The upload no longer counts."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "DELETE FROM uploads WHERE user_id = $1 AND sha256 = $2", user_id, sha256
            )

        await self._writer.submit(job)

    async def opened_before(self, before_ms: int) -> list[tuple[str, str]]:
        """(user, sha256) of the uploads counted since before `before_ms`."""
        rows = await self._pool.fetch(
            "SELECT user_id, sha256 FROM uploads WHERE opened_at < $1", before_ms
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def receive(self, quota: UploadQuota, user_id: str, count: int, now_ms: int) -> None:
        """Count `count` bytes received from `user_id`; RATE_LIMITED, counting nothing,
        past the day's quota."""

        async def job(conn: asyncpg.Connection) -> ProtocolError | None:
            row = await conn.fetchrow(
                "SELECT started_at, received FROM upload_days WHERE user_id = $1", user_id
            )
            day = DayCount(int(row[0]), int(row[1])) if row is not None else DayCount()
            try:
                day = day.add(quota, count, now_ms)
            except ProtocolError as refused:  # an answer, not a failed write
                return refused
            await conn.execute(
                "INSERT INTO upload_days(user_id, started_at, received) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id) DO UPDATE"
                " SET started_at = excluded.started_at, received = excluded.received",
                user_id,
                day.started,
                day.received,
            )
            return None

        refused = await self._writer.submit(job)
        if refused is not None:
            raise refused

"""The outgoing queue and push URLs on PostgreSQL (migration 6): any node writes rows
through the store's writer (the routed messages of a transaction in one row, written as
it commits: pg_routed_batch.py); the node that sends (cluster.py) reads them in id
order and deletes those delivered, the routing rows through its router process. A row
notifies `hooks:KIND` so the sender wakes on it (but for a routing row written by the
node that runs the router: it wakes it itself); each push URL set notifies
`pushurl:USER` so every node reads it again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg

from imkit_tui.server.hooks.deliverers import ROUTING_KINDS
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.server.hooks.rows import logged
from imkit_tui.server.pg.notices import notify
from imkit_tui.server.pg.writer import Done, PgJob, PgWriter, affected
from imkit_tui.storage.writer import WriterClosed

NEW_ROWS = "hooks"
"""The kind of the notice a new row sends (pg/notices.py); its key is the row's kind."""

PUSH_URL = "pushurl"
"""The kind of the notice a changed push URL sends (its key: the user)."""

SCAN_LIMIT = 1000
"""Rows read at most per look at what is new."""

_WRITE = (
    "WITH row AS (INSERT INTO hook_outbox(lane, kind, body, created_at)"
    " VALUES ($1, $2, $3, $4) RETURNING id)"
    " SELECT id, pg_notify($5, $6) FROM row"
)
"""A row and its notice (heard once the row commits) in one statement."""
_WRITE_QUIETLY = (
    "INSERT INTO hook_outbox(lane, kind, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
)
"""A row no other node needs to hear of."""


class PgOutboxRows:
    """Rows of `hook_outbox` and `push_urls`, read on `pool`, written by `writer`; new
    rows are announced on the channel `channel()` names; rows of the kinds `elsewhere`
    are another sender's (the router process's)."""

    def __init__(
        self,
        writer: PgWriter,
        pool: asyncpg.Pool,
        channel: Callable[[], str],
        elsewhere: Sequence[str] = (),
    ) -> None:
        self._writer = writer
        self._pool = pool
        self._channel = channel
        self._elsewhere = list(elsewhere)

    async def load(self) -> list[Entry]:
        """Every waiting entry but those of the kinds elsewhere, oldest first."""
        entries: list[Entry] = []
        while page := await self.after(entries[-1].id if entries else 0):
            entries.extend(page)
        return entries

    async def after(self, last_id: int, limit: int = SCAN_LIMIT) -> list[Entry]:
        """The waiting entries past `last_id` but those of the kinds elsewhere, oldest
        first (at most `limit`)."""
        rows = await self._pool.fetch(
            "SELECT id, lane, kind, body FROM hook_outbox"
            " WHERE id > $1 AND kind <> ALL($3::text[]) ORDER BY id LIMIT $2",
            last_id,
            limit,
            self._elsewhere,
        )
        return [Entry(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def add(self, lane: str, kind: str, body: str, now_ms: int) -> None:
        """Keep a request (committed with the writer's next batch; never waits)."""

        async def job(conn: asyncpg.Connection) -> None:
            await self.write(conn, lane, kind, body, now_ms)

        self._writer.submit_then(job, logged)

    async def write(
        self,
        conn: asyncpg.Connection,
        lane: str,
        kind: str,
        body: str,
        now_ms: int,
        *,
        tell: bool = True,
    ) -> int:
        """Keep a request in the transaction open on `conn` (a message's own: the row
        that routes it is committed with it, or not at all); its id. With `tell`, every
        node hears of it once it commits (a notice); without, only this node knows."""
        if not tell:
            return int(await conn.fetchval(_WRITE_QUIETLY, lane, kind, body, now_ms))
        notice = f"{NEW_ROWS}:{kind}"
        entry_id = await conn.fetchval(_WRITE, lane, kind, body, now_ms, self._channel(), notice)
        return int(entry_id)

    async def let_go(self, kinds: Sequence[str]) -> int:
        """Delete every row of `kinds` (no longer sent); how many."""

        async def job(conn: asyncpg.Connection) -> int:
            return affected(
                await conn.execute("DELETE FROM hook_outbox WHERE kind = ANY($1::text[])", kinds)
            )

        return int(await self._writer.submit(job)) if kinds else 0

    def delete_routed(self, after: int, through: int, done: Done) -> None:
        """Delete the routing rows above `after` (deleted before), up to `through`;
        `done` hears of it after the commit (WriterClosed: the store closes)."""
        if self._writer.closing:
            raise WriterClosed("the store is closed")
        self._writer.submit_then(_delete_routed(after, through), done)

    async def settle_routed(self, after: int, through: int) -> None:
        """Delete those routing rows (when `through` is past `after`) and wait until
        every write queued before is committed."""
        if self._writer.closing:
            raise WriterClosed("the store is closed")
        await self._writer.submit(_delete_routed(after, max(after, through)))

    def delete(self, ids: Sequence[int]) -> None:
        """Forget the entries `ids` (delivered, or dropped)."""
        gone = list(ids)

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM hook_outbox WHERE id = ANY($1::bigint[])", gone)

        if gone:
            self._writer.submit_then(job, logged)

    async def push_urls(self) -> dict[str, str]:
        """Every user's push URL, by user."""
        rows = await self._pool.fetch("SELECT user_id, url FROM push_urls")
        return {str(r[0]): str(r[1]) for r in rows}

    async def push_url(self, user_id: str) -> str:
        """`user_id`'s own push URL ("" when none)."""
        url = await self._pool.fetchval("SELECT url FROM push_urls WHERE user_id = $1", user_id)
        return str(url or "")

    async def set_push_url(self, user_id: str, url: str) -> None:
        """Set `user_id`'s push URL (an empty one removes it)."""

        async def job(conn: asyncpg.Connection) -> None:
            if url:
                await conn.execute(
                    "INSERT INTO push_urls(user_id, url) VALUES ($1, $2)"
                    " ON CONFLICT (user_id) DO UPDATE SET url = EXCLUDED.url",
                    user_id,
                    url,
                )
            else:
                await conn.execute("DELETE FROM push_urls WHERE user_id = $1", user_id)
            await notify(conn, self._channel(), PUSH_URL, user_id)

        await self._writer.submit(job)


def _delete_routed(after: int, through: int) -> PgJob[None]:
    """The job deleting the routing rows above `after` up to `through`: the rows of
    other kinds waiting below are not walked again."""

    async def job(conn: asyncpg.Connection) -> None:
        if through > after:
            await conn.execute(
                "DELETE FROM hook_outbox WHERE id > $1 AND id <= $2 AND kind = ANY($3::text[])",
                after,
                through,
                list(ROUTING_KINDS),
            )

    return job

"""Customer service on PostgreSQL: ratings, left messages, and agents seated in a
customer's conversation (as server/customer_service/records.py)."""

from __future__ import annotations

import json

import asyncpg

from imkit_tui.server.customer_service.records import MAX_LEFT_LISTED, cs_key
from imkit_tui.server.pg.writer import PgWriter


class PgCsRecords:
    """Reads and writes of `cs_ratings`, `cs_left_messages`, and agents' memberships."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def seat(self, customer: str, agent: str, now_ms: int) -> None:
        """Make `agent` a member of `customer`'s conversation (it exists: the customer
        wrote first), seeing it as ConvRef(5, customer), with its whole history."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO members(user_id, conv_id, target, joined_at)"
                " SELECT $1, id, $2, $3 FROM conversations WHERE key = $4"
                " ON CONFLICT DO NOTHING",
                agent,
                customer,
                now_ms,
                cs_key(customer),
            )

        await self._writer.submit(job)

    async def rate(
        self, sid: str, customer: str, agent: str, stars: int, comment: str, now_ms: int
    ) -> None:
        """Keep the rating of session `sid` (a second one for the same session is ignored)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO cs_ratings(sid, customer, agent, stars, comment, rated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                sid,
                customer,
                agent,
                stars,
                comment,
                now_ms,
            )

        await self._writer.submit(job)

    async def ratings(self, agent: str = "") -> list[tuple[str, str, str, int, str]]:
        """The ratings kept (of `agent`'s sessions when given), oldest first:
        (sid, customer, agent, stars, comment)."""
        rows = await self._pool.fetch(
            "SELECT sid, customer, agent, stars, comment FROM cs_ratings"
            " WHERE $1 = '' OR agent = $1 ORDER BY rated_at, sid",
            agent,
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]

    async def leave(self, customer: str, fields: dict[str, str], now_ms: int) -> None:
        """Keep a message `customer` left for the agents."""
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO cs_left_messages(customer, body, left_at) VALUES ($1, $2, $3)",
                customer,
                body,
                now_ms,
            )

        await self._writer.submit(job)

    async def left(self) -> list[tuple[str, dict[str, str], int]]:
        """The latest messages customers left, newest first: (customer, fields, left_at)."""
        rows = await self._pool.fetch(
            "SELECT customer, body, left_at FROM cs_left_messages ORDER BY id DESC LIMIT $1",
            MAX_LEFT_LISTED,
        )
        out = []
        for customer, body, left_at in rows:
            fields = json.loads(str(body))
            out.append((str(customer), {str(k): str(v) for k, v in fields.items()}, int(left_at)))
        return out

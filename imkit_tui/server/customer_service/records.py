"""Customer service in the server store: ratings, left messages, and agents seated in a
customer's conversation (a ServerStore part)."""

from __future__ import annotations

import json
import sqlite3

from imkit_tui.protocol import ConversationType
from imkit_tui.storage import BatchWriter, Database

MAX_LEFT_LISTED = 100
"""The most left messages one listing returns (newest first)."""


def cs_key(customer: str) -> str:
    """The storage key of `customer`'s conversation with the customer service."""
    return f"{int(ConversationType.CUSTOMER_SERVICE)}:{customer}"


class CsRecords:
    """Reads and writes of `cs_ratings`, `cs_left_messages`, and agents' memberships."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def seat(self, customer: str, agent: str, now_ms: int) -> None:
        """Make `agent` a member of `customer`'s conversation (it exists: the customer
        wrote first), seeing it as ConvRef(5, customer), with its whole history."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO members(user_id, conv_id, target, joined_at)"
                " SELECT ?, id, ?, ? FROM conversations WHERE key = ?",
                (agent, customer, now_ms, cs_key(customer)),
            )

        await self._writer.submit(job)

    async def rate(
        self, sid: str, customer: str, agent: str, stars: int, comment: str, now_ms: int
    ) -> None:
        """Keep the rating of session `sid` (a second one for the same session is ignored)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO cs_ratings(sid, customer, agent, stars, comment, rated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sid, customer, agent, stars, comment, now_ms),
            )

        await self._writer.submit(job)

    async def ratings(self, agent: str = "") -> list[tuple[str, str, str, int, str]]:
        """The ratings kept (of `agent`'s sessions when given), oldest first:
        (sid, customer, agent, stars, comment)."""
        rows = await self._reader.fetch_all(
            "SELECT sid, customer, agent, stars, comment FROM cs_ratings"
            " WHERE ? = '' OR agent = ? ORDER BY rated_at, sid",
            (agent, agent),
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]

    async def leave(self, customer: str, fields: dict[str, str], now_ms: int) -> None:
        """Keep a message `customer` left for the agents."""
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO cs_left_messages(customer, body, left_at) VALUES (?, ?, ?)",
                (customer, body, now_ms),
            )

        await self._writer.submit(job)

    async def left(self) -> list[tuple[str, dict[str, str], int]]:
        """The latest messages customers left, newest first: (customer, fields, left_at)."""
        rows = await self._reader.fetch_all(
            "SELECT customer, body, left_at FROM cs_left_messages ORDER BY id DESC LIMIT ?",
            (MAX_LEFT_LISTED,),
        )
        out = []
        for customer, body, left_at in rows:
            fields = json.loads(str(body))
            out.append((str(customer), {str(k): str(v) for k, v in fields.items()}, int(left_at)))
        return out

"""The outgoing queue on disk (server migration 16): one row per waiting request, so
nothing waiting is lost when the server stops or is killed. Written through the store's
own writer, batched with the messages of the same turn of the loop; never awaited on
the send path."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from imkit_tui.server.hooks.deliverers import ROUTING_KINDS
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.storage import BatchWriter, Database
from imkit_tui.storage.writer import Done

log = logging.getLogger(__name__)


def logged(result: Any, error: BaseException | None) -> None:
    """Log a failed write of the outgoing queue (a `submit_then` callback; the rows
    of both stores, rows.py and pg_rows.py)."""
    if error is not None:
        log.error("writing the outgoing queue failed: %r", error)


_DELETE_ROUTED = (
    "DELETE FROM hook_outbox WHERE id > ? AND id <= ? AND kind IN ("
    + ", ".join("?" * len(ROUTING_KINDS))
    + ")"
)


class OutboxRows:
    """Rows of `hook_outbox` and `push_urls`, read on `reader`, written by `writer`;
    rows of the kinds `elsewhere` are another sender's (the router process's)."""

    def __init__(
        self, writer: BatchWriter, reader: Database, elsewhere: Sequence[str] = ()
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._elsewhere = tuple(elsewhere)
        self._not_elsewhere = (
            f" WHERE kind NOT IN ({', '.join('?' * len(elsewhere))})" if elsewhere else ""
        )

    async def load(self) -> list[Entry]:
        """Every waiting entry but those of the kinds elsewhere, oldest first."""
        rows = await self._reader.fetch_all(
            f"SELECT id, lane, kind, body FROM hook_outbox{self._not_elsewhere} ORDER BY id",
            self._elsewhere,
        )
        return [Entry(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def last_id(self) -> int:
        """The largest id of a waiting row of any kind (0 when none)."""
        row = await self._reader.fetch_one("SELECT max(id) FROM hook_outbox")
        return int(row[0]) if row and row[0] is not None else 0

    async def let_go(self, kinds: Sequence[str]) -> int:
        """Delete every row of `kinds` (no longer sent); how many."""
        marks = ", ".join("?" * len(kinds))

        def job(conn: sqlite3.Connection) -> int:
            return conn.execute(f"DELETE FROM hook_outbox WHERE kind IN ({marks})", kinds).rowcount

        return int(await self._writer.submit(job)) if kinds else 0

    def add(self, entry: Entry, now_ms: int) -> None:
        """Keep `entry` (committed with the next batch; the caller does not wait)."""

        def job(conn: sqlite3.Connection) -> None:
            self.write(conn, entry, now_ms)

        self._writer.submit_then(job, logged)

    @staticmethod
    def write(conn: sqlite3.Connection, entry: Entry, now_ms: int) -> None:
        """Keep `entry` in the transaction open on `conn` (a message's own: the row that
        routes it is committed with it, or not at all)."""
        conn.execute(
            "INSERT OR REPLACE INTO hook_outbox(id, lane, kind, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (entry.id, entry.lane, entry.kind, entry.body, now_ms),
        )

    def delete_routed(self, after: int, through: int, done: Done) -> None:
        """Delete the routing rows above `after` (deleted before), up to `through`: the
        rows of other kinds waiting below are not walked again. `done` hears of it
        after the commit (WriterClosed: the store closes)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_DELETE_ROUTED, (after, through, *ROUTING_KINDS))

        self._writer.submit_then(job, done)

    async def settle_routed(self, after: int, through: int) -> None:
        """Delete those routing rows (when `through` is past `after`) and wait until
        every write queued before is committed."""

        def job(conn: sqlite3.Connection) -> None:
            if through > after:
                conn.execute(_DELETE_ROUTED, (after, through, *ROUTING_KINDS))

        await self._writer.submit(job)

    def delete(self, ids: Sequence[int]) -> None:
        """Forget the entries `ids` (delivered, or dropped)."""
        rows = [(i,) for i in ids]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM hook_outbox WHERE id = ?", rows)

        if rows:
            self._writer.submit_then(job, logged)

    async def push_urls(self) -> dict[str, str]:
        """Every user's push URL, by user."""
        rows = await self._reader.fetch_all("SELECT user_id, url FROM push_urls")
        return {str(r[0]): str(r[1]) for r in rows}

    async def set_push_url(self, user_id: str, url: str) -> None:
        """Set `user_id`'s push URL (an empty one removes it)."""

        def job(conn: sqlite3.Connection) -> None:
            if url:
                conn.execute(
                    "INSERT OR REPLACE INTO push_urls(user_id, url) VALUES (?, ?)", (user_id, url)
                )
            else:
                conn.execute("DELETE FROM push_urls WHERE user_id = ?", (user_id,))

        await self._writer.submit(job)

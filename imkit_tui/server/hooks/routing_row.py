"""A message's routing row, written in the message's own transaction on either store
(store_records.AlsoStoring), so a stored message is never without it, even when the
server is killed right after the commit. Routing never fails a message: should the row
not be written, the message is routed after its commit instead (hub.py)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.server.store_records import StoredMessage

if TYPE_CHECKING:
    import asyncpg

    from imkit_tui.server.hooks.pg_rows import PgOutboxRows
    from imkit_tui.server.hooks.queues import LocalQueue

log = logging.getLogger(__name__)

KEPT_LIMIT = 10_000
"""Routing rows written in a message's transaction and not yet heard of as committed,
kept at most (more than a batch: those past it were rolled back)."""


class KeptRows:
    """The routing rows written, by message uid, until the fan-out tells of each
    message (:meth:`committed`). On SQLite (`queue`) the row's entry is queued then; on
    PostgreSQL (`rows`) the sending node reads it from the store."""

    def __init__(
        self,
        kind: str,
        queue: LocalQueue | None = None,
        rows: PgOutboxRows | None = None,
    ) -> None:
        self._kind = kind
        self._queue = queue
        self._rows = rows
        self._kept: dict[str, Entry | None] = {}

    def step(self, lane: str, body_of: Callable[[StoredMessage], str]) -> RoutingRow:
        """The step that writes the routing row (in `lane`, saying `body_of(stored)`)
        in a message's transaction."""
        return RoutingRow(self, lane, body_of)

    def committed(self, uid: str) -> bool:
        """The message `uid` was committed: queue its row; False when none was written."""
        if uid not in self._kept:
            return False
        entry = self._kept.pop(uid)
        if entry is not None and self._queue is not None:
            self._queue.take(entry)
        return True

    def keep_sqlite(self, conn: sqlite3.Connection, uid: str, lane: str, body: str) -> None:
        """Write a row in the SQLite transaction open on `conn`."""
        if self._queue is None:
            raise RuntimeError("these hooks keep no SQLite queue")
        self._note(uid, self._queue.keep(conn, lane, self._kind, body))

    async def keep_postgres(self, conn: asyncpg.Connection, uid: str, lane: str, body: str) -> None:
        """Write a row in the PostgreSQL transaction open on `conn`."""
        if self._rows is None:
            raise RuntimeError("these hooks keep no PostgreSQL queue")
        await self._rows.write(conn, lane, self._kind, body, now_ms())
        self._note(uid, None)

    def _note(self, uid: str, entry: Entry | None) -> None:
        self._kept[uid] = entry
        if len(self._kept) > KEPT_LIMIT:  # rolled back, never told of: let go
            del self._kept[next(iter(self._kept))]


class RoutingRow:
    """The routing row of one message, for `kept`: in `lane`, saying `body_of(stored)`."""

    def __init__(self, kept: KeptRows, lane: str, body_of: Callable[[StoredMessage], str]) -> None:
        self._kept = kept
        self._lane = lane
        self._body_of = body_of

    def on_sqlite(self, conn: sqlite3.Connection, stored: StoredMessage) -> None:
        """Write the row in the SQLite transaction open on `conn`."""
        try:
            self._kept.keep_sqlite(conn, stored.uid, self._lane, self._body_of(stored))
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

    async def on_postgres(self, conn: asyncpg.Connection, stored: StoredMessage) -> None:
        """Write the row in the PostgreSQL transaction open on `conn` (under a savepoint:
        a failure leaves the message's transaction whole)."""
        try:
            async with conn.transaction():
                await self._kept.keep_postgres(conn, stored.uid, self._lane, self._body_of(stored))
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

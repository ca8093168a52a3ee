"""A message's routing row, written in the message's own transaction on either store
(store_records.AlsoStoring), so a stored message is never without it, even when the
server is killed right after the commit (on SQLite, one row holds the routed messages
of a transaction: routed_batch.py). Routing never fails a message: should the row not
be written, the message is routed after its commit instead (hub.py)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import ROUTED
from imkit_tui.server.hooks.forms import values_body
from imkit_tui.server.store_records import StoredMessage

if TYPE_CHECKING:
    import asyncpg

    from imkit_tui.server.hooks.pg_rows import PgOutboxRows
    from imkit_tui.server.hooks.routed_batch import RoutedBatch

log = logging.getLogger(__name__)

KEPT_LIMIT = 10_000
"""Routing rows written in a message's transaction and not yet heard of as committed,
kept at most (more than a batch: those past it were rolled back)."""

ValuesOf = Callable[[StoredMessage], list[str]]
"""A message's routing values (forms.routing_values), once it is stored."""


class KeptRows:
    """The messages whose routing row was written in their own transaction, by uid,
    until the fan-out tells of each (:meth:`committed`). On SQLite `batch` writes the
    rows (the router process sends them); on PostgreSQL `rows` (the sending node reads
    them from the store)."""

    def __init__(self, batch: RoutedBatch | None = None, rows: PgOutboxRows | None = None) -> None:
        self._batch = batch
        self._rows = rows
        self._kept: dict[str, None] = {}
        if batch is not None:
            batch.lost = self.lost

    def step(self, lane: str, values_of: ValuesOf) -> RoutingRow:
        """The step that writes the routing row (in `lane`, saying `values_of(stored)`)
        in a message's transaction."""
        return RoutingRow(self, lane, values_of)

    def committed(self, uid: str) -> bool:
        """The message `uid` was committed; False when no row was written with it."""
        if uid not in self._kept:
            return False
        del self._kept[uid]
        return True

    def lost(self, uids: list[str]) -> None:
        """The rows of `uids` were not written after all."""
        for uid in uids:
            self._kept.pop(uid, None)

    def keep_sqlite(self, conn: sqlite3.Connection, uid: str, lane: str, values: list[str]) -> None:
        """Route the message `uid` with the SQLite transaction open on `conn`."""
        if self._batch is None:
            raise RuntimeError("these hooks keep no SQLite queue")
        self._batch.add(uid, lane, values)
        self._note(uid)

    async def keep_postgres(
        self, conn: asyncpg.Connection, uid: str, lane: str, values: list[str]
    ) -> None:
        """Write a row in the PostgreSQL transaction open on `conn`."""
        if self._rows is None:
            raise RuntimeError("these hooks keep no PostgreSQL queue")
        await self._rows.write(conn, lane, ROUTED, values_body(values), now_ms())
        self._note(uid)

    def _note(self, uid: str) -> None:
        self._kept[uid] = None
        if len(self._kept) > KEPT_LIMIT:  # rolled back, never told of: let go
            del self._kept[next(iter(self._kept))]


class RoutingRow:
    """The routing row of one message, for `kept`: in `lane`, saying `values_of(stored)`."""

    def __init__(self, kept: KeptRows, lane: str, values_of: ValuesOf) -> None:
        self._kept = kept
        self._lane = lane
        self._values_of = values_of

    def on_sqlite(self, conn: sqlite3.Connection, stored: StoredMessage) -> None:
        """Route the message with the SQLite transaction open on `conn`."""
        try:
            self._kept.keep_sqlite(conn, stored.uid, self._lane, self._values_of(stored))
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

    async def on_postgres(self, conn: asyncpg.Connection, stored: StoredMessage) -> None:
        """Write the row in the PostgreSQL transaction open on `conn` (under a savepoint:
        a failure leaves the message's transaction whole)."""
        try:
            values = self._values_of(stored)
            async with conn.transaction():
                await self._kept.keep_postgres(conn, stored.uid, self._lane, values)
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

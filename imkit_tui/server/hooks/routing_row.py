"""A message's routing row, written in the message's own transaction on either store
(store_records.AlsoStoring), so a stored message is never without it, even when the
server is killed right after the commit: the routed messages of a transaction share one
row, written as it commits (routed_batch.py, pg_routed_batch.py). Routing never fails a
message: should the row not be written, the message is routed after its commit instead
(hub.py)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from imkit_tui.server.store_records import StoredMessage

if TYPE_CHECKING:
    import asyncpg

    from imkit_tui.server.hooks.routed_batch import Gathered

log = logging.getLogger(__name__)

KEPT_LIMIT = 10_000
"""Routing rows written in a message's transaction and not yet heard of as committed,
kept at most (more than a batch: those past it were rolled back)."""

ValuesOf = Callable[[StoredMessage], list[str]]
"""A message's routing values (forms.routing_values), once it is stored."""


class KeptRows:
    """The messages whose routing row was written in their own transaction, by uid,
    until the fan-out tells of each (:meth:`committed`): `batch` gathers them for the
    rows written as the transaction commits (routed_batch.py on SQLite,
    pg_routed_batch.py on PostgreSQL); the router process sends them."""

    def __init__(self, batch: Gathered | None = None) -> None:
        self._batch = batch
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

    def keep(self, uid: str, lane: str, values: list[str]) -> None:
        """Route the message `uid` with the transaction open now (either store's)."""
        if self._batch is None:
            raise RuntimeError("these hooks keep no routing rows")
        self._batch.add(uid, lane, values)
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
        self._keep(stored)

    async def on_postgres(self, conn: asyncpg.Connection, stored: StoredMessage) -> None:
        """Route the message with the PostgreSQL transaction open on `conn` (its row is
        written as the transaction commits: no round trip here)."""
        self._keep(stored)

    def _keep(self, stored: StoredMessage) -> None:
        try:
            self._kept.keep(stored.uid, self._lane, self._values_of(stored))
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

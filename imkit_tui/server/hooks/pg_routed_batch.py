"""The rows that route messages to the app's backend, on PostgreSQL: as on SQLite
(routed_batch.py), the routing values of every message a writer transaction stores are
gathered in the message's own job and kept as one row (kind ROUTED_BATCH), written
just before that transaction commits, with one notice for every node. A message's
transaction makes no round trip to the database of its own for routing; a batch of
fifty messages makes the same three as one message (a savepoint, the row, its release).

The writer's transactions commit one after another across the nodes (pg/writer.py), so
the rows' ids grow in commit order: the router process, reading above the last id it
read, never passes over a row committed later."""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import ROUTED_BATCH
from imkit_tui.server.hooks.pg_rows import PgOutboxRows
from imkit_tui.server.hooks.routed_batch import Gathered, remaining_uids
from imkit_tui.server.pg.writer import PgWriter

log = logging.getLogger(__name__)


class PgRoutedBatch:
    """Writes the routed messages `gathered` in each transaction of `writer` as batch
    rows of `rows` before it commits; `written(rows)` hears of the rows committed, as
    (row id, entries)."""

    def __init__(
        self,
        writer: PgWriter,
        rows: PgOutboxRows,
        written: Callable[[list[tuple[int, int]]], None],
    ) -> None:
        self._rows = rows
        self.gathered = Gathered(written)
        """The routed messages of the transaction open now."""
        writer.watch(self)

    # PgTransactionWatcher

    async def before_commit(self, conn: asyncpg.Connection) -> None:
        """Write the gathered messages' rows in the transaction open on `conn`, each
        under a savepoint: a row that fails never fails the messages (they are routed
        after their commit instead)."""
        rows = self.gathered.take()
        for index, (pairs, _) in enumerate(rows):
            try:
                async with conn.transaction():
                    row_id = await self._rows.write(
                        conn, "", ROUTED_BATCH, Gathered.body(pairs), now_ms()
                    )
            except asyncpg.PostgresError:
                self.gathered.not_written(remaining_uids(rows, index))
                return
            self.gathered.wrote(row_id, len(pairs))

    def committed(self) -> None:
        """Tell of the rows just committed."""
        self.gathered.committed()

    def rolled_back(self) -> None:
        """Forget what the rolled-back transaction gathered (its jobs run again)."""
        self.gathered.rolled_back()

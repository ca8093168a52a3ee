"""The rows that route messages to the app's backend, on PostgreSQL: as on SQLite
(routed_batch.py), the routing values of every message a writer transaction stores are
gathered in the message's own job and kept as one row (kind ROUTED_BATCH), written
just before that transaction commits. A message's transaction makes no round trip to
the database of its own for routing, and a transaction one more at most: its row. The
node that runs the router (the one sending the queue) wakes it itself; any other node's
row carries a notice for every node, in the same statement.

A row that cannot be written never fails its messages. A failed statement fails the
whole transaction on PostgreSQL: the writer runs its jobs again (WatcherFailed,
pg/writer.py), and from then on rows are written under a savepoint until one is
written again, so the second time the messages are stored, and routed after their
commit instead. A savepoint costs two more round trips; a row is seldom refused.

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
from imkit_tui.server.pg.writer import PgWriter, WatcherFailed

log = logging.getLogger(__name__)


class PgRoutedBatch:
    """Writes the routed messages `gathered` in each transaction of `writer` as batch
    rows of `rows` before it commits; `written(rows)` hears of the rows committed, as
    (row id, entries); `waking()` tells whether this node wakes the router itself (it
    runs it), so its rows need no notice."""

    def __init__(
        self,
        writer: PgWriter,
        rows: PgOutboxRows,
        written: Callable[[list[tuple[int, int]]], None],
        waking: Callable[[], bool],
    ) -> None:
        self._rows = rows
        self._waking = waking
        self._careful = False  # a transaction failed: rows under a savepoint for now
        self.gathered = Gathered(written)
        """The routed messages of the transaction open now."""
        writer.watch(self)

    # PgTransactionWatcher

    async def before_commit(self, conn: asyncpg.Connection) -> None:
        """Write the gathered messages' rows in the transaction open on `conn` (under a
        savepoint while careful: then a row that fails leaves the messages to be routed
        after their commit)."""
        rows = self.gathered.take()
        tell = not self._waking()
        for index, (pairs, _) in enumerate(rows):
            body = Gathered.body(pairs)
            if not self._careful:
                try:
                    row_id = await self._rows.write(
                        conn, "", ROUTED_BATCH, body, now_ms(), tell=tell
                    )
                except asyncpg.PostgresError as exc:
                    self._careful = True
                    raise WatcherFailed("a routing row was refused") from exc
            else:
                try:
                    async with conn.transaction():
                        row_id = await self._rows.write(
                            conn, "", ROUTED_BATCH, body, now_ms(), tell=tell
                        )
                except asyncpg.PostgresError:
                    self.gathered.not_written(remaining_uids(rows, index))
                    return
                self._careful = False
            self.gathered.wrote(row_id, len(pairs))

    def committed(self) -> None:
        """Tell of the rows just committed."""
        self.gathered.committed()

    def rolled_back(self) -> None:
        """Forget what the rolled-back transaction gathered (its jobs run again)."""
        self.gathered.rolled_back()

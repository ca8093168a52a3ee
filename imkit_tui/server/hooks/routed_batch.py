"""The rows that route messages to the app's backend, on SQLite. The routing values of
every message a writer transaction stores are gathered in the message's own job
(:meth:`RoutedBatch.add`) and kept as one row of the outgoing queue (kind
ROUTED_BATCH), written just before that transaction commits: a stored message is never
without its row, and a batch of fifty messages costs one INSERT instead of fifty. The
router process (router.py) reads the rows once they are committed.

A row's body is a JSON array of `[lane, values]` pairs (values: forms.routing_values),
at most ROW_ENTRIES of them; the router numbers its entries `row id << ENTRY_BITS |
index`, so they keep the order of the rows and, within one, of the messages."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import msgspec

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import ROUTED_BATCH
from imkit_tui.server.hooks.rows import logged
from imkit_tui.storage import BatchWriter

log = logging.getLogger(__name__)

ENTRY_BITS = 12
ROW_ENTRIES = 1 << ENTRY_BITS
"""Entries in one row at most (a transaction with more writes more rows)."""

Pair = tuple[str, list[str]]
"""A routed message as a batch row keeps it: its lane and its routing values."""

_encode = msgspec.json.Encoder().encode
_decode_pairs = msgspec.json.Decoder(list[Pair]).decode


def batch_pairs(body: str) -> list[Pair]:
    """The `[lane, values]` pairs of a batch row's body; ValueError when it is not one."""
    try:
        return _decode_pairs(body)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from exc


class Gathered:
    """The routed messages of the transaction open now, gathered for its batch rows
    (:class:`RoutedBatch` on SQLite, pg_routed_batch.py on PostgreSQL, each a
    transaction watcher of its store's writer); `written(rows)` hears of the rows
    committed, as (row id, entries)."""

    def __init__(self, written: Callable[[list[tuple[int, int]]], None]) -> None:
        self._written = written
        self.lost: Callable[[list[str]], None] = lambda uids: None
        """Hears of the messages whose row could not be written after all (they are
        routed after their commit instead: hub.py)."""
        self._pending: list[Pair] = []
        self._uids: list[str | None] = []  # beside each pending pair
        self._rows: list[tuple[int, int]] = []

    def add(self, uid: str | None, lane: str, values: list[str]) -> None:
        """Route the message `uid` (None: one routed after its commit) in `lane` with
        the transaction open now."""
        self._pending.append((lane, values))
        self._uids.append(uid)

    def take(self) -> list[tuple[list[Pair], list[str | None]]]:
        """What was gathered, in rows of ROW_ENTRIES at most, each beside its messages'
        uids; forgotten here (the transaction commits next)."""
        pending, self._pending = self._pending, []
        uids, self._uids = self._uids, []
        return [
            (pending[start : start + ROW_ENTRIES], uids[start : start + ROW_ENTRIES])
            for start in range(0, len(pending), ROW_ENTRIES)
        ]

    @staticmethod
    def body(pairs: list[Pair]) -> str:
        """The body of a row of `pairs`."""
        return _encode(pairs).decode()

    def wrote(self, row_id: int, entries: int) -> None:
        """A row of `entries` messages was written as `row_id` (told once committed)."""
        self._rows.append((row_id, entries))

    def not_written(self, uids: list[str | None]) -> None:
        """The rows of `uids` could not be written: those stored now are tried once
        more, after their commit (hub.py); those already tried so are lost."""
        kept = [uid for uid in uids if uid is not None]
        log.exception(
            "routing rows not written: %d messages are tried after their commit, %d not routed",
            len(kept),
            len(uids) - len(kept),
        )
        self.lost(kept)

    def committed(self) -> None:
        """Tell of the rows just committed."""
        if self._rows:
            rows, self._rows = self._rows, []
            self._written(rows)

    def rolled_back(self) -> None:
        """Forget what the rolled-back transaction gathered (its jobs run again)."""
        self._pending = []
        self._uids = []
        self._rows = []


def remaining_uids(rows: list[tuple[list[Pair], list[str | None]]], start: int) -> list[str | None]:
    """The uids of `rows` from the row at `start` on (those not written when it failed)."""
    return [uid for _, uids in rows[start:] for uid in uids]


class RoutedBatch:
    """Writes the routed messages `gathered` in each transaction of `writer` (SQLite) as
    batch rows (ids from `next_id`) before it commits; `written(rows)` hears of the
    rows committed, as (row id, entries)."""

    def __init__(
        self,
        writer: BatchWriter,
        next_id: Callable[[], int],
        written: Callable[[list[tuple[int, int]]], None],
    ) -> None:
        self._writer = writer
        self._next_id = next_id
        self.gathered = Gathered(written)
        """The routed messages of the transaction open now."""
        writer.watch(self)

    def enqueue(self, lane: str, values: list[str]) -> None:
        """Route a message already committed (or never stored): its row is written with
        the writer's next transaction; never waits."""

        def job(conn: sqlite3.Connection) -> None:
            self.gathered.add(None, lane, values)

        self._writer.submit_then(job, logged)

    # TransactionWatcher

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Write the gathered messages' rows in the transaction open on `conn`. A row
        that fails never fails the messages (a failed statement leaves the transaction
        as it was before it): they are routed after their commit instead."""
        rows = self.gathered.take()
        for index, (pairs, _) in enumerate(rows):
            row_id = self._next_id()
            try:
                conn.execute(
                    "INSERT INTO hook_outbox(id, lane, kind, body, created_at)"
                    " VALUES (?, '', ?, ?, ?)",
                    (row_id, ROUTED_BATCH, Gathered.body(pairs), now_ms()),
                )
            except sqlite3.Error:
                self.gathered.not_written(remaining_uids(rows, index))
                return
            self.gathered.wrote(row_id, len(pairs))

    def committed(self) -> None:
        """Tell of the rows just committed."""
        self.gathered.committed()

    def rolled_back(self) -> None:
        """Forget what the rolled-back transaction gathered (its jobs run again)."""
        self.gathered.rolled_back()

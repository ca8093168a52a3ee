"""The outgoing queue as the hooks see it: requests go in (`enqueue`, never waiting)
and are sent at least once, in order per lane. On SQLite one node writes and sends
(:class:`LocalQueue`); on PostgreSQL every node writes and one sends (cluster.py)."""

from __future__ import annotations

import sqlite3
from typing import Protocol

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.server.hooks.rows import OutboxRows
from imkit_tui.server.hooks.sender import Sender


class Outgoing(Protocol):
    """An outgoing queue and its figures."""

    @property
    def waiting(self) -> int:
        """Entries this node holds, not delivered yet."""
        ...

    @property
    def dropped(self) -> int:
        """Entries this node dropped because the queue was full."""
        ...

    async def start(self) -> None:
        """Take up what waits, and start sending."""
        ...

    async def stop(self) -> None:
        """Stop sending; what is not delivered stays on disk."""
        ...

    def enqueue(self, lane: str, kind: str, body: str) -> None:
        """Queue a request (kept on disk with the next batch); never waits."""
        ...


class LocalQueue:
    """The queue of a server on SQLite: `sender` sends what this node writes to `rows`."""

    def __init__(self, sender: Sender, rows: OutboxRows) -> None:
        self._sender = sender
        self._rows = rows

    @property
    def waiting(self) -> int:
        """Entries not delivered yet."""
        return self._sender.waiting

    @property
    def dropped(self) -> int:
        """Entries dropped because the queue was full."""
        return self._sender.dropped

    async def start(self) -> None:
        """Take up the entries kept on disk, then start sending."""
        await self._sender.start()

    async def stop(self) -> None:
        """Stop sending; what is not delivered stays on disk."""
        await self._sender.stop()

    def enqueue(self, lane: str, kind: str, body: str) -> None:
        """Queue a request (kept on disk with the next batch); never waits."""
        entry = self._sender.new_entry(lane, kind, body)
        if self._sender.offer(entry):
            self._rows.add(entry, now_ms())

    def keep(self, conn: sqlite3.Connection, lane: str, kind: str, body: str) -> Entry:
        """A request kept on disk in the transaction open on `conn` (a message's own),
        not queued yet: :meth:`take` it once that transaction is committed."""
        entry = self._sender.new_entry(lane, kind, body)
        self._rows.write(conn, entry, now_ms())
        return entry

    def take(self, entry: Entry) -> None:
        """Queue `entry`, kept by :meth:`keep` and committed; never waits."""
        self._sender.take(entry)

"""The routing rows as the router process reads them (router_main.py), from either
store: on SQLite its own connection to the file (a WAL reader, never a writer), on
PostgreSQL a connection of its own (the rows of every node commit in id order:
pg/writer.py). Each row becomes the entries to send, numbered `row id << ENTRY_BITS |
index` so they keep the order of the rows and, within one, of the messages."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg

from imkit_tui.server.hooks.deliverers import ROUTE, ROUTED, ROUTING_KINDS
from imkit_tui.server.hooks.forms import form_of_values, values_form
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.server.hooks.routed_batch import ENTRY_BITS, batch_pairs
from imkit_tui.server.hooks.router_progress import Progress

log = logging.getLogger("imkit.router")

PAGE = 256
"""Rows read at once."""

APPLICATION_NAME = "imkit router"
"""How the router's PostgreSQL connection names itself (with the process's id)."""

RowTuple = tuple[int, str, str, str]
"""A routing row as read: id, kind, lane, body."""

_SQLITE_ROWS = (
    "SELECT id, kind, lane, body FROM hook_outbox"
    " WHERE id > ? AND kind IN (?, ?, ?) ORDER BY id LIMIT ?"
)
_PG_ROWS = (
    "SELECT id, kind, lane, body FROM hook_outbox"
    " WHERE id > $1 AND kind = ANY($2::text[]) ORDER BY id LIMIT $3"
)


class RowSource(Protocol):
    """The store the routing rows are read from."""

    async def after(self, cursor: int) -> list[RowTuple]:
        """The routing rows above `cursor`, in id order (PAGE at most)."""
        ...

    async def close(self) -> None:
        """Let the store go."""
        ...


class SqliteRows:
    """Routing rows read from the SQLite file at `path` (a reader: WAL lets the server
    write on)."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA query_only=ON")

    async def after(self, cursor: int) -> list[RowTuple]:
        """The routing rows above `cursor`, in id order (PAGE at most)."""
        rows: list[Any] = self._conn.execute(
            _SQLITE_ROWS, (cursor, *ROUTING_KINDS, PAGE)
        ).fetchall()
        return rows

    async def close(self) -> None:
        """Close the file."""
        self._conn.close()


class PostgresRows:
    """Routing rows read from the PostgreSQL store at `url` (on a connection of their
    own; the rows of every node are committed in id order: pg/writer.py)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, url: str) -> PostgresRows:
        """Connect to the store at `url`, named in `pg_stat_activity` as "imkit router
        PID" (this process's id)."""
        name = {"application_name": f"{APPLICATION_NAME} {os.getpid()}"}
        return cls(await asyncpg.connect(url, server_settings=name))

    async def after(self, cursor: int) -> list[RowTuple]:
        """The routing rows above `cursor`, in id order (PAGE at most)."""
        rows = await self._conn.fetch(_PG_ROWS, cursor, list(ROUTING_KINDS), PAGE)
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()


async def open_rows(store: str) -> RowSource:
    """The routing rows of `store` (a postgresql:// URL, or a SQLite file's path)."""
    if store.startswith(("postgresql://", "postgres://")):
        return await PostgresRows.open(store)
    return SqliteRows(store)


class RowFeed:
    """Reads the routing rows above the last read from `source` and gives their
    entries to `take`, noting each row in `progress`."""

    def __init__(
        self, source: RowSource, progress: Progress, take: Callable[[Entry], None]
    ) -> None:
        self._source = source
        self._progress = progress
        self._take = take

    async def read(self) -> int:
        """Read every routing row committed above the last read; how many."""
        count = 0
        while True:
            rows = await self._source.after(self._progress.cursor)
            for row_id, kind, lane, body in rows:
                entries = row_entries(int(row_id), str(kind), str(lane), str(body))
                self._progress.read(int(row_id), len(entries))
                for entry in entries:
                    self._take(entry)
            count += len(rows)
            if len(rows) < PAGE:
                return count


def row_entries(row_id: int, kind: str, lane: str, body: str) -> list[Entry]:
    """The entries of one routing row, each a form to POST (kind ROUTE); none for a
    row that cannot be read (logged)."""
    first = row_id << ENTRY_BITS
    try:
        if kind == ROUTE:
            return [Entry(first, lane, ROUTE, body)]
        if kind == ROUTED:
            return [Entry(first, lane, ROUTE, form_of_values(body))]
        pairs = batch_pairs(body)
        return [
            Entry(first | index, pair_lane, ROUTE, values_form(values))
            for index, (pair_lane, values) in enumerate(pairs)
        ]
    except ValueError as exc:
        log.warning("routing row %d (%s) cannot be read, dropped: %s", row_id, kind, exc)
        return []

"""The router process: sends the routed messages the server's store keeps in its
outgoing queue (SQLite, or PostgreSQL), so the requests never cost the chat's own
process. Started by the server (router.py) as ``python -m
imkit_tui.server.hooks.router_main``.

Its standard input brings one line of JSON (the store: a SQLite file's path or a
postgresql:// URL; the hooks' settings, the app key and secret), then a byte whenever
rows were committed; it reads every routing row above the last it read, and also once
a second. Its standard output carries a line per change: ``cursor watermark waiting
delivered failures dropped`` (router_progress.py: the server deletes the rows at or
below the watermark). At the end of its input (the server stops, or died) it stops:
what is not delivered stays in the store. Should it lose the store, it ends, and the
server starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import asyncpg

from imkit_tui.server.hooks.deliverers import (
    ROUTE,
    ROUTED,
    ROUTING_KINDS,
    Deliverers,
)
from imkit_tui.server.hooks.forms import form_of_values, values_form
from imkit_tui.server.hooks.plan import Entry, Plan, RetryPolicy
from imkit_tui.server.hooks.routed_batch import ENTRY_BITS, batch_pairs
from imkit_tui.server.hooks.router_progress import Progress
from imkit_tui.server.hooks.sender import HttpPoster, Sender
from imkit_tui.server.hooks.settings import hooks_config

log = logging.getLogger("imkit.router")

PAGE = 256
"""Rows read at once."""

POLL_SECONDS = 1.0
"""How often the rows are read with no word from the server."""

DRAIN_SECONDS = 2.0
"""At the end, how long the requests on their way may take to be answered (router.py
waits longer)."""

NICENESS = 10
"""How much lower the router's CPU priority is than the server's: where both want the
same core, the chat goes first and routing lags (it catches up after the burst)."""

STORE_LOST = (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)
"""What ends the router with a line in the log, not a traceback: the store is gone."""

APPLICATION_NAME = "imkit router"
"""How the router's PostgreSQL connection names itself (with the process's id)."""

REPORT_SECONDS = 0.01
"""Reports are this far apart at least (each costs the server a line and a deletion)."""


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


class ProgressRows:
    """Where the router's sender tells of the entries it is done with (sender.SentRows):
    into `progress`, then `changed()`. The rows themselves are the server's to delete."""

    def __init__(self, progress: Progress, changed: Callable[[], None]) -> None:
        self._progress = progress
        self._changed = changed

    async def load(self) -> list[Entry]:
        """Nothing: the feed reads the rows."""
        return []

    def delete(self, ids: Sequence[int]) -> None:
        """The entries `ids` are done with."""
        self._progress.done(ids)
        self._changed()


class Reports:
    """Writes the router's figures to `out`, at most once per REPORT_SECONDS."""

    def __init__(self, progress: Progress, out: Callable[[str], None]) -> None:
        self._progress = progress
        self._out = out
        self._due = False
        self.sender: Sender | None = None

    def changed(self) -> None:
        """Something moved: report soon."""
        if not self._due:
            self._due = True
            asyncio.get_running_loop().call_later(REPORT_SECONDS, self.now)

    def now(self) -> None:
        """Report at once."""
        self._due = False
        p, s = self._progress, self.sender
        figures = (s.waiting, s.delivered, s.failures, s.dropped) if s else (0, 0, 0, 0)
        self._out(" ".join(map(str, (p.cursor, p.watermark, *figures))) + "\n")


def _write(line: str) -> None:
    """Write a report to the server (unbuffered); nothing when it is gone: the end of
    the input follows."""
    with contextlib.suppress(OSError):
        os.write(sys.stdout.fileno(), line.encode())


async def route(source: asyncio.StreamReader, out: Callable[[str], None]) -> None:
    """Run the router: its setup is the first line of `source`; reports go to `out`."""
    setup = json.loads(await source.readline())
    config = hooks_config(setup["config"])  # the server's own, checked again
    poster = HttpPoster(setup["app_key"], setup["secret"], config.timeout_seconds)
    await poster.start()
    progress = Progress()
    reports = Reports(progress, out)
    plan = Plan(
        config.queue_limit,
        config.when_full,
        RetryPolicy(config.retry_base_ms, config.retry_max_ms),
        random.Random(),
    )
    deliverers = Deliverers(config, poster).by_kind()
    rows = ProgressRows(progress, reports.changed)
    sender = Sender(plan, rows, deliverers, config.concurrency, give_way=False)
    reports.sender = sender
    store = await open_rows(setup["store"])
    try:
        feed = RowFeed(store, progress, sender.take)
        await sender.start()
        await feed.read()
        reports.now()  # the first word: ready
        while True:
            if await feed.read():
                reports.changed()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    if not await source.read(4096):
                        break  # the server stopped, or is gone
    finally:
        await sender.drain(DRAIN_SECONDS)
        await poster.close()
        await store.close()
        reports.now()


async def _main() -> None:
    loop = asyncio.get_running_loop()
    source = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(source), sys.stdin)
    await route(source, _write)


def main() -> None:
    """The process's entry point."""
    logging.basicConfig(level=logging.WARNING, format="imkit router: %(levelname)s %(message)s")
    with contextlib.suppress(OSError):  # not everywhere may a process lower its priority
        os.nice(NICENESS)
    try:
        asyncio.run(_main())
    except KeyboardInterrupt:
        pass
    except STORE_LOST as exc:  # the server starts it again
        log.error("the store cannot be read (%s: %s): the router ends", type(exc).__name__, exc)
        sys.exit(1)


if __name__ == "__main__":
    main()

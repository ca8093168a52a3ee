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

import asyncpg

from imkit_tui.server.hooks.deliverers import Deliverers
from imkit_tui.server.hooks.plan import Entry, Plan, RetryPolicy
from imkit_tui.server.hooks.router_progress import Progress
from imkit_tui.server.hooks.router_rows import RowFeed, open_rows
from imkit_tui.server.hooks.sender import HttpPoster, Sender
from imkit_tui.server.hooks.settings import hooks_config

log = logging.getLogger("imkit.router")

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

REPORT_SECONDS = 0.01
"""Reports are this far apart at least (each costs the server a line and a deletion)."""


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

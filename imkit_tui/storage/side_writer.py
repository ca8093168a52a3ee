"""A second writing connection to a database, on a thread of its own.

The store's BatchWriter runs its jobs inline on the event loop: that is the fastest road
for the small writes on a message's path. Work of milliseconds (indexing a slice of
messages for search, storing a pulled page of hundreds of messages) would stall the
loop there instead; a SideWriter runs it on its own connection and thread, each job in
a write transaction of its own. SQLite's write lock orders its transactions with the
BatchWriter's; the connection is opened on first use.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from imkit_tui.storage.database import Database
from imkit_tui.storage.writer import WriterClosed

T = TypeVar("T")


class SideWriter:
    """Runs write jobs on its own connection to `path`, on its own thread.

    `on_rollback(conn)` runs on that thread when a job fails, before its transaction is
    rolled back (owners drop caches the job had updated, before anyone else may write).
    """

    def __init__(
        self, path: Path | str, *, on_rollback: Callable[[sqlite3.Connection], None] | None = None
    ) -> None:
        self._path = path
        self._on_rollback = on_rollback
        self._db: Database | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def _database(self) -> Database:
        async with self._opening:
            if self._closed:
                raise WriterClosed("the store is closed")
            if self._db is None:
                self._db = await Database.open(self._path)
            return self._db

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> tuple[T, float]:
        """Run `job` in a write transaction of its own, on the writer's thread; return
        its result (after the commit) and the seconds it took there."""
        db = await self._database()

        def run(conn: sqlite3.Connection) -> tuple[T, float]:
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = job(conn)
                conn.execute("COMMIT")
            except BaseException:
                if self._on_rollback is not None:
                    self._on_rollback(conn)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result, time.perf_counter() - started

        return await db.run(run)

    async def count_steps(self, counter: Callable[[], int] | None, every: int = 100) -> None:
        """Count the SQLite steps of this connection (see Database.count_steps)."""
        await (await self._database()).count_steps(counter, every)

    async def close(self) -> None:
        """Close the connection (after the job running, if any); later writes fail."""
        async with self._opening:
            self._closed = True
            db, self._db = self._db, None
        if db is not None:
            await db.close()

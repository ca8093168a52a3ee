"""A SQLite connection, used either on its own thread or inline on the event loop.

A threaded database runs each call, a whole function of many statements, in one
hand-off to its thread: reads that may be large (pages of history, sync queries) never
stall the loop. An inline database runs calls directly on the loop: that is where the
writers live. A WAL commit without fsync takes tens of microseconds, while a thread
hand-off alone costs about ten times that (measured: 0.18 ms against 0.016 ms), and
writes sit on the send→receive path. The inline connection never checkpoints by itself
(`wal_autocheckpoint=0`); the owner checkpoints from a threaded connection, so the only
fsyncs never happen on the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from imkit_tui.storage.private import private_database

T = TypeVar("T")


class Database:
    """One SQLite connection, and the single thread that uses it when `threaded`.

    Opened in WAL mode with `synchronous=NORMAL`: every committed transaction survives a
    killed process; only a power loss may lose the last few. `busy_timeout` lets another
    process (`imkit token` beside a running server) wait instead of failing.
    """

    def __init__(self, path: Path | str, *, threaded: bool) -> None:
        self.path = str(path)
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite") if threaded else None
        )
        self._conn: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: Path | str, *, threaded: bool = True) -> Database:
        """Open (creating if needed) the database at `path`."""
        if str(path) != ":memory:":
            private_database(Path(path))
        database = cls(path, threaded=threaded)
        try:
            database._conn = await database._submit(database._connect)
        except BaseException:
            if database._executor is not None:
                database._executor.shutdown(wait=False)
            raise
        return database

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            _enter_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # What is deleted or overwritten (a recalled message) is zeroed, not left
            # in free space.
            conn.execute("PRAGMA secure_delete=ON")
            if self._executor is None:
                conn.execute("PRAGMA wal_autocheckpoint=0")
        except BaseException:
            conn.close()
            raise
        return conn

    async def _submit(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            return fn()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    @property
    def inline(self) -> bool:
        """True when calls run directly on the caller's thread (the event loop)."""
        return self._executor is None

    def run_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` right here; only for an inline database."""
        if self._executor is not None:
            raise RuntimeError("run_now is only for inline databases")
        if self._conn is None:
            raise sqlite3.ProgrammingError("the database is closed")
        return fn(self._conn)

    async def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the WAL back into the database file (the only step that fsyncs).

        `TRUNCATE` also empties the WAL file, so no older copy of a page stays in it.
        """
        if mode not in ("PASSIVE", "TRUNCATE"):
            raise ValueError(f"not a checkpoint mode used here: {mode}")
        await self.run(lambda conn: conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall())

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` (on the database's thread if it has one); return its result."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("the database is closed")
        return await self._submit(lambda: fn(conn))

    async def count_steps(self, counter: Callable[[], int] | None, every: int = 100) -> None:
        """Call `counter` every `every` SQLite virtual-machine steps on this connection
        (None stops it): a measure of how much work statements do, for tests and
        benchmarks. `counter` must return 0 (anything else aborts the statement)."""
        await self.run(lambda conn: conn.set_progress_handler(counter, every))

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a query, read in one step (no statement stays open across awaits,
        so an overlapping read can never see an older snapshot)."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        """Close the connection and stop the thread."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._submit(conn.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)


_WAL_SWITCH_SECONDS = 5.0


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Switch a connection's database to WAL mode, waiting out other openers.

    SQLite answers `journal_mode=WAL` with "database is locked" at once, without its
    busy handler, while another connection is switching the same new file; several
    processes opening one fresh home at the same moment do exactly that.
    """
    deadline = time.monotonic() + _WAL_SWITCH_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)

"""Opening a SQLite database the way every imkit store wants it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) a database in WAL mode with `synchronous=NORMAL`.

    WAL with NORMAL keeps every committed transaction across a killed process; only a
    power loss may lose the last few. `busy_timeout` lets a second process (the `imkit
    token` command beside a running server) wait instead of failing.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        await conn.close()
        raise
    return conn


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run a query and fetch every row in one step on the connection's thread.

    Reads must not keep a statement open across awaits: SQLite gives every statement of
    a connection the snapshot of the oldest one still active, so an overlapping read
    from another task could otherwise miss a write that was already committed.
    """
    return list(await conn.execute_fetchall(sql, params))


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first row of a query (None when there is none), read like `fetch_all`."""
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None

"""A node's hold on the PostgreSQL store for the hooks: a connection of its own with
two kinds of session-level advisory locks, in a lock space of the store's schema.

- the node's own number (1 and up), held while the node lives: its rows of who is
  online (presence.py) count only while it is held;
- the sender's lock (number 0): the one node holding it sends the outgoing queue
  (cluster.py).

A node that dies (SIGKILL too) ends its session: PostgreSQL frees both locks, so the
other nodes see at once that its presence rows are stale and one of them takes over
the sending.
"""

from __future__ import annotations

import contextlib
import random
import zlib

import asyncpg

from imkit_tui.server.pg.schema import schema_name

SENDER = 0
"""The lock number of the sender's role."""

LIVE_NODES = (
    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND objsubid = 2 AND classid = {space}::integer::oid AND objid <> 0"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
"""SQL of the numbers of the nodes alive (format with the lock space)."""


def lock_space(schema: str) -> int:
    """The lock space of the store in `schema` (several stores share one database)."""
    return zlib.crc32(f"imkit-hooks:{schema}".encode()) & 0x7FFFFFFF


def live_nodes_sql(space: int) -> str:
    """SQL whose rows are the numbers of the live nodes of lock space `space`."""
    return LIVE_NODES.format(space=int(space))


class Lease:
    """The node's connection to the store at `dsn` holding its locks."""

    def __init__(self, dsn: str, rng: random.Random | None = None) -> None:
        self._dsn = dsn
        self._rng = rng or random.Random()
        self._conn: asyncpg.Connection | None = None
        self.space = 0
        """The store's lock space (known once connected)."""
        self.node = 0
        """This node's number (kept across reconnections when it is still free)."""
        self.leading = False
        """Whether this node holds the sender's lock."""

    @property
    def connected(self) -> bool:
        """Whether the connection (and so each lock it took) still holds."""
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        """Connect and take a node number: the last one when it is free, else a new one."""
        self.drop()
        conn = await asyncpg.connect(self._dsn)
        try:
            self.space = lock_space(schema_name(await conn.fetchval("SHOW search_path")))
            wanted = self.node or self._rng.randrange(1, 2**31)
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", self.space, wanted
            ):
                wanted = self._rng.randrange(1, 2**31)
        except BaseException:
            await conn.close()
            raise
        self.node = wanted
        self._conn = conn

    async def try_lead(self) -> bool:
        """Take the sender's lock if it is free; whether this node holds it."""
        if self._conn is None:
            return False
        if not self.leading:
            self.leading = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", self.space, SENDER)
            )
        return self.leading

    async def check(self) -> None:
        """Raise (OSError, asyncpg's errors) when the connection is lost."""
        if self._conn is None or self._conn.is_closed():
            raise ConnectionError("the lease's connection is lost")
        await self._conn.fetchval("SELECT 1")

    def drop(self) -> None:
        """Let the connection go (its locks go with its session)."""
        conn, self._conn = self._conn, None
        self.leading = False
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def close(self) -> None:
        """Close the connection: both locks are freed."""
        conn, self._conn = self._conn, None
        self.leading = False
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

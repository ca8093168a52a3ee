"""What a node may keep in memory of what other nodes can change: invalidated through
PostgreSQL's LISTEN/NOTIFY. A change notifies inside its own transaction, so the notice
reaches every node (this one too) when, and only when, it commits.

A node listens on a connection of its own. While it does not listen (not yet, or the
connection was lost and is being made again), nothing may be kept: `listening` is
False, the owners read through. Every notice (and every loss) moves `generation` on,
so a read that was under way when something changed keeps nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from imkit_tui.server.pg.schema import schema_name

log = logging.getLogger(__name__)

RELISTEN_SECONDS = 1.0


def channel_of(search_path: str) -> str:
    """The channel of a store's schema (notices are database-wide)."""
    return f"imkit_{schema_name(search_path)}"


class Notices:
    """Listens for the store's change notices and hands each to the owner of its kind
    (the text before the first ':')."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._owners: dict[str, Callable[[str], None]] = {}
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.channel = ""
        self.generation = 0
        """Moves on with every notice and every loss of the listening connection."""

    @property
    def listening(self) -> bool:
        """Whether notices are arriving now (what is kept may be trusted)."""
        return self._conn is not None and not self._conn.is_closed()

    def changed_here(self) -> None:
        """This node committed a change (its own notice is still on the way): reads
        under way keep nothing."""
        self.generation += 1

    def on(self, kind: str, owner: Callable[[str], None]) -> None:
        """Call `owner(key)` for each notice `kind:key`; `owner("")` when notices were lost."""
        self._owners[kind] = owner

    async def start(self) -> None:
        """Listen now, and again whenever the connection is lost."""
        await self._listen()
        self._task = asyncio.create_task(self._keep_listening(), name="pg-notices")

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def _listen(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        self.channel = channel_of(await conn.fetchval("SHOW search_path"))
        conn.add_termination_listener(lambda _: self._lose())
        await conn.add_listener(self.channel, self._notified)
        self._conn = conn
        self._lost.clear()

    async def _keep_listening(self) -> None:
        while True:
            await self._lost.wait()
            await asyncio.sleep(RELISTEN_SECONDS)
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cannot listen for the store's notices: %s", exc)

    def _lose(self) -> None:
        self._conn = None
        self.generation += 1
        for owner in self._owners.values():
            owner("")
        self._lost.set()

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        self.generation += 1
        kind, _, key = payload.partition(":")
        owner = self._owners.get(kind)
        if owner is not None:
            owner(key)


async def notify(conn: asyncpg.Connection, channel: str, kind: str, key: str) -> None:
    """Inside a write: tell every node, once this commits, that `kind:key` changed."""
    await conn.execute("SELECT pg_notify($1, $2)", channel, f"{kind}:{key}")

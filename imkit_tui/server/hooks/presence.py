"""Who is online across the nodes of a PostgreSQL store, and their status reports.

Each node keeps one row per user with a device on it (`hook_presence`: user, node,
devices), written through the store's writer whenever a device comes or goes, with a
mark on the user (`hook_status.due_ms`, the status sync's coalescing window). A row
counts only while its node holds its lock (lease.py): a node that died is online for
nobody. The sending node (cluster.py) reports the marks that are due, in the same
transaction as the outgoing row that carries the report, so each change is reported
once whichever node saw it; it also sweeps the rows of dead nodes, marking their users.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import asyncpg

from imkit_tui.server.hooks.forms import status_item
from imkit_tui.server.hooks.lease import Lease, live_nodes_sql
from imkit_tui.server.hooks.status import report_of
from imkit_tui.server.pg.writer import PgWriter

log = logging.getLogger(__name__)

ReportWriter = Callable[[asyncpg.Connection, str], Awaitable[Any]]
"""Writes a status report (the JSON the backend gets) in the transaction open on the
connection."""

REPORT_BATCH = 500
"""Marks reported at most per transaction."""

_MARK = """
INSERT INTO hook_status(user_id, due_ms, device, at_ms, logout)
SELECT u, $2, $3, $4, $5 FROM unnest($1::text[]) AS u
ON CONFLICT (user_id) DO UPDATE SET
    due_ms = COALESCE(hook_status.due_ms, EXCLUDED.due_ms),
    device = EXCLUDED.device, at_ms = EXCLUDED.at_ms, logout = EXCLUDED.logout
"""


def _logged(result: Any, error: BaseException | None) -> None:
    if error is not None:
        log.error("writing who is online failed: %r", error)


class ClusterPresence:
    """This node's presence rows, and the truth of all nodes. `local_devices(user)` is
    how many devices of the user are on this node now; `window_ms` the coalescing
    window of status reports."""

    def __init__(
        self,
        writer: PgWriter,
        pool: asyncpg.Pool,
        lease: Lease,
        local_devices: Callable[[str], int],
        window_ms: int,
    ) -> None:
        self._writer = writer
        self._pool = pool
        self._lease = lease
        self._local = local_devices
        self._window_ms = window_ms
        self._left = False

    def changed(self, user_id: str, device: str, at_ms: int, *, logout: bool = False) -> None:
        """A device of `user_id` came or went at `at_ms`: write this node's row as the
        node's sessions are when the write runs, and mark the user (never waits)."""
        node = self._lease.node

        async def job(conn: asyncpg.Connection) -> None:
            await self._write_rows(conn, node, [user_id])
            await self._mark(conn, [user_id], at_ms, device, logout)

        if node and not self._left:
            self._writer.submit_then(job, _logged)

    async def register(self, users: Iterable[str], at_ms: int) -> None:
        """Record this node (its number just taken) and the users on it now (after
        a start, or after the lease's connection came back)."""
        node, present = self._lease.node, list(users)

        async def job(conn: asyncpg.Connection) -> None:
            # Rows under this number are a dead node's (it was free) or this node's
            # before its connection was lost: those of now replace them.
            await self._drop_node(conn, node, at_ms)
            await conn.execute(
                "INSERT INTO hook_nodes(node, started_at) VALUES ($1, $2)", node, at_ms
            )
            await self._write_rows(conn, node, present)
            await self._mark(conn, present, at_ms, "", False)

        await self._writer.submit(job)

    async def leave(self, at_ms: int) -> None:
        """This node stops: its rows go and its users are marked (their status is
        read again from the other nodes)."""
        node, self._left = self._lease.node, True

        async def job(conn: asyncpg.Connection) -> None:
            await self._drop_node(conn, node, at_ms)

        if node:
            await self._writer.submit(job)

    async def online(self, users: Sequence[str]) -> set[str]:
        """Those of `users` with a device on any live node."""
        here = {user for user in users if self._local(user) > 0}
        rest = [user for user in users if user not in here]
        if not rest:
            return here
        return here | await _online_of(self._pool, rest, self._lease.space)

    async def sweep(self, at_ms: int) -> None:
        """Forget the rows of the nodes that died, marking their users (the sender's
        duty)."""
        space = self._lease.space
        if not await self._pool.fetchval(f"SELECT EXISTS ({_dead_nodes_sql(space)})"):
            return  # (a read: the writer's transaction only when there is work)

        async def job(conn: asyncpg.Connection) -> None:
            dead = await conn.fetch(_dead_nodes_sql(space))
            for row in dead:
                await self._drop_node(conn, int(row[0]), at_ms)

        await self._writer.submit(job)

    async def report_due(self, now_ms: int, write: ReportWriter | None) -> int:
        """Report the marks due at `now_ms` whose status changed, with `write` (None:
        no status URL, the marks are only cleared), in one transaction; how many marks
        were due (the sender's duty)."""
        space = self._lease.space
        if not await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM hook_status WHERE due_ms <= $1)", now_ms
        ):
            return 0  # (a read: the writer's transaction only when there is work)

        async def job(conn: asyncpg.Connection) -> int:
            marks = await conn.fetch(
                "SELECT user_id, reported, device, at_ms, logout FROM hook_status"
                " WHERE due_ms <= $1 ORDER BY due_ms LIMIT $2",
                now_ms,
                REPORT_BATCH,
            )
            if not marks:
                return 0
            users = [str(m[0]) for m in marks]
            online = await _online_of(conn, users, space)
            items, settled = [], []
            for user, reported, device, at, logout in marks:
                status = report_of(str(reported), user in online, bool(logout))
                settled.append((user, status or str(reported)))
                if status is not None:
                    items.append(status_item(user, status, str(device), int(at)))
            await conn.executemany(
                "UPDATE hook_status SET due_ms = NULL, reported = $2 WHERE user_id = $1", settled
            )
            if items and write is not None:
                await write(conn, json.dumps(items))
            return len(marks)

        due: int = await self._writer.submit(job)
        return due

    async def _write_rows(self, conn: asyncpg.Connection, node: int, users: list[str]) -> None:
        counts = [(user, node, self._local(user)) for user in users]
        here = [c for c in counts if c[2] > 0]
        gone = [user for user, _node, count in counts if count == 0]
        if here:  # (a login or a logout is one user: one of the two statements)
            await conn.executemany(
                "INSERT INTO hook_presence(user_id, node, devices) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id, node) DO UPDATE SET devices = EXCLUDED.devices",
                here,
            )
        if gone:
            await conn.execute(
                "DELETE FROM hook_presence WHERE node = $1 AND user_id = ANY($2::text[])",
                node,
                gone,
            )

    async def _mark(
        self, conn: asyncpg.Connection, users: list[str], at_ms: int, device: str, logout: bool
    ) -> None:
        if users:
            await conn.execute(_MARK, users, at_ms + self._window_ms, device, at_ms, logout)

    async def _drop_node(self, conn: asyncpg.Connection, node: int, at_ms: int) -> None:
        rows = await conn.fetch("DELETE FROM hook_presence WHERE node = $1 RETURNING user_id", node)
        await self._mark(conn, [str(r[0]) for r in rows], at_ms, "", False)
        await conn.execute("DELETE FROM hook_nodes WHERE node = $1", node)


async def _online_of(
    db: asyncpg.Pool | asyncpg.Connection, users: Sequence[str], space: int
) -> set[str]:
    """Those of `users` with a device on a live node of `space`, as the rows say."""
    rows = await db.fetch(
        "SELECT DISTINCT user_id FROM hook_presence WHERE user_id = ANY($1::text[])"
        f" AND node IN ({live_nodes_sql(space)})",
        list(users),
    )
    return {str(r[0]) for r in rows}


def _dead_nodes_sql(space: int) -> str:
    """The nodes of the rows whose lock in `space` is no longer held."""
    return f"SELECT node FROM hook_nodes WHERE node NOT IN ({live_nodes_sql(space)})"

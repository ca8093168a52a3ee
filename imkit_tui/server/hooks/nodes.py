"""The hooks' parts that span the nodes of a PostgreSQL store, put together: the queue's
rows (pg_rows.py), the node's lease (lease.py), who is online where (presence.py) and
the queue one node sends (cluster.py), woken by the store's notices (pg/notices.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.cluster import ClusterQueue
from imkit_tui.server.hooks.deliverers import ROUTING_KINDS
from imkit_tui.server.hooks.lease import Lease
from imkit_tui.server.hooks.pg_rows import NEW_ROWS, PUSH_URL, PgOutboxRows
from imkit_tui.server.hooks.presence import ClusterPresence
from imkit_tui.server.hooks.router import Router
from imkit_tui.server.hooks.sender import Sender, SentRows, stopped
from imkit_tui.server.pg.store import PostgresStore

log = logging.getLogger(__name__)


class NodeHooks:
    """The cluster parts of the hooks of a node on `store` (at `dsn`): `make_sender(rows)`
    makes the sender of the queue when this node takes that role; `local_devices(user)`
    counts the user's devices on this node, `local_users()` lists those with one;
    `status_kind` names status reports in the queue, sent when `reports_status`;
    `window_ms` coalesces them; `push_urls` is the hooks' own map of push URLs, kept
    current when another node changes one; `make_router(rows)` makes the router
    process that sends the routing rows while this node sends (None: routing is off)."""

    def __init__(
        self,
        store: PostgresStore,
        dsn: str,
        make_sender: Callable[[SentRows], Sender],
        local_devices: Callable[[str], int],
        local_users: Callable[[], list[str]],
        window_ms: int,
        status_kind: str,
        reports_status: bool,
        push_urls: dict[str, str],
        make_router: Callable[[PgOutboxRows], Router] | None = None,
    ) -> None:
        self._notices = store._notices  # the store's own listening connection
        self.rows = PgOutboxRows(
            store._writer,
            store._pool,
            lambda: self._notices.channel,
            elsewhere=ROUTING_KINDS if make_router is not None else (),
        )
        """The queue's rows and push URLs."""
        self._lease = Lease(dsn)
        self.presence = ClusterPresence(
            store._writer, store._pool, self._lease, local_devices, window_ms
        )
        """Who is online on every node."""
        self.queue = ClusterQueue(
            self.rows,
            self._lease,
            lambda: make_sender(self.rows),
            self._register,
            self._duty,
            (lambda: make_router(self.rows)) if make_router is not None else None,
        )
        """The queue: written here, sent by one node."""
        self._status_kind = status_kind
        self._reports_status = reports_status
        self._push_urls = push_urls
        self._local_users = local_users
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen for new rows and push URLs, take the lease, start the queue."""
        self._notices.on(NEW_ROWS, self.queue.wake)
        self._notices.on(PUSH_URL, self._push_url_changed)
        await self.queue.start()

    async def stop(self) -> None:
        """Stop sending, and leave: this node's users are online here no more."""
        self._notices.on(NEW_ROWS, _ignored)
        self._notices.on(PUSH_URL, _ignored)
        await stopped(self._background)
        try:
            await self.presence.leave(now_ms())
        except Exception as exc:
            log.warning("leaving the hooks' presence failed: %s", exc)
        await self.queue.stop()

    def device_changed(self, user_id: str, device: str, logout: bool) -> None:
        """A device of `user_id` came or went."""
        self.presence.changed(user_id, device, now_ms(), logout=logout)

    async def _register(self) -> None:
        await self.presence.register(sorted(self._local_users()), now_ms())

    async def _duty(self, now: int, sweep: bool) -> None:
        if sweep:
            await self.presence.sweep(now)
        write = self._write_report if self._reports_status else None
        await self.presence.report_due(now, write)

    async def _write_report(self, conn: asyncpg.Connection, body: str) -> None:
        await self.rows.write(conn, "status", self._status_kind, body, now_ms())

    def _push_url_changed(self, user_id: str) -> None:
        task = asyncio.create_task(self._reread_push_url(user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _reread_push_url(self, user_id: str) -> None:
        """Read `user_id`'s push URL again ("": notices were lost, read them all)."""
        try:
            if not user_id:
                fresh = await self.rows.push_urls()
                self._push_urls.clear()
                self._push_urls.update(fresh)
                return
            url = await self.rows.push_url(user_id)
        except Exception as exc:
            log.warning("reading push URLs again failed: %s", exc)
            return
        if url:
            self._push_urls[user_id] = url
        else:
            self._push_urls.pop(user_id, None)


def _ignored(key: str) -> None:
    """A notice heard after the hooks stopped."""

"""The outgoing queue of the nodes of one PostgreSQL store: every node writes rows
(pg_rows.py); one node at a time sends them, the one holding the sender's lock
(lease.py). Each node tries for the lock every LEASE_SECONDS; the one that takes it
loads every waiting row, then takes what is new (woken by the rows' notices, and
looking anyway every SCAN_SECONDS), and does the sender's duties (status reports,
sweeping dead nodes: presence.py). With routing on, it also runs the router process
(router.py), which reads and sends the routing rows of every node itself. A node whose
lease connection is lost stops sending at once; rows stay until delivered, so what a
dead sender had in flight is sent again by the next one (at least once, in order per
lane).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import ROUTED, ROUTING_KINDS
from imkit_tui.server.hooks.forms import values_body
from imkit_tui.server.hooks.lease import Lease
from imkit_tui.server.hooks.pg_rows import SCAN_LIMIT, PgOutboxRows
from imkit_tui.server.hooks.router import Router
from imkit_tui.server.hooks.sender import Sender, stopped, woken_or_after

log = logging.getLogger(__name__)

LEASE_SECONDS = 0.5
"""How often a node checks its lease and tries for the sender's lock."""
SCAN_SECONDS = 0.25
"""How long the sender waits at most before looking for new rows and due duties."""
SWEEP_SECONDS = 2.0
"""How often the sender sweeps the rows of nodes that died."""

Duty = Callable[[int, bool], Awaitable[None]]
"""What the sender does besides sending, at each look: given the time, and whether to
sweep the rows of dead nodes too."""

LOST = (OSError, ConnectionError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class ClusterQueue:
    """This node's part of the queue: `rows` are written here; a sender made by
    `make_sender` sends them while `lease` holds the sender's lock, and a router made
    by `make_router` the routing rows (None: routing is off, and the routing rows
    kept are let go). `registered` runs each time the lease is (re)taken; `duties`
    while this node sends."""

    def __init__(
        self,
        rows: PgOutboxRows,
        lease: Lease,
        make_sender: Callable[[], Sender],
        registered: Callable[[], Awaitable[None]],
        duties: Duty,
        make_router: Callable[[], Router] | None = None,
    ) -> None:
        self._rows = rows
        self._lease = lease
        self._make_sender = make_sender
        self._make_router = make_router
        self._registered = registered
        self._duties = duties
        self._sender: Sender | None = None
        self.router: Router | None = None
        """The router process this node runs (while it sends the queue, routing on)."""
        self._cursor = 0
        self._wake = asyncio.Event()
        self._holder: asyncio.Task[None] | None = None
        self._scanner: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Entries this node holds to send (0 unless it is the sender)."""
        routed = self.router.waiting if self.router is not None else 0
        return (self._sender.waiting if self._sender is not None else 0) + routed

    @property
    def dropped(self) -> int:
        """Entries this node dropped, the queue being full, since it became the sender."""
        routed = self.router.dropped if self.router is not None else 0
        return (self._sender.dropped if self._sender is not None else 0) + routed

    async def start(self) -> None:
        """Take the lease (and the sender's role when it is free), then keep both."""
        await self._hold_once()
        self._holder = asyncio.create_task(self._hold(), name="hooks-lease")

    async def stop(self) -> None:
        """Stop sending and let the lease go (what waits stays in the store)."""
        await stopped(t for t in (self._holder,) if t is not None)
        await self._demote()
        await self._lease.close()

    def enqueue(self, lane: str, kind: str, body: str) -> None:
        """Write a request's row (the sender takes it); never waits."""
        self._rows.add(lane, kind, body, now_ms())

    def route(self, lane: str, values: list[str]) -> None:
        """Write a routed message's row (the sender takes it); never waits."""
        self.enqueue(lane, ROUTED, values_body(values))

    def wake(self, kind: str = "") -> None:
        """Rows of `kind` were written ("": of any kind): look now; routing rows are the
        router process's, when this node runs it."""
        routing = kind in ROUTING_KINDS
        if self.router is None or not routing:
            self._wake.set()
        if self.router is not None and (routing or not kind):
            self.router.poke()

    def written(self, rows: list[tuple[int, int]]) -> None:
        """This node committed routing rows, as (row id, entries) (its notice follows)."""
        if self.router is not None:
            self.router.written(rows)

    async def _hold(self) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS)
            await self._hold_once()

    async def _hold_once(self) -> None:
        try:
            if not self._lease.connected:
                await self._demote()
                await self._lease.connect()
                await self._registered()
            else:
                await self._lease.check()
            if self._sender is None and await self._lease.try_lead():
                await self._promote()
        except LOST as exc:
            log.warning("the hooks' lease on the store is lost: %s", exc)
            await self._demote()
            self._lease.drop()
        except Exception:
            log.exception("keeping the hooks' lease failed; it is taken again")
            await self._demote()
            self._lease.drop()

    async def _promote(self) -> None:
        """This node is the sender now: load every waiting row and send."""
        if self._make_router is None:
            if gone := await self._rows.let_go(ROUTING_KINDS):
                log.info("routing is off: %d routing rows let go", gone)
        else:
            self.router = self._make_router()
            await self.router.start()
        sender = self._make_sender()
        await sender.start()
        self._sender = sender
        self._cursor = sender.next_id - 1
        log.info("this node sends the hooks' queue now")
        self._scanner = asyncio.create_task(self._scan(), name="hooks-scan")

    async def _demote(self) -> None:
        sender, self._sender = self._sender, None
        router, self.router = self.router, None
        await stopped(t for t in (self._scanner,) if t is not None)
        self._scanner = None
        if router is not None:
            await router.stop()
        if sender is not None:
            await sender.stop()
            log.info("this node no longer sends the hooks' queue")

    async def _scan(self) -> None:
        last_sweep = 0
        while True:
            self._wake.clear()
            now = now_ms()
            try:
                await self._take_new()
                sweep = now - last_sweep >= SWEEP_SECONDS * 1000
                if sweep:
                    last_sweep = now
                await self._duties(now, sweep)
            except LOST as exc:
                log.warning("reading the hooks' queue failed: %s", exc)
            except Exception:
                log.exception("the hooks' sender duties failed")
            await woken_or_after(self._wake, SCAN_SECONDS)

    async def _take_new(self) -> None:
        sender = self._sender
        if sender is None:
            return
        while True:
            entries = await self._rows.after(self._cursor)
            for entry in entries:
                sender.take(entry)
            if entries:
                self._cursor = entries[-1].id
            if len(entries) < SCAN_LIMIT:
                return

"""The outgoing queue as the hooks see it: requests go in (`enqueue`, `route`, never
waiting) and are sent at least once, in order per lane. On SQLite one node writes and
sends (:class:`LocalQueue`; routed messages from a process of their own, router.py); on
PostgreSQL every node writes and one sends (cluster.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import ROUTING_KINDS
from imkit_tui.server.hooks.rows import OutboxRows
from imkit_tui.server.hooks.sender import Sender

if TYPE_CHECKING:
    from imkit_tui.server.hooks.routed_batch import RoutedBatch
    from imkit_tui.server.hooks.router import Router

log = logging.getLogger(__name__)


class Outgoing(Protocol):
    """An outgoing queue and its figures."""

    @property
    def waiting(self) -> int:
        """Entries this node holds, not delivered yet."""
        ...

    @property
    def dropped(self) -> int:
        """Entries this node dropped because the queue was full."""
        ...

    async def start(self) -> None:
        """Take up what waits, and start sending."""
        ...

    async def stop(self) -> None:
        """Stop sending; what is not delivered stays on disk."""
        ...

    def enqueue(self, lane: str, kind: str, body: str) -> None:
        """Queue a request (kept on disk with the next batch); never waits."""
        ...

    def route(self, lane: str, values: list[str]) -> None:
        """Route a message (its routing values, forms.routing_values), committed or never
        stored; never waits."""
        ...


class LocalQueue:
    """The queue of a server on SQLite: `sender` sends what this node writes to `rows`,
    but for routed messages: with `router` (routing on) the router process sends those,
    from the rows `batch` writes in the messages' own transactions."""

    def __init__(
        self,
        sender: Sender,
        rows: OutboxRows,
        router: Router | None = None,
        batch: RoutedBatch | None = None,
    ) -> None:
        self._sender = sender
        self._rows = rows
        self._router = router
        self._batch = batch

    @property
    def waiting(self) -> int:
        """Entries not delivered yet."""
        routed = self._router.waiting if self._router is not None else 0
        return self._sender.waiting + routed

    @property
    def dropped(self) -> int:
        """Entries dropped because the queue was full."""
        routed = self._router.dropped if self._router is not None else 0
        return self._sender.dropped + routed

    async def start(self) -> None:
        """Take up the entries kept on disk, then start sending (routing rows kept while
        routing is off are let go)."""
        self._sender.skip_past(await self._rows.last_id())
        if self._router is None:
            if gone := await self._rows.let_go(ROUTING_KINDS):
                log.info("routing is off: %d routing rows let go", gone)
        else:
            await self._router.start()
        await self._sender.start()

    async def stop(self) -> None:
        """Stop sending; what is not delivered stays on disk (routing rows are still
        written for what is stored until the server stops: the next start sends them)."""
        await self._sender.stop()
        if self._router is not None:
            await self._router.stop()

    def enqueue(self, lane: str, kind: str, body: str) -> None:
        """Queue a request (kept on disk with the next batch); never waits."""
        entry = self._sender.new_entry(lane, kind, body)
        if self._sender.offer(entry):
            self._rows.add(entry, now_ms())

    def route(self, lane: str, values: list[str]) -> None:
        """Route a message (its routing values), committed or never stored; never waits."""
        if self._batch is not None:
            self._batch.enqueue(lane, values)

"""Delivery across nodes over NATS, and the send limit per user across them: a
:class:`~imkit_tui.server.fanout.Fanout` that delivers to this node's devices
(LocalFanout) and publishes the same delivery for the other nodes, which deliver it to
theirs (`imkit serve --bus nats://…`).

Core NATS publish/subscribe, no JetStream: a push is a hint, the store is the truth.
What a node misses while the bus is down its devices get by sync; when the connection
comes back, this node's devices are closed (1012) so each reconnects and syncs, and
nothing waits for the next push. Every RATE_REPORT_SECONDS the node publishes what it
let each user send; the others charge it to their buckets. Imported only with --bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoServersError

from imkit_tui.protocol import Frame, MessageRecord, encode
from imkit_tui.server.bus_messages import (
    BusDelivery,
    BusGroupChange,
    BusGroupDelivery,
    BusGroupTell,
    BusRates,
    BusTell,
    decode_bus,
    delivery,
    encode_bus,
)
from imkit_tui.server.fanout import LocalFanout, TargetedLookupSource
from imkit_tui.server.ratelimit import PerUser
from imkit_tui.server.routing import Route
from imkit_tui.server.session import Session
from imkit_tui.server.ultra.records import ULTRA_TYPE
from imkit_tui.server.unusable import ServiceUnusable

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "imkit"
CONNECT_SECONDS = 5.0
"""How long a node waits for the bus at start."""
RATE_REPORT_SECONDS = 0.1
"""How often a node tells the others what it let each user send."""


def bus_address(url: str) -> tuple[str, str]:
    """The NATS server URL and the subject prefix of a --bus URL (`?subject=NAME`
    separates clusters sharing one NATS; default "imkit")."""
    parts = urlsplit(url)
    if parts.scheme not in ("nats", "tls"):
        raise ValueError(f"bus {url!r} is not a nats:// URL")
    subject = parse_qs(parts.query).get("subject", [DEFAULT_SUBJECT])[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), subject


class NatsFanout:
    """Delivers to this node's devices and, through NATS, to every other node's."""

    def __init__(
        self,
        local: LocalFanout,
        audiences: TargetedLookupSource,
        catch_up: Callable[[], Awaitable[None]],
        on_reconnected: Callable[[], None],
        rates: PerUser,
    ) -> None:
        self._local = local
        self._rates = rates
        self._reports: asyncio.Task[None] | None = None
        self._audiences = audiences
        self._catch_up = catch_up
        self._on_reconnected = on_reconnected
        self.node = uuid.uuid4().hex
        """This node's name on the bus (new at every start)."""
        self._client: Client | None = None
        self._subject = ""

    async def start(self, url: str) -> None:
        """Connect to NATS at `url` (a --bus URL) and listen to the other nodes."""
        server, prefix = bus_address(url)
        self._subject = f"{prefix}.push"
        try:
            await _reachable(server)
            self._client = await nats.connect(
                server,
                name=f"imkit-{self.node[:8]}",
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                reconnected_cb=self._reconnected,
                disconnected_cb=self._disconnected,
                error_cb=self._error,
            )
        except (OSError, TimeoutError, NoServersError) as exc:
            raise ServiceUnusable(f"cannot reach the bus at {server}: {exc}") from exc
        await self._client.subscribe(self._subject, cb=self._received)
        self._rates.share()
        self._reports = asyncio.create_task(self._report_rates(), name="bus-rates")

    async def stop(self) -> None:
        """Leave the bus."""
        if self._reports is not None:
            self._reports.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reports
        if self._client is not None:
            await self._client.close()
            self._client = None

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """See :meth:`Fanout.deliver`: here, then on every other node. An ultra group's
        route names its members online here; every other node delivers to its own."""
        self._local.deliver(route, record, skip)
        if route.conv_type == ULTRA_TYPE:
            group = BusGroupDelivery(self.node, record.conv.target, route.conv_key, record)
            self._publish(encode_bus(group))
            return
        targeted = bool(record.seq) and self._audiences().targeted(route.conv_key) is not None
        self._publish(encode_bus(delivery(self.node, route, record, targeted)))

    def tell(self, user_id: str, frame: Frame, skip: Session | None = None) -> None:
        """See :meth:`Fanout.tell`: here, then on every other node."""
        self._local.tell(user_id, frame, skip)
        self._publish(encode_bus(BusTell(self.node, user_id, encode(frame))))

    def tell_encoded(self, user_id: str, data: bytes, skip: Session | None = None) -> None:
        """See :meth:`Fanout.tell_encoded`: here, then on every other node (the same
        bytes, never decoded on the way)."""
        self._local.tell_encoded(user_id, data, skip)
        self._publish(encode_bus(BusTell(self.node, user_id, data)))

    def tell_group(self, group_id: str, data: bytes) -> None:
        """See :meth:`Fanout.tell_group`: here, then on every other node."""
        self._local.tell_group(group_id, data)
        self._publish(encode_bus(BusGroupTell(self.node, group_id, data)))

    def group_changed(self, group_id: str, user_id: str, joined: bool) -> None:
        """See :meth:`Fanout.group_changed`: here, then on every other node."""
        self._local.group_changed(group_id, user_id, joined)
        self._publish(encode_bus(BusGroupChange(self.node, group_id, user_id, joined)))

    def _publish(self, data: bytes) -> None:
        client = self._client
        if client is None or not client.is_connected:
            return  # the others' devices catch up by sync
        task = asyncio.ensure_future(client.publish(self._subject, data))
        task.add_done_callback(_log_failure)

    async def _received(self, msg: Msg) -> None:
        message = decode_bus(msg.data)
        if message is None or message.node == self.node:
            return
        if isinstance(message, BusTell):
            self._local.tell_encoded(message.user_id, message.frame)
        elif isinstance(message, BusRates):
            self._rates.charge(message.counts)
        elif isinstance(message, BusGroupDelivery):
            self._local.deliver_to_group(message.group, message.conv_key, message.record)
        elif isinstance(message, BusGroupTell):
            self._local.tell_group(message.group, message.frame)
        elif isinstance(message, BusGroupChange):
            self._local.group_changed(message.group, message.user_id, message.joined)
        else:
            await self._deliver_here(message)

    async def _report_rates(self) -> None:
        while True:
            await asyncio.sleep(RATE_REPORT_SECONDS)
            counts = self._rates.take_counts()
            if counts:
                self._publish(encode_bus(BusRates(self.node, counts)))

    async def _deliver_here(self, message: BusDelivery) -> None:
        if message.targeted:
            await self._catch_up()  # the receivers' numbering includes this message
        self._local.deliver(message.route(), message.record, None)

    async def _disconnected(self) -> None:
        log.warning("the bus is down: other nodes' pushes wait for the devices' next sync")

    async def _error(self, error: Exception) -> None:
        log.debug("bus: %s", error)

    async def _reconnected(self) -> None:
        log.info("the bus is back: this node's devices sync what they missed")
        self._on_reconnected()


async def _reachable(server: str) -> None:
    """Fail at once (OSError) when nothing listens at `server`: the client would retry
    a first connection for ever."""
    parts = urlsplit(server)
    async with asyncio.timeout(CONNECT_SECONDS):
        _, writer = await asyncio.open_connection(parts.hostname, parts.port or 4222)
    writer.close()


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a bus publish failed: %s", task.exception())

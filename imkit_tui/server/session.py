"""One logged-in connection: its outbound queue and the user it belongs to."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from imkit_tui.protocol import ErrorFrame, Frame, encode
from imkit_tui.server.inbound import InboundLimits, InboundPolicy

log = logging.getLogger(__name__)

_SERIALS = itertools.count(1)

#: How long a refused connection has to read its close frame before it is dropped.
REFUSE_GRACE_SECONDS = 0.5


class Session:
    """A device of a user, online on one websocket.

    Frames to it go through a bounded queue drained by one task, so a slow client only
    ever slows itself: when its queue is full it is disconnected, and catches up by
    sync when it comes back. `serial` orders sessions by login (the oldest is the
    smallest); `token_version` is the version of the token it logged in with. What it
    may ask in turn is bounded by `inbound`.
    """

    def __init__(
        self,
        ws: ServerConnection,
        user_id: str,
        device: str,
        queue_size: int,
        policy: InboundPolicy | None = None,
        *,
        token_version: int = 0,
    ) -> None:
        self.ws = ws
        self.user_id = user_id
        self.device = device
        self.token_version = token_version
        self.serial = next(_SERIALS)
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
        self._task = asyncio.create_task(self._drain(), name=f"session-out:{user_id}")
        self._dropped = False
        self.inbound = InboundLimits(policy or InboundPolicy())
        """The connection's pace, requests in flight and budget of refused frames."""

    @property
    def name(self) -> tuple[str, str]:
        """The user and the device, for logs."""
        return self.user_id, self.device

    def send(self, frame: Frame) -> None:
        """Queue a frame for this device without waiting."""
        if self._dropped:
            return
        try:
            self._queue.put_nowait(encode(frame))
        except asyncio.QueueFull:
            self._dropped = True
            log.warning("disconnecting %s/%s: too slow for its pushes", self.user_id, self.device)
            # Not a closing handshake: the close frame would wait behind the very sends
            # that are stuck. Dropping the connection frees everything at once; the
            # client reconnects and syncs what it missed.
            self._task.cancel()
            self.ws.transport.abort()

    def refuse(self, code: int, reason: str) -> None:
        """Close the connection at once: a close frame with `code`, then the TCP
        connection, without waiting for a closing handshake the peer may never answer
        while it floods."""
        self._task.cancel()
        self.ws.protocol.fail(code, reason)
        self.ws.send_data()  # the close frame, then our half of the TCP connection
        # Nothing more it sends is read; it is dropped once the close frame had time to
        # arrive (dropping it at once could reset the connection before it is read).
        transport = self.ws.transport
        transport.pause_reading()
        asyncio.get_running_loop().call_later(REFUSE_GRACE_SECONDS, transport.abort)

    async def _drain(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                data = await self._queue.get()
                await self.ws.send(data, text=True)

    async def end(self, error: ErrorFrame, close_timeout: float = 2.0) -> None:
        """Tell the device why with `error` (not to be retried), then close its
        connection with the same reason. Frames still queued for it are dropped."""
        self._dropped = True
        await self.stop()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(close_timeout):
                await self.ws.send(encode(error), text=True)
        with contextlib.suppress(Exception):
            await self.ws.close(1008, error.message[:120])

    async def stop(self) -> None:
        """Stop the outbound task."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

"""One logged-in connection: the frames written to it and the user it belongs to."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

from imkit_tui.protocol import ErrorFrame, Frame, encode
from imkit_tui.server.inbound import InboundLimits, InboundPolicy

log = logging.getLogger(__name__)

_SERIALS = itertools.count(1)

#: How long a refused connection has to read its close frame before it is dropped.
REFUSE_GRACE_SECONDS = 0.5


class Session:
    """A device of a user, online on one websocket.

    Frames to it are written at once, each encoded frame straight into the connection's
    buffer (as `websockets.broadcast` does: no task, no queue, no lock), so one encoded
    Push can be written to every member of a group. A slow client only ever slows
    itself: when more than `outbound_bytes` it has not taken are still waiting in its
    buffer, it is disconnected, and catches up by sync when it comes back. `serial`
    orders sessions by login (the oldest is the smallest); `token_version` is the
    version of the token it logged in with. What it may ask in turn is bounded by
    `inbound`.
    """

    def __init__(
        self,
        ws: ServerConnection,
        user_id: str,
        device: str,
        outbound_bytes: int,
        policy: InboundPolicy | None = None,
        *,
        token_version: int = 0,
    ) -> None:
        self.ws = ws
        self.user_id = user_id
        self.device = device
        self.token_version = token_version
        self.serial = next(_SERIALS)
        self._outbound_bytes = outbound_bytes
        self._dropped = False
        self.inbound = InboundLimits(policy or InboundPolicy())
        """The connection's pace, requests in flight and budget of refused frames."""

    @property
    def name(self) -> tuple[str, str]:
        """The user and the device, for logs."""
        return self.user_id, self.device

    def send(self, frame: Frame) -> None:
        """Write a frame to this device without waiting."""
        self.send_encoded(encode(frame))

    def send_encoded(self, data: bytes) -> None:
        """Write an encoded frame (a JSON text) to this device without waiting.

        What a device has not taken stays in its connection's buffer; once more than the
        limit waits there, the device is dropped instead (a single large frame, such as
        a page of history, never counts against it: only what was left before it).
        """
        ws = self.ws
        if self._dropped or ws.protocol.state is not State.OPEN:
            return
        transport = ws.transport
        if transport.get_write_buffer_size() > self._outbound_bytes:
            self._dropped = True
            log.warning("disconnecting %s/%s: too slow for its pushes", self.user_id, self.device)
            # Not a closing handshake: the close frame would wait behind the very
            # frames that are stuck. Dropping the connection frees everything at once;
            # the client reconnects and syncs what it missed.
            transport.abort()
            return
        try:
            ws.protocol.send_text(data)
            ws.send_data()
        except Exception as exc:  # the connection broke under us: it is being closed
            log.debug("write to %s/%s failed: %s", self.user_id, self.device, exc)

    def refuse(self, code: int, reason: str) -> None:
        """Close the connection at once: a close frame with `code`, then the TCP
        connection, without waiting for a closing handshake the peer may never answer
        while it floods."""
        self._dropped = True
        self.ws.protocol.fail(code, reason)
        self.ws.send_data()  # the close frame, then our half of the TCP connection
        # Nothing more it sends is read; it is dropped once the close frame had time to
        # arrive (dropping it at once could reset the connection before it is read).
        transport = self.ws.transport
        transport.pause_reading()
        asyncio.get_running_loop().call_later(REFUSE_GRACE_SECONDS, transport.abort)

    async def end(self, error: ErrorFrame, close_timeout: float = 2.0) -> None:
        """Tell the device why with `error` (not to be retried), then close its
        connection with the same reason. Frames still queued for it are dropped."""
        self._dropped = True
        with contextlib.suppress(Exception):
            async with asyncio.timeout(close_timeout):
                await self.ws.send(encode(error), text=True)
        with contextlib.suppress(Exception):
            await self.ws.close(1008, error.message[:120])

    async def stop(self) -> None:
        """Write nothing more to this device."""
        self._dropped = True

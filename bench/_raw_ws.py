"""The light websocket client the benchmarks share for their many connections (run as
`python bench/NAME.py`, this folder is first on the import path)."""

from __future__ import annotations

import asyncio
import time

from websockets.client import ClientProtocol
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from imkit_tui.protocol import Hello, encode


class RawClient(asyncio.Protocol):
    """One user online, as light as a real client allows: websockets' sans-I/O protocol
    on a plain asyncio transport, with no task, queue or store. It logs in with a Hello
    and hands every text frame to `on_text` with the time it arrived."""

    def __init__(self, url: str, token: str, device: str = "bench") -> None:
        self._ws = ClientProtocol(parse_uri(url), max_size=None)
        self._token = token
        self._device = device
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the websocket handshake."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._ws.send_request(self._ws.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        """Parse what arrived: the handshake's answer (then the Hello goes), then frames."""
        at = time.perf_counter()
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Response):
                if self._ws.handshake_exc is not None:
                    self.on_refused(self._ws.handshake_exc)
                    return
                hello = Hello(id=1, versions=[1], token=self._token, device=self._device)
                self._ws.send_text(encode(hello))
            elif isinstance(event, WsFrame) and event.opcode is Opcode.TEXT:
                self.on_text(bytes(event.data), at)
        self.flush()

    def on_text(self, data: bytes, at: float) -> None:
        """A text frame arrived at `at` (perf_counter)."""

    def on_refused(self, exc: BaseException) -> None:
        """The websocket handshake failed."""
        if self.transport is not None:
            self.transport.abort()

    def send_text(self, data: bytes) -> None:
        """Write one text frame."""
        self._ws.send_text(data)
        self.flush()

    def send_close(self) -> None:
        """Start the closing handshake."""
        self._ws.send_close()
        self.flush()

    def flush(self) -> None:
        """Write what the protocol has to send."""
        assert self.transport is not None
        for data in self._ws.data_to_send():
            if data:
                self.transport.write(data)
            else:
                self.transport.write_eof()

"""A websocket client connection that hands each text message over as it is parsed.

websockets' asyncio connection puts every message it parses into a queue, and a task
reading the socket (`recv()`, `async for`) takes it out on a later turn of the event
loop, decoded to `str`. The client core decodes frames from bytes with msgspec and
dispatches them without waiting for anything, so :class:`DirectConnection` calls its
`on_text` with the bytes of each complete text message right where the protocol parses
it: one turn of the loop and one UTF-8 round trip less for every push and answer.
Anything else (a fragmented or binary message, before `on_text` is set) takes the
ordinary road through `recv()`.

Imported only when connecting, like the websockets client itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

log = logging.getLogger(__name__)


class DirectConnection(ClientConnection):
    """A ClientConnection that calls `on_text(bytes)` for each complete text message."""

    on_text: Callable[[bytes], None] | None = None
    """Called, inside the protocol's data_received, with each unfragmented text message."""

    def process_event(self, event: Event) -> None:
        """Hand an unfragmented text message to `on_text`; everything else as usual."""
        handler = self.on_text
        if (
            handler is not None
            and isinstance(event, Frame)
            and event.fin
            and event.opcode is Opcode.TEXT
        ):
            try:
                handler(bytes(event.data))
            except Exception:  # never into the transport's callback
                log.exception("handling a frame from the server failed")
            return
        super().process_event(event)

"""The server talks to the app's backend: message routing, the message callback, user
status sync and offline pushes (server/hooks/). This module is what the IM server sees:
what it reports and asks, and a hook set that does nothing (the default). The rest (and aiohttp, and
Apprise) is imported only when `imkit serve` starts hooks that are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imkit_tui.protocol import MessageRecord, SendMessage
    from imkit_tui.server.routing import Route
    from imkit_tui.server.session import Session


class ServerHooks(Protocol):
    """What the IM server tells the hooks; each call returns at once."""

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """`record` was stored (seq > 0) or relayed (seq 0) and pushed along `route`;
        `from_device`: a device sent it (else the Server API or the server itself)."""

    async def moderate(self, sender: str, frame: SendMessage, route: Route) -> None:
        """Before `frame` is stored: hold it for the message callback if it matches
        (its content may be replaced; ProtocolError when it is blocked)."""

    def device_online(self, session: Session) -> None:
        """A device logged in."""

    def device_offline(self, session: Session) -> None:
        """A device's connection ended."""


class NoHooks:
    """Hooks that do nothing: the server's default."""

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """Nothing to do."""

    async def moderate(self, sender: str, frame: SendMessage, route: Route) -> None:
        """Nothing to do."""

    def device_online(self, session: Session) -> None:
        """Nothing to do."""

    def device_offline(self, session: Session) -> None:
        """Nothing to do."""

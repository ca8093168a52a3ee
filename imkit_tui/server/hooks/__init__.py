"""The server talks to the app's backend: message routing, the message callback, user
status sync and offline pushes (server/hooks/). This module is what the IM server sees:
what it reports and asks, and a hook set that does nothing (the default). The rest (and aiohttp, and
Apprise) is imported only when `imkit serve` starts hooks that are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imkit_tui.protocol import Frame, MessageRecord, SendMessage
    from imkit_tui.server.fanout import Fanout
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

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """A chatroom was created (0) or destroyed (1), or `users` joined (2) or left (3)."""


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

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """Nothing to do."""


class TellingFanout:
    """A fan-out that tells the hooks of every record it delivers (routing, offline
    pushes), wrapped around the server's own: every road a message takes to devices
    (a device's send, a recall, the Server API, the server's own notices) is covered
    in one place."""

    def __init__(self, inner: Fanout, hooks: ServerHooks) -> None:
        self._inner = inner
        self._hooks = hooks

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """Deliver as the inner fan-out does, then tell the hooks (a record sent by a
        device is the one delivered with that device skipped)."""
        self._inner.deliver(route, record, skip)
        self._hooks.message_stored(record, route, from_device=skip is not None)

    def tell(self, user_id: str, frame: Frame, skip: Session | None = None) -> None:
        """State pushes go to devices only."""
        self._inner.tell(user_id, frame, skip)

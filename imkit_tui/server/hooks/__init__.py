"""The server talks to the app's backend: message routing, the message callback, user
status sync and offline pushes (server/hooks/). This module is what the IM server sees:
what it reports and asks, and a hook set that does nothing (the default). The rest (and aiohttp, and
Apprise) is imported only when `imkit serve` starts hooks that are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from imkit_tui.protocol import ErrorCode, ProtocolError

if TYPE_CHECKING:
    from imkit_tui.protocol import ConvRef, Frame, MessageRecord, SendMessage
    from imkit_tui.server.fanout import Fanout
    from imkit_tui.server.routing import Route
    from imkit_tui.server.session import Session
    from imkit_tui.server.store_records import NewMessage


class ServerHooks(Protocol):
    """What the IM server tells the hooks; each call returns at once."""

    def routed(
        self, message: NewMessage, route: Route, conv: ConvRef, *, from_device: bool
    ) -> NewMessage:
        """`message` (to append along `route`, pushed as `conv`), carrying the routing
        row to commit in its own transaction when it is routed: a stored message is
        never without it, even when the server is killed right after the commit."""

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """`record` was stored (seq > 0) or relayed (seq 0) and pushed along `route`;
        `from_device`: a device sent it (else the Server API or the server itself)."""

    async def moderate(
        self, sender: str, frame: SendMessage, route: Route, content_json: str | None = None
    ) -> None:
        """Before `frame` is stored: hold it for the message callback if it matches
        (its content may be replaced; ProtocolError when it is blocked). `content_json`:
        its content as it would be stored, when at hand."""

    def device_online(self, session: Session) -> None:
        """A device logged in."""

    def device_offline(self, session: Session) -> None:
        """A device's connection ended."""

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """A chatroom was created (0) or destroyed (1), or `users` joined (2) or left (3)."""

    async def user_online(self, user_id: str) -> bool | None:
        """Whether a device of `user_id` is connected to any node, as the hooks know it
        (None: they keep no such truth; the server's own sessions tell)."""

    async def user_push_url(
        self, user_id: str, url: str | None, request_id: int
    ) -> tuple[str, bool]:
        """Set `user_id`'s own push URL (None: only read; "": remove it); their URL
        and whether pushes are sent. ProtocolError for a URL not understood, or a
        change while pushes are off."""


class NoHooks:
    """Hooks that do nothing: the server's default."""

    def routed(
        self, message: NewMessage, route: Route, conv: ConvRef, *, from_device: bool
    ) -> NewMessage:
        """Nothing is routed."""
        return message

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """Nothing to do."""

    async def moderate(
        self, sender: str, frame: SendMessage, route: Route, content_json: str | None = None
    ) -> None:
        """Nothing to do."""

    def device_online(self, session: Session) -> None:
        """Nothing to do."""

    def device_offline(self, session: Session) -> None:
        """Nothing to do."""

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """Nothing to do."""

    async def user_online(self, user_id: str) -> bool | None:
        """Nothing known: the server's own sessions tell."""
        return None

    async def user_push_url(
        self, user_id: str, url: str | None, request_id: int
    ) -> tuple[str, bool]:
        """No pushes: nothing to read, no change allowed."""
        if url is not None:
            raise pushes_off(request_id)
        return "", False


def pushes_off(request_id: int) -> ProtocolError:
    """The refusal of a push URL change on a server that sends no pushes."""
    return ProtocolError(
        ErrorCode.INVALID_PARAMETER, "this server sends no offline pushes", request_id
    )


class TellingFanout:
    """A fan-out that tells the hooks of every record it delivers (routing, offline
    pushes), wrapped around the server's own: every road a message takes to devices
    (a device's send, a recall, the Server API, the server's own notices) is covered
    in one place."""

    def __init__(self, inner: Fanout, hooks: ServerHooks) -> None:
        self._inner = inner
        self._hooks = hooks

    @staticmethod
    def around(fanout: Fanout, hooks: ServerHooks) -> TellingFanout:
        """`fanout` telling `hooks`; hooks that tell others already are replaced (hooks
        started again on a running server), never told twice."""
        inner = fanout._inner if isinstance(fanout, TellingFanout) else fanout
        return TellingFanout(inner, hooks)

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """Deliver as the inner fan-out does, then tell the hooks (a record sent by a
        device is the one delivered with that device skipped)."""
        self._inner.deliver(route, record, skip)
        self._hooks.message_stored(record, route, from_device=skip is not None)

    def tell(self, user_id: str, frame: Frame, skip: Session | None = None) -> None:
        """State pushes go to devices only."""
        self._inner.tell(user_id, frame, skip)

    def tell_encoded(self, user_id: str, data: bytes, skip: Session | None = None) -> None:
        """State pushes go to devices only."""
        self._inner.tell_encoded(user_id, data, skip)

    def tell_group(self, group_id: str, data: bytes) -> None:
        """State pushes go to devices only."""
        self._inner.tell_group(group_id, data)

    def group_changed(self, group_id: str, user_id: str, joined: bool) -> None:
        """Who is online in a group: the inner fan-out's concern."""
        self._inner.group_changed(group_id, user_id, joined)

"""What every frame handler works with, declared once: the server as handlers see it."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol

from imkit_tui.protocol import ErrorCode, ProtocolError, SendAck, SendMessage
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.chatrooms.live import ChatroomLive
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.customer_service.replica import DeskReplica
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.hooks import ServerHooks
from imkit_tui.server.media import MediaStore
from imkit_tui.server.ratelimit import PerUser
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store
from imkit_tui.server.ultra.online import UltraOnline


class ServerContext(Protocol):
    """The server's parts a handler may use (IMServer is one): its settings, store,
    fan-out, files, chatrooms and send limit, and a way to run follow-up work."""

    @property
    def config(self) -> ServerConfig:
        """The server's settings."""
        ...

    @property
    def media(self) -> MediaStore:
        """The stored files."""
        ...

    @property
    def fanout(self) -> Fanout:
        """Delivery to the receivers' online devices."""
        ...

    @property
    def hooks(self) -> ServerHooks:
        """What the server tells the app's backend, and asks it (moderation)."""
        ...

    @property
    def chatrooms(self) -> ChatroomLive:
        """The chatrooms (server/chatrooms/)."""
        ...

    @property
    def customer_service(self) -> DeskReplica:
        """The customer-service desk (server/customer_service/)."""
        ...

    @property
    def send_rates(self) -> PerUser:
        """Each user's send rate limit (error 20604)."""
        ...

    @property
    def ultra_online(self) -> UltraOnline:
        """Which members of each ultra group are connected (server/ultra/online.py)."""
        ...

    def require_store(self) -> Store:
        """The open store; ProtocolError 90006 once the server is stopping."""
        ...

    def spawn(self, work: Coroutine[Any, Any, None], request_id: int, session: Session) -> None:
        """Run `work` beside the connection's reading; a failure becomes the error frame
        answering `request_id` on `session`."""
        ...


def charge_send(ctx: ServerContext, user_id: str, request_id: int) -> None:
    """Take one send from `user_id`'s send rate limit; ProtocolError 20604 when over (for
    sends that have no stored original to ack again)."""
    if not ctx.send_rates.allow(user_id):
        raise ProtocolError(ErrorCode.RATE_LIMITED, "sending too fast", request_id)


def ack_unstored(session: Session, frame: SendMessage) -> tuple[str, int]:
    """Ack `frame` at once with seq 0 (a send that is not stored): the new uid and the
    time the ack gives it, for the record that carries it on."""
    sent_at = now_ms()
    uid = new_uuid7(sent_at)
    session.send(
        SendAck(re=frame.id, cmid=frame.cmid, uid=uid, seq=0, sent_at=sent_at, conv=frame.conv)
    )
    return uid, sent_at

"""The engine's front: one object told every frame the server sends, answering with
what to do, shaped as python-websockets' `Protocol` (`receive_data` →
`events_received`, `data_to_send`).

:class:`ClientEngine` composes the login (core/engine/login.py) and the request table
(core/engine/requests.py). The connection hands it the bytes of each text message
(:meth:`ClientEngine.receive`), then acts on :meth:`ClientEngine.events`: the login's
outcome, an answer for a waiter, a push for the inbound queue, the session refused for
good. What to send comes from :meth:`ClientEngine.frames_to_send` (the Hello) and
:meth:`ClientEngine.request` (a request's bytes). Between attempts it says what state
to report and how long to wait (:meth:`ClientEngine.attempt_state`,
:meth:`ClientEngine.retry`). Nothing here waits or touches a socket.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.connection_state import ConnectionState
from imkit_tui.core.engine.login import LoginOutcome, Ready, Refused, answer_login, hello
from imkit_tui.core.engine.requests import FrameRoute, Requests
from imkit_tui.protocol import (
    ChatroomEvent,
    ConversationUpdate,
    CsAgentState,
    ErrorFrame,
    Frame,
    Notice,
    PrivacyState,
    ProtocolError,
    Push,
    ReceiptState,
    ServerFrame,
    UltraDeleted,
    UltraInfo,
    UltraUpdate,
    decode_server_frame,
    encode,
)

log = logging.getLogger(__name__)

W = TypeVar("W")

PushFrame = (
    Push
    | ConversationUpdate
    | PrivacyState
    | ReceiptState
    | Notice
    | ChatroomEvent
    | UltraInfo
    | UltraUpdate
    | UltraDeleted
    | CsAgentState
)
"""A frame no request asked for: a message or notice, a change of state (ultra groups'
too), a chatroom event, the customer-service desk."""


@dataclass(frozen=True, slots=True)
class Answer(Generic[W]):
    """`frame` answers the request `waiter` waits on (an ErrorFrame when it failed)."""

    waiter: W
    frame: ServerFrame


@dataclass(frozen=True, slots=True)
class Pushed:
    """A frame no request asked for: for the inbound queue."""

    frame: PushFrame


Event = LoginOutcome | Answer[W] | Pushed
"""What :meth:`ClientEngine.events` yields. `Ready` and `Retry` only answer a login;
`Refused` answers a login or ends a running session (an error frame answering nothing
with a terminal code, sent just before the server closes)."""


class Stage(enum.Enum):
    """Where the session is."""

    CLOSED = "closed"
    LOGIN = "login"
    """The Hello is sent; the next frame is its answer."""
    READY = "ready"
    REFUSED = "refused"


class ClientEngine(Generic[W]):
    """The client's decisions on what comes in: one per connection owner, for every
    attempt (:meth:`connect` starts one, :meth:`lost` ends it)."""

    def __init__(self, token: str, device: str, backoff: Backoff | None = None) -> None:
        self._token = token
        self._device = device
        self._backoff = backoff or Backoff()
        self._failures = 0
        """Attempts failed since the last login (or the start)."""
        self._requests: Requests[W] = Requests()
        self._events: list[Event[W]] = []
        self._out: list[bytes] = []
        self.stage = Stage.CLOSED

    def connect(self) -> None:
        """A socket is open: the Hello goes first (:meth:`frames_to_send`)."""
        self._events.clear()
        self._out = [encode(hello(self._token, self._device))]
        self.stage = Stage.LOGIN

    def frames_to_send(self) -> list[bytes]:
        """The frames to write now, in order (each a text message); then forgotten."""
        out, self._out = self._out, []
        return out

    def request(self, frame: Frame, waiter: W) -> bytes:
        """Give `frame` its id, keep `waiter` for its answer; the bytes to send."""
        self._requests.open(frame, waiter)
        return encode(frame)

    def close_request(self, request_id: int) -> None:
        """The request is over (answered, timed out, cancelled)."""
        self._requests.close(request_id)

    def receive(self, raw: bytes) -> None:
        """The bytes of one text message from the server: classify it, and queue what
        it means for :meth:`events`."""
        if self.stage is Stage.LOGIN:
            outcome = answer_login(raw)
            self.stage = (
                Stage.READY
                if isinstance(outcome, Ready)
                else Stage.REFUSED
                if isinstance(outcome, Refused)
                else Stage.CLOSED
            )
            if isinstance(outcome, Ready):
                self._failures = 0
            self._events.append(outcome)
            return
        try:
            frame = decode_server_frame(raw)
        except ProtocolError as exc:
            log.warning("ignoring a frame the server sent: %s", exc)
            waiter = self._requests.waiter(exc.reply_to)
            if waiter is not None:
                # The answer came but cannot be read: the request fails now, with the
                # code that says so, rather than waiting for a timeout.
                error = ErrorFrame(re=exc.reply_to, code=exc.code, message=exc.message[:200])
                self._events.append(Answer(waiter, error))
            return
        route, waiter = self._requests.route(frame)
        if route is FrameRoute.PUSH:
            self._events.append(Pushed(cast("PushFrame", frame)))
        elif waiter is not None:
            self._events.append(Answer(waiter, frame))
        elif isinstance(frame, ErrorFrame):
            log.warning("server error %s: %s", frame.code, frame.message)
            if route is FrameRoute.TERMINAL:
                self.stage = Stage.REFUSED
                self._events.append(Refused(frame.code, frame.message))

    def events(self) -> Iterator[Event[W]]:
        """What the frames received so far mean, oldest first; each yielded once."""
        while self._events:
            yield self._events.pop(0)

    def attempt_state(self) -> ConnectionState:
        """The state to report as an attempt to connect starts."""
        return ConnectionState.CONNECTING if not self._failures else ConnectionState.RECONNECTING

    def retry(self, error: str | None) -> tuple[float, str]:
        """An attempt is over, not refused for good: the seconds to wait before the
        next (the backoff grows with each attempt failed since the last login) and the
        words to report with it, after `error` when the attempt never logged in."""
        self._failures += 1
        delay = self._backoff.delay(self._failures)
        retrying = f"retrying in {delay:.1f} s"
        return delay, f"{error}, {retrying}" if error else retrying

    def lost(self) -> list[W]:
        """The socket closed: every waiter still waiting (now forgotten). A refusal
        stays; otherwise the next attempt starts with :meth:`connect`."""
        if self.stage is not Stage.REFUSED:
            self.stage = Stage.CLOSED
        self._out.clear()
        return self._requests.lost()

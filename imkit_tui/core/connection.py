"""The link to the server: one websocket at a time, reopened with backoff until closed.

It moves bytes and sleeps; the engine (:class:`~imkit_tui.core.engine.ClientEngine`,
core/engine/session.py) decides: it builds the Hello, says what the server's first frame
means (logged in, refused for good, or retry after the backoff), and for every later
frame whether it answers a waiting request, is a push to hand over, or ends the session
for good. A refused token (or protocol version, or a blocked user) ends it: no retry
storm; so does a connection the server closes for good (a revoked token, too many
devices), which it says with an error frame answering no request just before it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.engine.login import LoginOutcome, Refused, Retry
from imkit_tui.core.engine.session import Answer, ClientEngine, Pushed, PushFrame
from imkit_tui.core.events import ConnectionState
from imkit_tui.core.server_list import ServerList
from imkit_tui.protocol import (
    ErrorCode,
    ErrorFrame,
    Frame,
    ServerFrame,
    Welcome,
    describe,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)

F = TypeVar("F", bound=ServerFrame)


class NotConnected(ConnectionError):
    """There is no connection right now (or it dropped before the answer came)."""


class RequestFailed(Exception):
    """The server answered a request with an error frame."""

    def __init__(self, error: ErrorFrame) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.code = error.code
        self.message = error.message


class LoginRefused(Exception):
    """The server refused the login for good (bad or expired token, no common version)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{describe(code)} ({code}): {message}")
        self.code = code
        self.message = message


def device_id(kind: str) -> str:
    """The device name this process gives the server: `kind` ("app", "cli-send", …)
    and a part of its own, so that several processes of one user are distinct devices
    (the server pushes to each, one's own messages to the others)."""
    return f"{kind}-{os.getpid()}-{secrets.token_hex(2)}"


StateListener = Callable[[ConnectionState, str, int | None], None]

Opener = Callable[[], Awaitable[socket.socket]]
"""Gives a connected stream socket to speak the websocket over instead of dialling the
URL: this process's end of a socket pair whose other end an in-process server accepted
(see :meth:`imkit_tui.server.IMServer.connect_in_process`). Needs no network."""


class Connection:
    """Keeps one logged-in websocket to `url` open until `close()`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        device: str,
        on_ready: Callable[[Welcome], Coroutine[Any, Any, None]],
        on_push: Callable[[PushFrame], None],
        on_state: StateListener,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        heartbeat: float = 20.0,
        opener: Opener | None = None,
    ) -> None:
        self.servers = ServerList(url)
        """The server's addresses (`url` may list several, comma-separated)."""
        self.opener = opener
        """Where the next attempt gets its socket from; None dials `url`."""
        self._on_ready = on_ready
        self._on_push = on_push
        self._on_state = on_state
        self._open_timeout = open_timeout
        self._heartbeat = heartbeat
        self._ws: ClientConnection | None = None
        self._login_answer: asyncio.Future[LoginOutcome] | None = None
        self._engine: ClientEngine[asyncio.Future[ServerFrame]] = ClientEngine(
            token, device, backoff
        )
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._nudged = asyncio.Event()
        self.refused: LoginRefused | None = None
        self.welcome: Welcome | None = None
        self.error: str | None = None
        """Why the last attempt to connect failed ("cannot reach ws://…: connection
        refused"); None once logged in."""

    def start(self) -> None:
        """Start connecting in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="connection")

    async def close(self) -> None:
        """Close the connection and stop reconnecting."""
        self._closing.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def url(self) -> str:
        """The address in use (or tried next)."""
        return self.servers.current

    def move_to(self, url: str, opener: Opener | None = None) -> None:
        """Use `url` (through `opener` when given) from the next attempt on, and make
        that attempt now rather than after the backoff (the server came back, or moved)."""
        self.servers.replace(url)
        self.opener = opener
        self._nudged.set()

    @property
    def is_open(self) -> bool:
        """True while a logged-in websocket is open."""
        return self._ws is not None

    async def request(self, frame: Frame, expect: type[F], timeout: float = 15.0) -> F:
        """Send a request and wait for its answer of type `expect`.

        Raises NotConnected if there is no connection or it drops first, RequestFailed
        for an error frame, TimeoutError when no answer comes in time.
        """
        from websockets.exceptions import ConnectionClosed  # loaded once connected

        ws = self._ws
        if ws is None:
            raise NotConnected("not connected")
        future: asyncio.Future[ServerFrame] = asyncio.get_running_loop().create_future()
        data = self._engine.request(frame, future)
        request_id = frame.id
        try:
            try:
                await ws.send(data, text=True)
            except ConnectionClosed as exc:
                raise NotConnected("connection closed") from exc
            async with asyncio.timeout(timeout):
                answer = await future
        finally:
            self._engine.close_request(request_id)
            _settle(future)
        if isinstance(answer, ErrorFrame):
            raise RequestFailed(answer)
        if not isinstance(answer, expect):
            raise RequestFailed(
                ErrorFrame(code=ErrorCode.MALFORMED_FRAME, message=f"unexpected {type(answer)}")
            )
        return answer

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        # Imported here so that start-up (and the first frame of the app) does not wait
        # for the websockets client.
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

        from imkit_tui.core.direct_ws import DirectConnection

        while not self._closing.is_set():
            self._on_state(self._engine.attempt_state(), "", None)
            logged_in = False
            try:
                sock = await self.opener() if self.opener is not None else None
                async with connect(
                    self.url,
                    sock=sock,
                    open_timeout=self._open_timeout,
                    max_size=None,
                    ping_interval=self._heartbeat,
                    ping_timeout=self._heartbeat,
                    close_timeout=2,
                    compression=None,
                    create_connection=DirectConnection,
                ) as ws:
                    # Frames go straight to _on_text as they are parsed (core/direct_ws.py).
                    assert isinstance(ws, DirectConnection)
                    ws.on_text = self._on_text
                    self.welcome = await self._login(ws)
                    self.error, logged_in = None, True
                    self.servers.connected()
                    await self._serve(ws)
            except LoginRefused as refused:
                self.refused = refused
                self._on_state(ConnectionState.REFUSED, refused.message, refused.code)
                return
            except InvalidURI as exc:
                self.refused = LoginRefused(ErrorCode.INVALID_PARAMETER, f"bad server URL: {exc}")
                self._on_state(ConnectionState.REFUSED, self.refused.message, None)
                return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                log.debug("connection lost: %r", exc)
                if not logged_in:
                    self.error = f"cannot reach {self.url}: {_reason(exc)}"
            finally:
                self._ws = None
                self._fail_pending()
            if self.refused is not None:  # closed for good by the server while logged in
                self._on_state(ConnectionState.REFUSED, self.refused.message, self.refused.code)
                return
            if self._closing.is_set():
                break
            if self.opener is None and self.servers.lost():
                continue  # another node of the service, at once
            delay, detail = self._engine.retry(self.error)
            self._on_state(ConnectionState.RECONNECTING, detail, None)
            await self._wait_before_retry(delay)
        self._on_state(ConnectionState.OFFLINE, "closed", None)

    async def _wait_before_retry(self, delay: float) -> None:
        """Sleep `delay` seconds, less when closing or nudged (:meth:`move_to`)."""
        waiters = {
            asyncio.ensure_future(self._closing.wait()),
            asyncio.ensure_future(self._nudged.wait()),
        }
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._nudged.clear()

    async def _login(self, ws: ClientConnection) -> Welcome:
        """Send the engine's Hello and wait for its verdict on the answer."""
        answer: asyncio.Future[LoginOutcome] = asyncio.get_running_loop().create_future()
        self._login_answer = answer
        self._engine.connect()
        closed: asyncio.Future[Any] = asyncio.ensure_future(ws.wait_closed())
        try:
            for data in self._engine.frames_to_send():
                await ws.send(data, text=True)
            async with asyncio.timeout(self._open_timeout):
                waiting: set[asyncio.Future[Any]] = {answer, closed}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._login_answer = None
            closed.cancel()
        if not answer.done():
            raise ConnectionError("the server closed the connection during login")
        outcome = answer.result()
        if isinstance(outcome, Refused):
            raise LoginRefused(outcome.code, outcome.message)
        if isinstance(outcome, Retry):
            raise ConnectionError(outcome.reason)
        return outcome.welcome

    async def _serve(self, ws: ClientConnection) -> None:
        """Read frames until the socket closes, while the owner's on_ready runs."""
        self._ws = ws
        assert self.welcome is not None
        ready = asyncio.create_task(self._on_ready(self.welcome), name="on-ready")
        try:
            async for raw in ws:
                self._on_text(raw if isinstance(raw, bytes) else raw.encode())
        finally:
            self._ws = None
            self._fail_pending()
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ready

    def _on_text(self, raw: bytes) -> None:
        """A text message from the server, as it is parsed: the engine says what it
        means, this acts on it."""
        self._engine.receive(raw)
        for event in self._engine.events():
            if isinstance(event, Pushed):
                self._on_push(event.frame)
            elif isinstance(event, Answer):
                if not event.waiter.done():
                    event.waiter.set_result(event.frame)
            elif self._login_answer is not None and not self._login_answer.done():
                self._login_answer.set_result(event)
            elif isinstance(event, Refused):  # closed for good while logged in
                self.refused = LoginRefused(event.code, event.message)

    def _fail_pending(self) -> None:
        for future in self._engine.lost():
            if not future.done():
                future.set_exception(NotConnected("connection lost"))


def _settle(future: asyncio.Future[ServerFrame]) -> None:
    """The caller of a request is done with its answer's future: cancel it if nothing
    came, and read an error set on it that the caller did not await (the connection was
    lost while the request was still being sent: the caller has its own error). An
    error left unread is reported as "Future exception was never retrieved"."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


def _reason(exc: BaseException) -> str:
    """A few words for why a connection attempt failed ("connection refused")."""
    if isinstance(exc, socket.gaierror):
        return (exc.strerror or "unknown host").lower()
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is not None:
        return f"not an imkit server (HTTP {status})"
    return str(exc) or type(exc).__name__

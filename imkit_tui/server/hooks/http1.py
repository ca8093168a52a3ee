"""A lean HTTP/1.1 client for the hooks' POSTs: kept-alive connections to the backend,
requests pipelined on them, answers parsed by httptools (llhttp, in C).

Why not aiohttp's client here: the hooks make one small POST per routed message on the
chat's own loop, and aiohttp's request machinery (request and response objects, URL
handling, tracing, the connector) costs the loop more than the chat spends on the
message itself. This client does only what the hooks need: POST a body, read the
status and the body, follow nothing. A request to an idle connection leaves at once;
those made behind it in one turn of the loop leave in one write, and their answers
mostly arrive in one read (`bench/http_client.py` measures it
against aiohttp's client).

Pipelining and failures: answers come in the order of the requests. When a connection
is lost, every request on it that has no answer yet fails (the caller retries; the
hooks deliver at least once). A request that went out on a kept connection the backend
had already closed is sent once more on a new one before it fails.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools

WAYS_KEPT = 1024
"""Parsed URLs a client keeps at most (the oldest goes first)."""

MAX_ANSWER_BYTES = 1 << 20
"""An answer's body past this is refused (a backend's answer is a few bytes of JSON)."""


class HttpFailure(Exception):
    """The request got no usable answer: refused, lost, malformed, too big or too late."""


class _Stale(HttpFailure):
    """The connection was gone before the request reached the backend."""


class Answer(NamedTuple):
    """The backend's answer: its status code and body."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL points: the origin to connect to and the request line's target."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        """The Host header's value."""
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def parse_target(url: str) -> Target:
    """The Target of an http:// or https:// `url`; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path)


Origin = tuple[str, str, int]
"""Where connections go: scheme, host, port."""


@dataclass(frozen=True, slots=True)
class _Way:
    """A URL as requests to it are made: its target, the origin of the connections,
    the request line's path, what joins a query to it and the Host header's value."""

    target: Target
    origin: Origin
    path: str
    sep: str
    host: str

    @staticmethod
    def of(target: Target) -> _Way:
        """The way to `target`."""
        origin = (target.scheme, target.host, target.port)
        sep = "&" if "?" in target.path else "?"
        return _Way(target, origin, target.path, sep, target.host_header)


@dataclass(slots=True)
class _Waiting:
    """A request written, waiting for its answer; `fresh` while the connection has been
    quiet since it answered everything before (only such a request can meet a
    connection the backend closed while it was idle)."""

    answer: asyncio.Future[Answer]
    fresh: bool
    body: list[bytes] = field(default_factory=list)
    size: int = 0


class _Connection(asyncio.Protocol):
    """One kept-alive connection: requests written in order, answers parsed as they come
    and handed to the requests in the same order."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiting: deque[_Waiting] = deque()
        self._outgoing: list[bytes] = []
        self._quiet = False  # answered all it was asked, and heard nothing since
        self.closed = False

    @property
    def pending(self) -> int:
        """Requests written and not answered yet."""
        return len(self._waiting)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._quiet:
            self._quiet = False
            for waiting in self._waiting:
                waiting.fresh = False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpFailure(f"a malformed answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(HttpFailure(f"the connection was lost: {exc!r}"))

    # httptools callbacks

    def on_body(self, chunk: bytes) -> None:
        """A piece of the answer's body."""
        if not self._waiting:
            return
        waiting = self._waiting[0]
        waiting.size += len(chunk)
        if waiting.size > MAX_ANSWER_BYTES:
            self._fail(HttpFailure("the answer is too big"))
            return
        waiting.body.append(chunk)

    def on_message_complete(self) -> None:
        """An answer is in: the oldest waiting request's."""
        if not self._waiting:
            self._fail(HttpFailure("an answer to no request"))
            return
        waiting = self._waiting.popleft()
        if not self._waiting:
            self._quiet = True
        if not waiting.answer.done():
            answer = Answer(self._parser.get_status_code(), b"".join(waiting.body))
            waiting.answer.set_result(answer)
        if not self._parser.should_keep_alive():
            self._fail(HttpFailure("the backend closed the connection"))

    # requests

    def send(self, request: bytes) -> asyncio.Future[Answer]:
        """Write `request` now when the connection is idle, else queue it to go out with
        the others of this turn of the loop; the future has its answer."""
        if self._transport is None or self.closed:
            raise _Stale("the connection is closed")
        loop = asyncio.get_running_loop()
        waiting = _Waiting(loop.create_future(), fresh=self._quiet)
        idle = not self._waiting
        self._waiting.append(waiting)
        if idle:  # the first of a burst goes at once; those behind it, together
            self._transport.write(request)
            return waiting.answer
        if not self._outgoing:
            loop.call_soon(self._flush)
        self._outgoing.append(request)
        return waiting.answer

    def abandon(self, answer: asyncio.Future[Answer]) -> None:
        """The caller stopped waiting for `answer` (a timeout): the connection cannot
        tell which answer is whose any more, so it closes."""
        if any(w.answer is answer for w in self._waiting):
            self._fail(HttpFailure("a request on this connection was abandoned"))

    def expire(self, answer: asyncio.Future[Answer], limit: float) -> None:
        """`answer` is late (no answer within `limit` seconds): it fails, and the
        connection closes as for an abandoned request."""
        if not answer.done():
            answer.set_exception(HttpFailure(f"no answer within {limit:g} s"))
            self.abandon(answer)

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if self._transport is not None and not self.closed:
            self._transport.write(b"".join(outgoing))

    def close(self) -> None:
        """Close the connection; what waits fails."""
        self._fail(HttpFailure("the connection was closed"))

    def _fail(self, error: HttpFailure) -> None:
        self.closed = True
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.answer.done():
                waiting.answer.set_exception(_Stale(str(error)) if waiting.fresh else error)
        self._outgoing = []
        if self._transport is not None:
            self._transport.close()


class HttpClient:
    """POSTs over kept-alive connections, at most `depth` requests pipelined on each and
    at most `connections` connections per origin; each request ends within `timeout`
    seconds or fails with HttpFailure."""

    def __init__(self, timeout: float, depth: int = 16, connections: int = 4) -> None:
        self._timeout = timeout
        self._depth = depth
        self._connections = connections
        self._open: dict[Origin, list[_Connection]] = {}
        self._opening: dict[Origin, asyncio.Task[_Connection]] = {}
        self._ways: dict[str, _Way] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(
        self,
        url: str,
        body: bytes,
        content_type: str,
        query: str = "",
        timeout: float | None = None,
    ) -> Answer:
        """POST `body` to `url` with `query` added to its own; the answer, whatever its
        status, within the client's timeout (or `timeout`, when shorter). ValueError for
        a URL that is not http(s)."""
        way = self._ways.get(url)
        if way is None:
            if len(self._ways) >= WAYS_KEPT:  # many URLs (public accounts' backends)
                del self._ways[next(iter(self._ways))]
            way = self._ways[url] = _Way.of(parse_target(url))
        request = b"".join(
            (
                f"POST {way.path}{way.sep if query else ''}{query} HTTP/1.1\r\n"
                f"Host: {way.host}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1"),
                body,
            )
        )
        limit = self._timeout if timeout is None else min(timeout, self._timeout)
        deadline = asyncio.get_running_loop().time() + limit
        try:
            try:
                return await self._exchange(way, request, deadline, limit)
            except _Stale:
                return await self._exchange(way, request, deadline, limit)
        except OSError as exc:
            raise HttpFailure(f"cannot reach {way.target.host}:{way.target.port}: {exc}") from None

    async def _exchange(self, way: _Way, request: bytes, deadline: float, limit: float) -> Answer:
        """Send `request` on a connection to the way's origin and wait for its answer
        until `deadline` (the loop's time): past it the request fails and its connection,
        which can no longer tell whose answer is whose, is closed. A timer on the answer
        rather than asyncio.timeout around the wait: the same outcome, a fraction of the
        cost on every request."""
        conn = self._ready(way.origin)
        if conn is None:
            try:
                async with asyncio.timeout_at(deadline):
                    conn = await self._connection(way.target, way.origin)
            except TimeoutError:
                raise HttpFailure(f"no answer within {limit:g} s") from None
        answer = conn.send(request)
        timer = asyncio.get_running_loop().call_at(deadline, conn.expire, answer, limit)
        try:
            return await answer
        except asyncio.CancelledError:
            conn.abandon(answer)
            raise
        finally:
            timer.cancel()

    def _ready(self, origin: Origin) -> _Connection | None:
        """What :meth:`_connection` would pick without waiting: the least busy
        connection to `origin` when it may take the request now (None when every
        connection is closed or busy and another may be opened: the slow way)."""
        conns = self._open.get(origin)
        if not conns:
            return None
        best = conns[0]
        for conn in conns:
            if conn.closed:
                return None  # the slow way drops it
            if conn.pending < best.pending:
                best = conn
        if best.pending < self._depth or len(conns) >= self._connections:
            return best
        return None

    async def _connection(self, target: Target, origin: Origin) -> _Connection:
        """The least busy open connection to the target's origin with room, or a new one."""
        conns = self._open.setdefault(origin, [])
        conns[:] = [c for c in conns if not c.closed]
        best = min(conns, key=lambda c: c.pending, default=None)
        if best is not None and (best.pending < self._depth or len(conns) >= self._connections):
            return best  # pipelined behind what it carries (past `depth` only when all are full)
        opening = self._opening.get(origin)
        if opening is None:
            opening = asyncio.ensure_future(self._connect(target))
            self._opening[origin] = opening
            opening.add_done_callback(lambda _t: self._opening.pop(origin, None))
        conn = await asyncio.shield(opening)
        if conn not in conns and not conn.closed:
            conns.append(conn)
        return conn

    async def _connect(self, target: Target) -> _Connection:
        loop = asyncio.get_running_loop()
        tls: ssl.SSLContext | None = None
        if target.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        _transport, conn = await loop.create_connection(
            _Connection, target.host, target.port, ssl=tls
        )
        return conn

    async def close(self) -> None:
        """Close every connection."""
        for opening in self._opening.values():
            opening.cancel()
        for conns in self._open.values():
            for conn in conns:
                conn.close()
        self._open.clear()

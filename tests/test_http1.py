"""The hooks' HTTP/1.1 client (server/hooks/http1.py) against real servers on 127.0.0.1:
kept-alive connections, answers of every framing, and each way a request can fail."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from imkit_tui.server.hooks.http1 import WAYS_KEPT, HttpClient, HttpFailure, parse_target

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def backend(handler: Handler, **runner: object) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 answering every POST with `handler`; its URL."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    app_runner = web.AppRunner(app, access_log=None, **runner)  # type: ignore[arg-type]
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    port = app_runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await app_runner.cleanup()


@contextlib.asynccontextmanager
async def raw_server(answer: bytes, *, close: bool = False) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that writes `answer` to each request it reads."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(answer)
        await writer.drain()
        if close:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def test_requests_share_one_kept_connection() -> None:
    peers: list[object] = []
    bodies: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        bodies.append(await request.read())
        return web.json_response({"code": 200, "query": request.query_string})

    async with backend(handler) as url:
        client = HttpClient(timeout=5)
        try:
            for i in range(5):
                answer = await client.post(f"{url}/route?a=1", f"n={i}".encode(), "text/plain")
                assert answer.status == 200
                assert b'"query": "a=1"' in answer.body
        finally:
            await client.close()
    assert bodies == [f"n={i}".encode() for i in range(5)]
    assert len(set(peers)) == 1


async def test_the_urls_a_client_keeps_are_bounded() -> None:
    """Every distinct URL is parsed once and kept, but no more than WAYS_KEPT of them:
    a server posting to many backends (public accounts' own) does not grow for ever."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"path": request.path})

    async with backend(handler) as url:
        client = HttpClient(timeout=5)
        try:
            for i in range(WAYS_KEPT + 50):
                answer = await client.post(f"{url}/account/{i}", b"", "text/plain")
                assert answer.body == f'{{"path": "/account/{i}"}}'.encode()
            assert len(client._ways) == WAYS_KEPT
        finally:
            await client.close()


async def test_pipelined_answers_reach_their_own_requests() -> None:
    peers: set[object] = set()

    async def handler(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.read()
        await asyncio.sleep(0.001 * (int(body) % 3))  # answers take different times
        return web.Response(body=b"echo " + body)

    async with backend(handler) as url:
        client = HttpClient(timeout=5, depth=16, connections=2)
        try:
            answers = await asyncio.gather(
                *(client.post(url, str(i).encode(), "text/plain") for i in range(100))
            )
        finally:
            await client.close()
    assert [a.body for a in answers] == [f"echo {i}".encode() for i in range(100)]
    assert len(peers) <= 2


async def test_a_chunked_answer_is_read_whole() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"al", b"pha", b"bet"):
            await response.write(part)
        await response.write_eof()
        return response

    async with backend(handler) as url:
        client = HttpClient(timeout=5)
        try:
            first = await client.post(url, b"", "text/plain")
            second = await client.post(url, b"", "text/plain")
        finally:
            await client.close()
    assert first.body == second.body == b"alphabet"


async def test_a_connection_the_backend_closed_is_not_reused() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async with backend(handler, keepalive_timeout=0.05) as url:
        client = HttpClient(timeout=5)
        try:
            assert (await client.post(url, b"1", "text/plain")).body == b"ok"
            await asyncio.sleep(0.3)  # the backend drops the idle connection
            assert (await client.post(url, b"2", "text/plain")).body == b"ok"
        finally:
            await client.close()


async def test_an_answer_with_connection_close_ends_the_connection() -> None:
    answer = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    async with raw_server(answer, close=True) as url:
        client = HttpClient(timeout=5)
        try:
            for _ in range(3):
                got = await client.post(url, b"x", "text/plain")
                assert (got.status, got.body) == (202, b"ok")
        finally:
            await client.close()


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"this is not http\r\n\r\n", "malformed"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n" + b"x" * 2_000_000, "too big"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "lost"),
    ],
    ids=["malformed", "too-big", "cut-short"],
)
async def test_a_bad_answer_fails_the_request(answer: bytes, why: str) -> None:
    async with raw_server(answer, close=True) as url:
        client = HttpClient(timeout=5)
        try:
            with pytest.raises(HttpFailure, match=why):
                await client.post(url, b"x", "text/plain")
        finally:
            await client.close()


async def test_a_backend_that_does_not_answer_fails_in_time() -> None:
    async with raw_server(b"") as url:  # reads the request, answers nothing
        client = HttpClient(timeout=0.2)
        try:
            with pytest.raises(HttpFailure, match=r"no answer within 0\.2 s"):
                await client.post(url, b"x", "text/plain")
        finally:
            await client.close()


async def test_a_request_may_ask_for_less_time_than_the_client_gives() -> None:
    async with raw_server(b"") as url:
        client = HttpClient(timeout=0.2)
        try:
            with pytest.raises(HttpFailure, match=r"no answer within 0\.05 s"):
                await client.post(url, b"x", "text/plain", timeout=0.05)
            with pytest.raises(HttpFailure, match=r"no answer within 0\.2 s"):
                await client.post(url, b"x", "text/plain", timeout=30)
        finally:
            await client.close()


async def test_an_answer_too_late_is_not_the_next_requests() -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        if body == b"slow":
            await asyncio.sleep(0.3)
        return web.Response(body=b"answer to " + body)

    async with backend(handler) as url:
        client = HttpClient(timeout=5)
        try:
            with pytest.raises(HttpFailure, match="no answer within"):
                await client.post(url, b"slow", "text/plain", timeout=0.05)
            assert (await client.post(url, b"next", "text/plain")).body == b"answer to next"
        finally:
            await client.close()


async def test_a_backend_that_is_not_there_fails_clearly() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = HttpClient(timeout=5)
    with pytest.raises(HttpFailure, match=f"cannot reach 127.0.0.1:{port}"):
        await client.post(f"http://127.0.0.1:{port}/x", b"x", "text/plain")


def test_only_http_urls_are_targets() -> None:
    target = parse_target("https://example.org/hook?x=1")
    assert (target.scheme, target.host, target.port, target.path, target.host_header) == (
        "https",
        "example.org",
        443,
        "/hook?x=1",
        "example.org",
    )
    assert parse_target("http://h:8080").host_header == "h:8080"
    for bad in ("ftp://h/x", "json://h/x", "http:///nohost"):
        with pytest.raises(ValueError, match="not an http"):
            parse_target(bad)

"""A local app backend for the hooks' tests: an aiohttp server on 127.0.0.1 (port 0)
that checks each request's signature, records what it received, and can be down."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from imkit_tui.server.api.signing import sign


@dataclass
class Received:
    """One request the backend took: its path and its form or JSON body."""

    path: str
    form: dict[str, str]
    body: Any


@dataclass
class Backend:
    """What the backend received (`got`, in arrival order); while `down`, every request
    is answered 503 (and counted in `refused`). Requests to /push* are Apprise's
    (json://), which signs nothing."""

    secret: str
    url: str = ""
    down: bool = False
    got: list[Received] = field(default_factory=list)
    refused: int = 0
    bad_signatures: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    answer: Callable[[Received], Awaitable[Any]] | None = None
    """What to answer (JSON) instead of {"code": 200}."""

    def at(self, path: str) -> str:
        """The URL of `path` on this backend."""
        return f"{self.url}{path}"

    def bodies(self, path: str) -> list[Received]:
        """What arrived at `path`."""
        return [r for r in self.got if r.path == path]

    async def until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `check()` holds, looking again after each arrival."""
        async with asyncio.timeout(timeout):
            while not check():
                self.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), 0.2)

    async def _handle(self, request: web.Request) -> web.Response:
        query = request.query
        expected = sign(self.secret, query.get("nonce", ""), query.get("timestamp", ""))
        if query.get("signature") != expected and not request.path.startswith("/push"):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.down:
            self.refused += 1
            return web.Response(status=503)
        if request.content_type == "application/json":
            received = Received(request.path, {}, await request.json())
        else:
            form = {k: str(v) for k, v in (await request.post()).items()}
            received = Received(request.path, form, None)
        self.got.append(received)
        self.arrived.set()
        if self.answer is not None:
            return web.json_response(await self.answer(received))
        return web.json_response({"code": 200})


@contextlib.asynccontextmanager
async def running_backend(secret: str) -> AsyncIterator[Backend]:
    """A backend on 127.0.0.1 (a free port), checking signatures made with `secret`."""
    backend = Backend(secret)
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", backend._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    backend.url = f"http://127.0.0.1:{port}"
    try:
        yield backend
    finally:
        await runner.cleanup()


def forms(received: list[Received]) -> list[dict[str, str]]:
    """The forms of `received`."""
    return [r.form for r in received]


def as_json(text: str) -> Any:
    """`text` decoded as JSON."""
    return json.loads(text)

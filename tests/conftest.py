"""Fixtures: a real server on 127.0.0.1 (port 0) and real clients with real stores."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from imkit_tui.core import Backoff, IMClient
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.token_versions import read_version
from tests.processes import start_server, token
from tests.wire import WireClient

FAST_BACKOFF = Backoff(base=0.05, cap=0.5)


class ServerHandle:
    """A running in-process server, restartable on the same port and data dir."""

    def __init__(self, data_dir: Path, **overrides: object) -> None:
        self.data_dir = data_dir
        self.overrides: dict[str, object] = {
            "rate_per_second": 100_000.0,
            "rate_burst": 100_000,
            **overrides,
        }
        self.server: IMServer | None = None
        self.port = 0

    async def start(self) -> IMServer:
        config = ServerConfig(data_dir=self.data_dir, port=self.port, **self.overrides)  # type: ignore[arg-type]
        self.server = IMServer(config)
        await self.server.start()
        self.port = self.server.port
        return self.server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def token(self, user: str, ttl: int | None = None) -> str:
        secret = load_or_create_secret(self.data_dir)
        version = read_version(self.data_dir / "server.db", user)
        return issue_token(secret, user, ttl, version=version)

    async def login(self, user: str, device: str = "wire") -> WireClient:
        """A raw protocol connection logged in as `user`."""
        return await WireClient.login(self.url, self.token(user), device)


async def until_client(
    client: IMClient, check: Callable[[], Awaitable[bool]], timeout: float = 10.0
) -> None:
    """Wait until `check()` holds, looking again after each of `client`'s events."""
    with client.subscribe() as events:
        async with asyncio.timeout(timeout):
            while not await check():
                await events.next()


@contextlib.asynccontextmanager
async def running_server(data_dir: Path, **overrides: object) -> AsyncIterator[ServerHandle]:
    """A started server on `data_dir` (with `overrides` of its config), stopped after."""
    handle = ServerHandle(data_dir, **overrides)
    await handle.start()
    try:
        yield handle
    finally:
        async with asyncio.timeout(15):
            await handle.stop()


@pytest.fixture
async def server_handle(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    async with running_server(tmp_path / "server") as handle:
        yield handle


ClientFactory = Callable[..., Awaitable[IMClient]]


@pytest.fixture
async def make_client(server_handle: ServerHandle, tmp_path: Path) -> AsyncIterator[ClientFactory]:
    """Start a client for a user (and device); every client is closed after the test."""
    clients: list[IMClient] = []

    async def factory(user: str, device: str = "main", *, wait: bool = True) -> IMClient:
        client = IMClient(
            server_url=server_handle.url,
            token=server_handle.token(user),
            store_path=tmp_path / "clients" / user / device / "store.db",
            device=device,
            backoff=FAST_BACKOFF,
            request_timeout=5.0,
        )
        clients.append(client)
        await client.start()
        if wait:
            await client.wait_synced(timeout=10)
        return client

    try:
        yield factory
    finally:
        async with asyncio.timeout(15):
            await asyncio.gather(*(c.close() for c in clients))


class Cluster:
    """One `imkit serve` process and its data dir, shared by the tests of a module."""

    def __init__(self, data: Path, url: str) -> None:
        self.data = data
        self.url = url

    def token(self, user: str) -> str:
        return token(self.data, user)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A server process for the command-line tests of one module."""
    data = tmp_path_factory.mktemp("cli") / "server"
    process, url = start_server(data)
    try:
        yield Cluster(data, url)
    finally:
        process.terminate()
        process.wait(10)


_LEFTOVER_THREAD_GRACE_SECONDS = 60.0


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run even when a test left a non-daemon thread waiting forever.

    Python waits for every non-daemon thread before it exits, so one stuck thread
    would hold the whole run until CI's limit. A daemon watchdog outlives pytest by a
    grace period; if the process is still here then, it names the threads on stderr
    and ends the process with a failing status.
    """

    def watchdog() -> None:
        time.sleep(_LEFTOVER_THREAD_GRACE_SECONDS)
        stuck = [t.name for t in threading.enumerate() if not t.daemon]
        sys.stderr.write(f"the run did not end; threads still running: {', '.join(stuck)}\n")
        sys.stderr.flush()
        os._exit(3)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()

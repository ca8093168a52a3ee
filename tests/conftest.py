"""Fixtures: a real server on 127.0.0.1 (port 0) and real clients with real stores."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
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
from imkit_tui.server.store import ServerStore
from imkit_tui.server.token_versions import read_version
from tests.processes import start_server, token
from tests.services import drop_schemas, pg_execute, token_version
from tests.store_choice import choose, store_url_for
from tests.wire import WireClient

FAST_BACKOFF = Backoff(base=0.05, cap=0.5)

STORES = ("sqlite", "postgresql")
"""The stores a server can run on; the modules below run each test on both."""
BOTH_STORES = frozenset(
    {
        "test_server",
        "test_cli",
        "test_cli_edits",
        "test_cli_honesty",
        "test_cli_config",
        "test_chatroom_client",
        "test_customer_service_client",
        "test_privacy_server",
        "test_client",
        "test_conversation_state",
        "test_targeted",
        "test_groups",
        "test_file_access",
        "test_sync_many",
        "test_recall_delete",
        "test_read_state",
        "test_group_receipts",
        "test_history_changes",
        "test_tokens",
        "test_sync_expiry",
        "test_private_files",
        "test_poison",
        "test_wire_bounds",
        "test_media_transfer",
        "test_budgets",
        "test_authorization",
        "test_fuzz",
        "test_api_history",
        "test_api_sensitive",
        "test_privacy_client",
        "test_api_messages",
        "test_api_groups",
        "test_api_users",
        "test_profiles",
        "test_chatrooms",
        "test_api_chatrooms",
        "test_customer_service_server",
        "test_hooks_routing",
        "test_hooks_push",
        "test_hooks_moderation",
        "test_ultra_pushes",
        "test_ultra_server",
        "test_ultra_client",
        "test_api_ultra",
        "test_public_service",
        "test_public_client",
        "test_group_departures",
        "test_group_names",
        "test_hooks_stop",
        "test_api_cli",
        "test_cli_profile",
        "test_public_cli",
        "test_cli_privacy",
        "test_cli_chatroom",
        "test_cli_ultra",
        "test_cli_customer_service",
        "test_mentions",
        "test_search",
        "test_server_group_commit",
        "test_hooks_durable",
        "test_hooks_router",
        "test_faults",
    }
)
"""The server-level modules whose tests run on both stores (the rest on SQLite)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of BOTH_STORES modules once per store (`store_kind`): all of a
    module's tests on one store, then on the other, so that a module's shared server
    (a module-scoped fixture asking for `module_store`) runs on the store of its tests."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "module_store" in metafunc.fixturenames and module in BOTH_STORES:
        metafunc.parametrize("module_store", STORES, indirect=True, scope="module")


@pytest.fixture(scope="module")
def module_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store this module's servers run on now: "sqlite" unless parametrised."""
    kind = str(getattr(request, "param", "sqlite"))
    choose(kind)
    try:
        yield kind
    finally:
        choose("sqlite")


@pytest.fixture(autouse=True)
def store_kind(module_store: str, request: pytest.FixtureRequest) -> str:
    """The store the servers of this test run on: "sqlite" unless parametrised. A test
    marked `sqlite_only(reason)` (about SQLite itself) is skipped on PostgreSQL."""
    marker = request.node.get_closest_marker("sqlite_only")
    if marker is not None and module_store != "sqlite":
        pytest.skip(str(marker.kwargs.get("reason") or marker.args[0]))
    return module_store


class ServerHandle:
    """A running in-process server, restartable on the same port and data dir."""

    def __init__(self, data_dir: Path, **overrides: object) -> None:
        self.data_dir = data_dir
        self.overrides: dict[str, object] = {
            "rate_per_second": 100_000.0,
            "rate_burst": 100_000,
            **overrides,
        }
        store_url = store_url_for(data_dir) if "store_url" not in overrides else ""
        if store_url:
            self.overrides.update(store_url=store_url, migrate_store=True)
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
        store_url = str(self.overrides.get("store_url", ""))
        version = (
            token_version(store_url, user)
            if store_url
            else read_version(self.data_dir / "server.db", user)
        )
        return issue_token(secret, user, ttl, version=version)

    @property
    def store_args(self) -> list[str]:
        """`imkit token`'s arguments naming this server's store, when not in its data dir."""
        store_url = str(self.overrides.get("store_url", ""))
        return ["--store", store_url] if store_url else []

    def alter_store(self, sqlite_sql: str, postgres_sql: str, *args: object) -> None:
        """Change the server's store behind its back (a test's doing): `sqlite_sql` (with
        ? marks) on SQLite, `postgres_sql` (with $n marks) on PostgreSQL."""
        store_url = str(self.overrides.get("store_url", ""))
        if store_url:
            pg_execute(store_url, postgres_sql, *args)
            return
        with sqlite3.connect(self.data_dir / "server.db") as conn:
            conn.execute(sqlite_sql, args)

    async def stored_rows(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of `sql` (no parameters) read from the running server's store, whichever
        it is."""
        assert self.server is not None and self.server.store is not None
        store = self.server.store
        if isinstance(store, ServerStore):
            return [tuple(row) for row in await store._reader.fetch_all(sql, ())]
        return [tuple(row) for row in await store._pool.fetch(sql)]

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
def cluster(tmp_path_factory: pytest.TempPathFactory, module_store: str) -> Iterator[Cluster]:
    """A server process for the command-line tests of one module."""
    data = tmp_path_factory.mktemp("cli") / "server"
    process, url = start_server(data)
    try:
        yield Cluster(data, url)
    finally:
        process.terminate()
        process.wait(10)


_LEFTOVER_THREAD_GRACE_SECONDS = 60.0


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker more than the cores. The suite waits on servers, real
    terminals and subprocesses much of the time, and with one worker a core a worker
    sleeping in a terminal test leaves its core idle (on two cores: 12 minutes, not
    14.5). PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the PostgreSQL schemas the run made."""
    drop_schemas()


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run even when a test left a non-daemon thread waiting forever.

    Python waits for every non-daemon thread before it exits, so one stuck thread
    would hold the whole run until CI's limit. A daemon watchdog outlives pytest by a
    grace period; if the process is still here then, it names the threads on stderr
    and ends the process with a failing status.
    """

    def watchdog() -> None:
        time.sleep(_LEFTOVER_THREAD_GRACE_SECONDS)
        main = threading.main_thread()
        stuck = [t.name for t in threading.enumerate() if not t.daemon and t is not main]
        if not stuck:  # only the main thread: an xdist worker waiting for the others
            return
        sys.stderr.write(f"the run did not end; threads still running: {', '.join(stuck)}\n")
        sys.stderr.flush()
        os._exit(3)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()

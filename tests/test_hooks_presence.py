"""Who is online across nodes and who sends the hooks' queue, on a real PostgreSQL
store: the sender's lock is held by one lease at a time and freed with its session; a
node's presence rows count only while its lease lives; the sending node reports each
change once, from every node's rows. (The two-node processes: test_cluster_hooks.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from imkit_tui.server.hooks.forms import LOGOUT, OFFLINE, ONLINE
from imkit_tui.server.hooks.lease import Lease
from imkit_tui.server.hooks.presence import ClusterPresence
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.hooks.status import report_of
from imkit_tui.server.pg.store import PostgresStore
from tests.api_client import running_api
from tests.cluster_nodes import until
from tests.conftest import running_server
from tests.services import fresh_schema_url, need, postgres_missing

WINDOW_MS = 100


def test_a_status_is_reported_when_it_changed() -> None:
    assert report_of(OFFLINE, True, False) == ONLINE
    assert report_of(ONLINE, True, True) is None  # another device is still on
    assert report_of(ONLINE, False, False) == OFFLINE
    assert report_of(ONLINE, False, True) == LOGOUT
    assert report_of(OFFLINE, False, False) is None  # back and gone within the window


@pytest.fixture
async def store_url() -> AsyncIterator[str]:
    need(postgres_missing())
    yield fresh_schema_url()


async def test_one_lease_sends_at_a_time_and_a_dead_ones_lock_is_free(store_url: str) -> None:
    store = await PostgresStore.open(store_url, migrate_schema=True)
    first, second = Lease(store_url), Lease(store_url)
    try:
        await first.connect()
        await second.connect()
        assert first.node != second.node and first.space == second.space
        assert await first.try_lead()
        assert not await second.try_lead()
        first.drop()  # its session ends, as when its process is killed
        await until(second.try_lead, timeout=10)  # once the server has ended it
        assert second.leading
    finally:
        await first.close()
        await second.close()
        await store.close()


async def _reports(store_url: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(store_url)
    try:
        rows = await conn.fetch("SELECT body FROM hook_outbox WHERE lane = 'status' ORDER BY id")
    finally:
        await conn.close()
    return [(i["userid"], i["status"]) for r in rows for i in json.loads(r[0])]


async def test_presence_is_every_live_nodes_and_each_change_is_reported_once(
    store_url: str,
) -> None:
    store = await PostgresStore.open(store_url, migrate_schema=True)
    on_a: dict[str, int] = {}
    on_b: dict[str, int] = {}
    lease_a, lease_b = Lease(store_url), Lease(store_url)
    await lease_a.connect()
    await lease_b.connect()
    a = ClusterPresence(store._writer, store._pool, lease_a, lambda u: on_a.get(u, 0), WINDOW_MS)
    b = ClusterPresence(store._writer, store._pool, lease_b, lambda u: on_b.get(u, 0), WINDOW_MS)

    async def write(conn: asyncpg.Connection, body: str) -> None:
        await conn.execute(
            "INSERT INTO hook_outbox(lane, kind, body, created_at)"
            " VALUES ('status', 'status', $1, 0)",
            body,
        )

    async def settled() -> None:
        """What `changed` queued (never awaited) is committed."""

        async def nothing(conn: asyncpg.Connection) -> None:
            return None

        await store._writer.submit(nothing)

    try:
        await a.register([], 0)
        await b.register([], 0)
        on_a["bob"] = 1
        a.changed("bob", "phone", 1000)
        on_b["bob"] = 1
        b.changed("bob", "desk", 1001)
        await settled()
        await b.report_due(999, write)  # not due yet
        assert await b.online(["bob", "carol"]) == {"bob"}
        assert await a.online(["bob"]) == {"bob"}
        await b.report_due(1000 + WINDOW_MS + 1, write)
        assert await _reports(store_url) == [("bob", ONLINE)]

        on_b["bob"] = 0
        b.changed("bob", "desk", 2000, logout=True)  # still online on a
        await settled()
        await b.report_due(2000 + WINDOW_MS + 1, write)
        assert await _reports(store_url) == [("bob", ONLINE)]
        assert await b.online(["bob"]) == {"bob"}

        lease_a.drop()  # node a dies: bob is online nowhere

        async def gone() -> bool:
            return not await b.online(["bob"])

        await until(gone, timeout=10)
        assert await b.online(["bob"]) == set()
        await b.sweep(3000)  # marks a's users
        await b.report_due(3000 + WINDOW_MS + 1, write)
        await b.report_due(4000 + WINDOW_MS + 1, write)  # nothing new
        assert await _reports(store_url) == [("bob", ONLINE), ("bob", OFFLINE)]
    finally:
        await lease_a.close()
        await lease_b.close()
        await store.close()


async def test_check_online_answers_for_the_devices_of_every_node(
    store_url: str, tmp_path: Path
) -> None:
    """Two nodes in one process on one store, hooks on both: the Server API of one
    answers for a device on the other."""
    shared = {"store_url": store_url, "migrate_store": True}
    async with (
        running_server(tmp_path / "a", **shared) as a,
        running_api(tmp_path / "b", **shared) as b,
    ):
        assert a.server is not None and b.handle.server is not None
        hooks = [await start_hooks(s, HooksConfig(push=True)) for s in (a.server, b.handle.server)]
        try:

            async def status() -> str:
                answer = await b.client.ok("/user/checkOnline.json", {"userId": "bob"})
                return str(answer["status"])

            assert await status() == "0"
            bob = await a.login("bob")
            assert await _until(status, "1")
            await bob.close()
            assert await _until(status, "0")
        finally:
            for started in hooks:
                await started.stop()


async def _until(read: Callable[[], Awaitable[str]], wanted: str) -> bool:
    """Whether `read()` says `wanted` within a few seconds."""
    for _ in range(100):
        if await read() == wanted:
            return True
        await asyncio.sleep(0.05)
    return False

"""The router process: routed messages leave from a process of their own, read from
rows written in the messages' own transactions, one row per transaction. On both stores:
on PostgreSQL the node that sends the queue runs it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.protocol import SendAck
from imkit_tui.server import IMServer
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.routed_batch import ENTRY_BITS
from imkit_tui.server.hooks.router_progress import Progress
from imkit_tui.server.hooks.router_rows import APPLICATION_NAME
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.routing import _private_route
from tests.backend import Backend, running_backend
from tests.conftest import ServerHandle, running_server
from tests.services import pg_execute, pg_fetchval
from tests.store_choice import known_store_url
from tests.test_hooks_durable import nth_text, waiting_rows
from tests.test_hooks_routing import FAST, hooked
from tests.test_server_history_cost import Steps
from tests.wire import WireClient


def contents_to(backend: Backend, peer: str) -> list[str]:
    """The texts routed to `peer`, in arrival order."""
    return [
        json.loads(r.form["content"])["content"]
        for r in backend.bodies("/route")
        if r.form["toUserId"] == peer
    ]


@contextlib.asynccontextmanager
async def served(data: Path) -> AsyncIterator[tuple[ServerHandle, IMServer, Backend]]:
    """A server on `data` (no hooks started), and a backend that checks its signatures."""
    async with (
        running_server(data) as handle,
        running_backend(load_or_create(data, environ={}).app_secret) as backend,
    ):
        assert handle.server is not None
        yield handle, handle.server, backend


def on_store(data: Path, sqlite_sql: str, pg_sql: str, *args: object) -> None:
    """Run `sqlite_sql` or `pg_sql` (with `args`) on the store of the server on `data`,
    whichever it is, from this process."""
    store_url = known_store_url(data)
    if store_url:
        pg_execute(store_url, pg_sql, *args)
        return
    with sqlite3.connect(data / "server.db") as conn:
        conn.execute(sqlite_sql, args)


async def pipelined(client: WireClient, sender: str, count: int) -> None:
    """Send `count` texts from `sender` to bob and carol in turn without waiting, then
    every ack."""
    for i in range(count):
        await client.send_frame(nth_text(sender, i))
    acks = 0
    while acks < count:
        if isinstance(await client.recv(), SendAck):
            acks += 1


async def test_a_transactions_messages_share_a_row_and_keep_their_order(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        h.backend.down = True
        senders = ["alice", "dave", "erin"]
        clients = [await h.handle.login(user) for user in senders]
        await asyncio.gather(*(pipelined(c, u, 60) for c, u in zip(clients, senders, strict=True)))
        await h.backend.until(lambda: h.hooks.sender.waiting == 180)
        rows = waiting_rows(h.handle.data_dir)
        assert 0 < rows < 180, "messages stored together were not routed by one row"
        h.backend.down = False
        await h.backend.until(lambda: h.hooks.sender.waiting == 0)
        for peer, parity in (("bob", 1), ("carol", 0)):
            seen = contents_to(h.backend, peer)
            for user in senders:
                mine = [text for text in seen if text.startswith(f"{user} ")]
                assert mine == [f"{user} {i}" for i in range(60) if i % 2 == parity]
        await h.backend.until(lambda: waiting_rows(h.handle.data_dir) == 0)
        for client in clients:
            await client.close()


async def test_a_killed_router_is_started_again_and_loses_nothing(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        router = h.hooks.router
        assert router is not None and router.pid is not None
        h.backend.down = True
        alice = await h.handle.login("alice")
        for i in range(20):
            assert isinstance(await alice.send_text("bob", str(i), cmid=f"m{i}"), SendAck)
        await h.backend.until(lambda: h.backend.refused >= 2 and h.hooks.sender.waiting == 20)
        os.kill(router.pid, signal.SIGKILL)
        await h.backend.until(lambda: router.starts == 2, timeout=15)
        h.backend.down = False
        await h.backend.until(lambda: h.hooks.sender.waiting == 0 and router.delivered == 20)
        assert contents_to(h.backend, "bob") == [str(i) for i in range(20)]
        await alice.close()


async def test_a_router_cut_from_its_database_is_started_again_and_loses_nothing(
    tmp_path: Path, store_kind: str
) -> None:
    """PostgreSQL: the router's own connection to the store is ended by the database
    (a restart, an operator): the router ends, is started again and sends every row."""
    if store_kind != "postgresql":
        pytest.skip("the router reads SQLite from a file, not over a connection")
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        router = h.hooks.router
        assert router is not None and router.pid is not None
        h.backend.down = True
        alice = await h.handle.login("alice")
        for i in range(10):
            assert isinstance(await alice.send_text("bob", str(i), cmid=f"m{i}"), SendAck)
        await h.backend.until(lambda: h.hooks.sender.waiting == 10 and router.reports > 0)
        cut = pg_fetchval(
            known_store_url(h.handle.data_dir),
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            f"{APPLICATION_NAME} {router.pid}",
        )
        assert cut == 1
        await h.backend.until(lambda: router.starts == 2, timeout=15)
        for i in range(10, 20):
            assert isinstance(await alice.send_text("bob", str(i), cmid=f"m{i}"), SendAck)
        h.backend.down = False
        await h.backend.until(lambda: h.hooks.sender.waiting == 0 and router.delivered >= 20)
        assert list(dict.fromkeys(contents_to(h.backend, "bob"))) == [str(i) for i in range(20)]
        await alice.close()


async def test_a_clean_stop_routes_nothing_twice(tmp_path: Path) -> None:
    """Stopping waits for the router's last word: the rows of what it delivered are
    deleted, so the next start sends none of them again."""
    data = tmp_path / "server"
    async with served(data) as (handle, server, backend):
        config = replace(FAST, routing_url=backend.at("/route"))
        alice = await handle.login("alice")
        for round_ in range(2):
            hooks = await start_hooks(server, config)
            for i in range(10):
                await alice.send_text("bob", f"{round_}.{i}", cmid=f"m{round_}.{i}")
            expected = 10 * (round_ + 1)
            await backend.until(lambda: len(backend.got) == expected)  # noqa: B023 - awaited here
            await hooks.stop()
            assert waiting_rows(data) == 0
        await asyncio.sleep(0.3)
        assert [r.form["msgUID"] for r in backend.got] == list(
            dict.fromkeys(r.form["msgUID"] for r in backend.got)
        )
        await alice.close()


async def test_rows_kept_while_routing_is_off_are_let_go(tmp_path: Path) -> None:
    data = tmp_path / "server"
    async with served(data) as (handle, server, backend):
        backend.down = True
        hooks = await start_hooks(server, replace(FAST, routing_url=backend.at("/route")))
        alice = await handle.login("alice")
        await alice.send_text("bob", "kept", cmid="k")
        await backend.until(lambda: waiting_rows(data) == 1)
        await hooks.stop()
        hooks = await start_hooks(server, replace(FAST, status_url=backend.at("/status")))
        assert hooks.router is None
        assert waiting_rows(data) == 0
        await hooks.stop()
        await alice.close()


async def test_a_queue_that_cannot_be_written_fails_no_message(tmp_path: Path) -> None:
    """A routing row that cannot be written never fails its message: the message is
    stored and acknowledged, and routing goes on once the queue can be written."""
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        data = h.handle.data_dir
        on_store(
            data,
            "CREATE TRIGGER refuse BEFORE INSERT ON hook_outbox"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END",
            "CREATE FUNCTION refuse() RETURNS trigger AS $$"
            " BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql;"
            " CREATE TRIGGER refuse BEFORE INSERT ON hook_outbox"
            " FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        alice = await h.handle.login("alice")
        assert isinstance(await alice.send_text("bob", "stored", cmid="s"), SendAck)
        on_store(data, "DROP TRIGGER refuse", "DROP TRIGGER refuse ON hook_outbox")
        assert isinstance(await alice.send_text("bob", "routed", cmid="r"), SendAck)
        await h.backend.until(lambda: "routed" in contents_to(h.backend, "bob"))
        await alice.close()


def test_the_watermark_passes_only_rows_done_with() -> None:
    progress = Progress()
    progress.read(3, 2)
    progress.read(5, 0)  # a row that could not be read: nothing to send
    progress.read(7, 1)
    assert (progress.cursor, progress.watermark) == (7, 2)
    progress.done([7 << ENTRY_BITS])
    assert progress.watermark == 2  # row 3 still waits
    progress.done([3 << ENTRY_BITS | 1, 3 << ENTRY_BITS])
    assert progress.watermark == 7
    with pytest.raises(ValueError, match="read after"):
        progress.read(6, 1)
    with pytest.raises(ValueError, match="not read"):
        progress.done([3 << ENTRY_BITS])


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=30), st.randoms())
def test_the_watermark_is_the_highest_row_below_which_all_is_done(
    sizes: list[int], rng: random.Random
) -> None:
    progress = Progress()
    rows = [(index * 2 + 1, size) for index, size in enumerate(sizes)]
    entries = [row << ENTRY_BITS | i for row, size in rows for i in range(size)]
    for row, size in rows:
        progress.read(row, size)
    rng.shuffle(entries)
    done: set[int] = set()
    for entry in entries:
        progress.done([entry])
        done.add(entry)
        open_rows = [r for r, s in rows if any(r << ENTRY_BITS | i not in done for i in range(s))]
        assert progress.watermark == (open_rows[0] - 1 if open_rows else rows[-1][0])


async def test_rows_kept_by_an_earlier_version_are_routed_first(tmp_path: Path) -> None:
    """A routing row an earlier version kept (its form, kind `route`; or its values,
    kind `routed`) is sent by the router, in order before what is stored after it."""
    data = tmp_path / "server"
    async with served(data) as (handle, server, backend):
        form = urlencode({"fromUserId": "alice", "toUserId": "bob", "content": '{"content":"old"}'})
        values = ["alice", "bob", "RC:TxtMsg", '{"content":"older"}', "PERSON", "1", "u1", "0"]
        lane = _private_route("alice", "bob").conv_key
        for kind, body in (("route", form), ("routed", json.dumps([*values, "PC", "", ""]))):
            on_store(
                data,
                "INSERT INTO hook_outbox(lane, kind, body, created_at) VALUES (?, ?, ?, 0)",
                "INSERT INTO hook_outbox(lane, kind, body, created_at) VALUES ($1, $2, $3, 0)",
                lane,
                kind,
                body,
            )
        hooks = await start_hooks(server, replace(FAST, routing_url=backend.at("/route")))
        alice = await handle.login("alice")
        await alice.send_text("bob", "new", cmid="n")
        await backend.until(lambda: len(backend.got) == 3)
        assert contents_to(backend, "bob") == ["old", "older", "new"]
        await hooks.stop()
        assert waiting_rows(data) == 0
        await alice.close()


async def _steps_of_a_routed_send(data: Path, waiting: int) -> int:
    """The server's SQLite steps for one routed send and its push, with `waiting`
    routed messages already waiting in the queue (the backend is down)."""
    async with served(data) as (handle, server, backend):
        backend.down = True
        values = ["alice", "bob", "RC:TxtMsg", '{"content":"x"}', "PERSON", "1", "u", "0"]
        pair = ["lane", [*values, "PC", "", ""]]
        rows = [
            (row + 1, json.dumps([pair] * min(4000, waiting - row * 4000)))
            for row in range(-(-waiting // 4000))
        ]
        with sqlite3.connect(data / "server.db") as conn:
            conn.executemany(
                "INSERT INTO hook_outbox(id, lane, kind, body, created_at)"
                " VALUES (?, '', 'routed_batch', ?, 0)",
                rows,
            )
        hooks = await start_hooks(server, replace(FAST, routing_url=backend.at("/route")))
        alice, bob = await handle.login("alice"), await handle.login("bob")
        await alice.send_text("bob", "warm", cmid="warm")
        await bob.next_push()
        queue = hooks.sender
        await backend.until(lambda: queue.waiting + queue.dropped == waiting + 1, timeout=30)
        steps = Steps()
        await steps.attach(server)

        async def send() -> None:
            assert isinstance(await alice.send_text("bob", "hello", cmid="hello"), SendAck)
            await bob.next_push()

        count = await steps.of(send)
        await hooks.stop()
        await alice.close()
        await bob.close()
        return count


@pytest.mark.sqlite_only(reason="counts SQLite's steps (PostgreSQL: a transaction's routing row)")
async def test_a_routed_send_costs_the_same_behind_100_and_100_000_waiting(
    tmp_path: Path,
) -> None:
    small = await _steps_of_a_routed_send(tmp_path / "small", 100)
    large = await _steps_of_a_routed_send(tmp_path / "large", 100_000)
    assert 0 < large <= small * 1.1 + 20, (small, large)


async def test_what_is_stored_while_the_hooks_stop_is_routed_at_the_next_start(
    tmp_path: Path,
) -> None:
    """`imkit serve` stops its hooks before its server: a message stored in between
    keeps its routing row, and the next start routes it (once)."""
    data = tmp_path / "server"
    async with served(data) as (handle, server, backend):
        config = replace(FAST, routing_url=backend.at("/route"))
        hooks = await start_hooks(server, config)
        alice = await handle.login("alice")
        await alice.send_text("bob", "before", cmid="b")
        await backend.until(lambda: len(backend.got) == 1)
        await hooks.stop()
        assert isinstance(await alice.send_text("bob", "between", cmid="w"), SendAck)
        assert waiting_rows(data) == 1
        hooks = await start_hooks(server, config)
        await backend.until(lambda: len(backend.got) == 2)
        await alice.send_text("bob", "after", cmid="a")
        await backend.until(lambda: len(backend.got) == 3)
        await asyncio.sleep(0.2)
        assert contents_to(backend, "bob") == ["before", "between", "after"]
        await hooks.stop()
        await alice.close()

"""Message routing and status sync to a real local backend, from a real server."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from imkit_tui.protocol import ConversationType, ConvRef, SendAck, SendMessage
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.forms import LOGOUT, OFFLINE, ONLINE
from imkit_tui.server.hooks.hub import BackendHooks
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.routing import _private_route
from imkit_tui.server.store import ServerStore
from imkit_tui.server.store_records import NewMessage
from imkit_tui.server.stores import AnyStore
from tests.backend import Backend, running_backend
from tests.conftest import ServerHandle, running_server
from tests.processes import stored_count
from tests.services import pg_fetchval
from tests.test_hooks_durable import waiting_rows

FAST = HooksConfig(
    retry_base_seconds=0.02,
    retry_max_seconds=0.1,
    status_coalesce_seconds=0.2,
    push_coalesce_seconds=0.3,
    push_interval_seconds=5.0,
)


def committed_rows(handle: ServerHandle) -> tuple[int, int]:
    """How many messages and queue rows the server's store holds, read on a connection
    of another's (what is committed)."""
    store_url = str(handle.overrides.get("store_url", ""))
    if not store_url:
        return stored_count(handle.data_dir), waiting_rows(handle.data_dir)
    messages = pg_fetchval(store_url, "SELECT count(*) FROM messages")
    rows = pg_fetchval(store_url, "SELECT count(*) FROM hook_outbox")
    return int(str(messages)), int(str(rows))


async def written(store: AnyStore) -> None:
    """Wait until what the store's writer was given is committed."""
    if isinstance(store, ServerStore):
        await store._writer.flush()
        return

    async def nothing(conn: object) -> None:
        return None

    await store._writer.submit(nothing)


@dataclass
class Hooked:
    handle: ServerHandle
    backend: Backend
    hooks: BackendHooks


@contextlib.asynccontextmanager
async def hooked(data: Path, **settings: object) -> AsyncIterator[Hooked]:
    """A server whose hooks send to a local backend (`settings` name its paths)."""
    async with running_server(data) as handle:
        assert handle.server is not None
        secret = load_or_create(data, environ={}).app_secret
        async with running_backend(secret) as backend:
            urls = {
                k: backend.at(str(v)) if str(v).startswith("/") else v for k, v in settings.items()
            }
            hooks = await start_hooks(handle.server, replace(FAST, **urls))  # type: ignore[arg-type]
            try:
                yield Hooked(handle, backend, hooks)
            finally:
                await hooks.stop()


async def test_every_message_is_routed_in_order_with_the_service_fields(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        alice = await h.handle.login("alice")
        for i in range(20):
            for peer in ("bob", "carol"):
                ack = await alice.send_text(peer, f"{peer} {i}", cmid=f"{peer}-{i}")
                assert isinstance(ack, SendAck)
        await h.backend.until(lambda: len(h.backend.got) == 40)
        for peer in ("bob", "carol"):
            got = [r.form for r in h.backend.got if r.form["toUserId"] == peer]
            assert [json.loads(f["content"])["content"] for f in got] == [
                f"{peer} {i}" for i in range(20)
            ]
        first = h.backend.got[0].form
        assert first["fromUserId"] == "alice" and first["channelType"] == "PERSON"
        assert first["objectName"] == "RC:TxtMsg" and first["source"] == "PC"
        assert int(first["msgTimeStamp"]) > 0 and first["msgUID"]
        assert h.backend.bad_signatures == 0
        await alice.close()


async def test_group_messages_name_the_group_and_targeted_receivers(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        assert h.handle.server is not None
        await h.handle.server.create_group("g1", "G", "alice", ["bob", "carol"])
        alice = await h.handle.login("alice")
        conv = ConvRef(type=ConversationType.GROUP, target="g1")
        frame = SendMessage(
            conv=conv, object_name="RC:TxtMsg", content={"content": "psst"}, cmid="t1", to=["bob"]
        )
        assert isinstance(await alice.request(frame), SendAck)
        await h.backend.until(
            lambda: any(r.form["objectName"] == "RC:TxtMsg" for r in h.backend.got)
        )
        (text,) = [r.form for r in h.backend.got if r.form["objectName"] == "RC:TxtMsg"]
        assert (text["toUserId"], text["channelType"], text["groupUserIds"]) == (
            "g1",
            "GROUP",
            "bob",
        )
        notice = h.backend.got[0].form  # the "created" notice the server posted
        assert notice["objectName"] == "RC:GrpNtf" and notice["source"] == "Server"
        await alice.close()


async def test_types_and_kinds_not_configured_are_not_routed(tmp_path: Path) -> None:
    async with hooked(
        tmp_path / "server",
        routing_url="/route",
        routing_types=("RC:TxtMsg",),
        routing_conversations=("private",),
    ) as h:
        assert h.handle.server is not None
        await h.handle.server.create_group("g1", "G", "alice", ["bob"])
        alice = await h.handle.login("alice")
        group = ConvRef(type=ConversationType.GROUP, target="g1")
        await alice.send_text("", "to group", cmid="g", conv=group)
        await alice.send_text(
            "bob", "", cmid="i", object_name="RC:InfoNtf", content={"message": "x"}
        )
        await alice.send_text("bob", "routed", cmid="p")
        await h.backend.until(lambda: len(h.backend.got) >= 1)
        await alice.send_text("bob", "routed too", cmid="p2")
        await h.backend.until(lambda: len(h.backend.got) >= 2)
        contents = [json.loads(r.form["content"]).get("content") for r in h.backend.got]
        assert contents == ["routed", "routed too"]
        await alice.close()


async def test_an_outage_loses_nothing_and_keeps_the_order(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route") as h:
        h.backend.down = True
        alice = await h.handle.login("alice")
        for i in range(30):
            await alice.send_text("bob" if i % 2 else "carol", str(i), cmid=f"m{i}")
        # (on PostgreSQL the sending node takes the rows from the store as they commit)
        await h.backend.until(lambda: h.backend.refused >= 6 and h.hooks.sender.waiting == 30)
        h.backend.down = False
        await h.backend.until(lambda: h.hooks.sender.waiting == 0)
        for peer, parity in (("bob", 1), ("carol", 0)):
            seen = [
                json.loads(r.form["content"])["content"]
                for r in h.backend.got
                if r.form["toUserId"] == peer
            ]
            assert seen == [str(i) for i in range(30) if i % 2 == parity]
        await alice.close()


async def test_the_queue_is_bounded_and_counts_what_it_drops(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", routing_url="/route", queue_limit=5) as h:
        h.backend.down = True
        alice = await h.handle.login("alice")
        for i in range(12):
            await alice.send_text("bob", str(i), cmid=f"m{i}")
        await h.backend.until(lambda: h.hooks.sender.dropped >= 7)  # (taken as they commit)
        assert h.hooks.sender.waiting <= 5
        h.backend.down = False
        await h.backend.until(lambda: h.hooks.sender.waiting == 0)
        seen = [int(json.loads(r.form["content"])["content"]) for r in h.backend.got]
        assert seen == sorted(seen) and seen[-1] == 11 and len(seen) <= 5
        await alice.close()


async def test_status_is_reported_coalesced_and_matches_check_online(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", status_url="/status") as h:
        assert h.handle.server is not None
        alice = await h.handle.login("alice", device="laptop")
        await h.backend.until(lambda: len(h.backend.got) == 1)
        (item,) = h.backend.got[0].body
        assert (item["userid"], item["status"], item["os"]) == ("alice", ONLINE, "laptop")
        # a flap: out and back within the window is no report at all
        await alice.close()
        alice = await h.handle.login("alice", device="laptop")
        await h.backend.until(lambda: h.hooks._status.next_due() is None, timeout=5)
        assert len(h.backend.got) == 1
        assert h.handle.server.online_devices("alice") == 1
        await alice.close()  # the app closed its connection itself: logged out
        await h.backend.until(lambda: len(h.backend.got) == 2)
        (gone,) = h.backend.got[1].body
        assert gone["status"] == LOGOUT and h.handle.server.online_devices("alice") == 0
        bob = await h.handle.login("bob")
        await h.backend.until(lambda: len(h.backend.got) == 3)
        bob.ws.transport.abort()  # the connection is lost: offline
        await h.backend.until(lambda: len(h.backend.got) == 4)
        assert [r.body[0]["status"] for r in h.backend.got[2:]] == [ONLINE, OFFLINE]


async def test_a_routed_message_and_its_routing_row_commit_together(tmp_path: Path) -> None:
    """The row that routes a message is in the message's own transaction: when the
    message is committed its row is on disk too (read by another connection at the
    commit, before anything else can run), and a retry of it writes no second row."""
    data = tmp_path / "server"
    async with hooked(data, routing_url="/route") as h:
        h.backend.down = True
        store = h.handle.server.store if h.handle.server else None
        assert store is not None
        route = _private_route("alice", "bob")
        message = NewMessage(
            conv_type=route.conv_type,
            conv_key=route.conv_key,
            members=route.members,
            sender="alice",
            cmid="one",
            object_name="RC:TxtMsg",
            content_json='{"content":"hi"}',
            now_ms=1,
        )
        seen: list[tuple[int, int]] = []

        def at_commit(stored: object, error: BaseException | None) -> None:
            assert error is None
            seen.append(committed_rows(h.handle))

        for _ in range(2):  # the second is a retry (same client id)
            routed = h.hooks.routed(message, route, ConvRef.private("alice"), from_device=True)
            store.append_then(routed, at_commit)
            await written(store)
        assert seen == [(1, 1), (1, 1)]

"""The logs of acts in PostgreSQL (pg/act_log.py) with two servers in this process on
one store: a node that starts after a snapshot has the same rooms (and the same desk)
as the node that kept it, from the snapshot and the acts after it; an act refused
changes nothing anywhere; a node that stops is gone for the others. Needs PostgreSQL
(skipped without it)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from imkit_tui import messages
from imkit_tui.protocol import (
    AttrSet,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomJoin,
    ChatroomJoined,
    ConvRef,
    ProtocolError,
    SendAck,
    SendMessage,
)
from imkit_tui.server.app import IMServer
from imkit_tui.server.chatrooms.replica_state import full_snapshot
from imkit_tui.server.pg.act_log import PgActLog
from tests.cluster_nodes import until
from tests.conftest import running_server
from tests.cs_helpers import Inbox, server_overrides
from tests.services import fresh_schema_url, need, postgres_missing

ROOM = "hall"


def _log(server: IMServer | None) -> PgActLog:
    assert server is not None
    log = server.chatrooms.log
    assert isinstance(log, PgActLog)
    return log


async def _acts(store_url: str) -> int:
    conn = await asyncpg.connect(store_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM log_acts"))
    finally:
        await conn.close()


async def test_a_node_started_after_a_snapshot_has_the_same_rooms(tmp_path: Path) -> None:
    need(postgres_missing())
    store = {"store_url": fresh_schema_url(), "migrate_store": True}
    async with running_server(tmp_path / "one", **store) as first:
        alice, bob = await first.login("alice"), await first.login("bob")
        assert isinstance(await alice.request(ChatroomJoin(room=ROOM, create=True)), ChatroomJoined)
        assert isinstance(await bob.request(ChatroomJoin(room=ROOM)), ChatroomJoined)
        attrs = ChatroomAttrs(
            room=ROOM, op="set", set=[AttrSet(key="k", value="v", auto_delete=True)]
        )
        assert isinstance(await alice.request(attrs), ChatroomAttrState)
        hello = SendMessage(
            conv=ConvRef(type=4, target=ROOM),
            object_name="RC:TxtMsg",
            content={"content": "hi"},
            cmid="c1",
        )
        assert isinstance(await bob.request(hello), SendAck)
        live = first.server.chatrooms if first.server else None
        assert live is not None
        await live.act("gag", ROOM, ["bob"], 5)
        await live.act("types_add", ["app:Gift"])
        log = _log(first.server)
        log.snapshot_acts = 1
        await log.tick()
        assert await _acts(str(store["store_url"])) <= 1  # applied by every live node: gone
        await live.act("users_allow", ROOM, ["alice"])  # after the snapshot
        async with running_server(tmp_path / "two", **store) as second:
            assert second.server is not None
            other = second.server.chatrooms
            room = other.service.get(ROOM)
            assert list(room.members) == ["alice", "bob"]
            assert room.online == {"alice", "bob"}
            texts = [m.content for m in room.latest(10) if m.object_name == "RC:TxtMsg"]
            assert texts == [{"content": "hi"}]
            at = live.clock()
            assert full_snapshot(other, at) == full_snapshot(live, at)
            await bob.close()
            await alice.close()


async def test_a_refused_act_changes_nothing_and_a_stopped_node_is_gone(
    tmp_path: Path,
) -> None:
    need(postgres_missing())
    store = {"store_url": fresh_schema_url(), "migrate_store": True}
    async with running_server(tmp_path / "one", **store) as first:
        assert first.server is not None
        live = first.server.chatrooms
        async with running_server(tmp_path / "two", **store) as second:
            assert second.server is not None
            bob = await second.login("bob")
            joined = await bob.request(ChatroomJoin(room=ROOM, create=True))
            assert isinstance(joined, ChatroomJoined)
            before = await _acts(str(store["store_url"]))
            with pytest.raises(ProtocolError):
                await live.act("low_add", [f"app:{i}" for i in range(100)])
            assert await _acts(str(store["store_url"])) == before
            await live.act("low_add", ["app:Like"])
            other = second.server.chatrooms.service
            await until(lambda: other.policy.low_priority == {"app:Like"})
            assert live.service.get(ROOM).online == {"bob"}
            await bob.close()
        await _log(first.server).tick()  # reads the stopped node's last act
        assert live.service.get(ROOM).online == set()
        assert list(live.service.get(ROOM).members) == ["bob"]  # until auto-exit


async def test_a_node_started_after_a_snapshot_has_the_same_desk(tmp_path: Path) -> None:
    need(postgres_missing())
    store = {"store_url": fresh_schema_url(), "migrate_store": True, **server_overrides()}
    async with running_server(tmp_path / "one", **store) as first:
        assert first.server is not None
        carol = Inbox(await first.login("carol"))
        customers = [Inbox(await first.login(name)) for name in ("ann", "ben", "cid")]
        for customer in customers:
            assert isinstance(await customer.send(messages.CS_HANDSHAKE, {}), SendAck)
        for customer in customers[:2]:
            await customer.send(messages.TEXT, {"content": "talk to a human"})
        await carol.agent("info")
        desk = first.server.customer_service
        assert desk.log is not None
        assert isinstance(desk.log, PgActLog)
        desk.log.snapshot_acts = 1
        await desk.log.tick()
        await customers[2].send(messages.TEXT, {"content": "talk to a human"})  # after it
        await carol.agent("info")
        async with running_server(tmp_path / "two", **store) as second:
            assert second.server is not None
            other = second.server.customer_service
            assert other.snapshot(0) == desk.snapshot(0)
            assert other.desk.serving == {"carol": ["ann", "ben", "cid"]}
            assert other.desk.online == {"carol"}

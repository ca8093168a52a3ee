"""The Server API's group and conversation paths over real HTTP, their effects seen by
real clients (sends refused or let through, notices, pushed states)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imkit_tui.protocol import (
    ConversationType,
    ConversationUpdate,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    Push,
    SendAck,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from tests.api_client import ApiHandle, running_api
from tests.wire import WireClient

G1 = ConvRef(type=ConversationType.GROUP, target="g1")


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


async def _create(api: ApiHandle, *members: str, group: str = "g1") -> None:
    form = [("groupId", group), ("groupName", "Team"), *(("userId", m) for m in members)]
    await api.client.ok("/group/create.json", form)


async def _info(client: WireClient, group: str = "g1") -> GroupInfo:
    info = await client.request(GroupRequest(group=group, op="info"))
    assert isinstance(info, GroupInfo), info
    return info


async def _say(client: WireClient, text: str) -> object:
    return await client.send_text("", text, new_uuid7(), conv=G1)


async def _notice(client: WireClient) -> Push:
    while True:
        push = await client.next_push()
        if push.message.object_name == "RC:GrpNtf":
            return push


async def test_create_join_quit_rename_dismiss(api: ApiHandle) -> None:
    await _create(api, "alice", "bob")
    alice = await api.handle.login("alice")
    info = await _info(alice)
    assert (info.owner, info.members, info.name) == ("alice", ["alice", "bob"], "Team")
    await api.client.ok("/group/join.json", [("groupId", "g1"), ("userId", "carol")])
    added = await _notice(alice)
    assert added.message.content["operation"] == "Add"
    assert added.message.content["data"]["targetUserIds"] == ["carol"]
    users = await api.client.ok("/group/user/query.json", {"groupId": "g1"})
    assert users["users"] == [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}]
    await api.client.ok("/group/quit.json", [("groupId", "g1"), ("userId", "bob")])
    assert (await _notice(alice)).message.content["operation"] == "Quit"
    assert (await _info(alice)).members == ["alice", "carol"]
    status, body = await api.client.post("/group/quit.json", {"groupId": "g1", "userId": "alice"})
    assert (status, body["code"]) == (400, 1002)
    await api.client.ok("/group/refresh.json", {"groupId": "g1", "groupName": "Core"})
    assert (await _notice(alice)).message.content["operation"] == "Rename"
    assert (await _info(alice)).name == "Core"
    await api.client.ok("/group/dismiss.json", {"groupId": "g1", "userId": "alice"})
    assert (await _notice(alice)).message.content["operation"] == "Dismiss"
    refused = await _say(alice, "anyone?")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP
    status, body = await api.client.post("/group/user/query.json", {"groupId": "nope"})
    assert (status, body["code"]) == (400, 1002)


async def test_join_creates_a_missing_group_and_create_joins_an_existing_one(
    api: ApiHandle,
) -> None:
    await api.client.ok("/group/join.json", [("groupId", "g2"), ("userId", "dan")])
    await _create(api, "erin", group="g2")
    users = await api.client.ok("/group/user/query.json", {"groupId": "g2"})
    assert [u["id"] for u in users["users"]] == ["dan", "erin"]


async def test_the_member_cap_holds(tmp_path: Path) -> None:
    async with running_api(tmp_path / "server", max_group_members=3) as api:
        form = [("groupId", "g"), ("groupName", "G"), *(("userId", f"u{n}") for n in range(4))]
        status, body = await api.client.post("/group/create.json", form)
        assert (status, body["code"]) == (400, 1002)
        await api.client.ok("/group/create.json", form[:5])
        status, body = await api.client.post(
            "/group/join.json", [("groupId", "g"), ("userId", "u9")]
        )
        assert (status, body["code"]) == (400, 1002)


async def test_sync_creates_and_joins_the_users_groups(api: ApiHandle) -> None:
    await _create(api, "alice", group="old")
    form = {"userId": "bob", "group[old]": "Old name", "group[new]": "New"}
    await api.client.ok("/group/sync.json", form)
    bob = await api.handle.login("bob")
    old, new = await _info(bob, "old"), await _info(bob, "new")
    assert (old.members, old.name) == (["alice", "bob"], "Old name")
    assert (new.owner, new.name) == ("bob", "New")


async def test_gag_mutes_a_member_until_rolled_back_or_its_minutes_pass(api: ApiHandle) -> None:
    await _create(api, "alice", "bob")
    bob = await api.handle.login("bob")
    gag = [("groupId", "g1"), ("userId", "bob"), ("minute", "5")]
    await api.client.ok("/group/user/gag/add.json", gag)
    refused = await _say(bob, "hello")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_GROUP
    [listed] = (await api.client.ok("/group/user/gag/list.json", {"groupId": "g1"}))["users"]
    assert listed["userId"] == "bob" and listed["time"]
    await api.client.ok("/group/user/gag/rollback.json", gag[:2])
    assert isinstance(await _say(bob, "hello"), SendAck)
    assert (await api.client.ok("/group/user/gag/list.json", {"groupId": "g1"}))["users"] == []
    # A gag whose time is up is lifted by the server by itself, even once nothing serves
    # the API any more.
    await api.client.ok("/group/user/gag/add.json", gag)
    await api.api.stop()
    store = api.handle.server.store  # type: ignore[union-attr]
    await store.gags.set_ends("g1", ["bob"], now_ms() - 1)
    for _ in range(100):
        voices = await store.groups.voices("g1")
        if voices is not None and "bob" not in voices.muted:
            break
        await _settle()
    assert isinstance(await _say(bob, "free again"), SendAck)


async def _settle() -> None:
    await asyncio.sleep(0.02)


async def test_ban_mutes_the_group_and_the_whitelist_still_speaks(api: ApiHandle) -> None:
    await _create(api, "alice", "bob", "carol")
    bob, carol = await api.handle.login("bob"), await api.handle.login("carol")
    await api.client.ok("/group/ban/add.json", {"groupId": "g1"})
    refused = await _say(bob, "hi")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_GROUP
    banned = await api.client.ok("/group/ban/query.json")
    assert banned["groupinfo"] == [{"groupId": "g1", "stat": 1}]
    await api.client.ok(
        "/group/user/ban/whitelist/add.json", [("groupId", "g1"), ("userId", "carol")]
    )
    assert isinstance(await _say(carol, "I may"), SendAck)
    speakers = await api.client.ok("/group/user/ban/whitelist/query.json", {"groupId": "g1"})
    assert speakers["userids"] == ["carol"]
    await api.client.ok(
        "/group/user/ban/whitelist/rollback.json", [("groupId", "g1"), ("userId", "carol")]
    )
    refused = await _say(carol, "now?")
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_GROUP
    await api.client.ok("/group/ban/rollback.json", {"groupId": "g1"})
    assert isinstance(await _say(bob, "at last"), SendAck)
    named = await api.client.ok("/group/ban/query.json", {"groupId": "g1"})
    assert named["groupinfo"] == [{"groupId": "g1", "stat": 0}]


async def test_conversation_notification_is_set_and_synced_to_the_users_devices(
    api: ApiHandle,
) -> None:
    bob = await api.handle.login("bob")
    form = {"requestId": "bob", "conversationType": "1", "targetId": "alice"}
    assert (await api.client.ok("/conversation/notification/get.json", form))["isMuted"] == 0
    await api.client.ok("/conversation/notification/set.json", {**form, "isMuted": "1"})
    update = await bob.recv()
    assert isinstance(update, ConversationUpdate) and update.state.muted
    assert update.state.conv == ConvRef.private("alice")
    assert (await api.client.ok("/conversation/notification/get.json", form))["isMuted"] == 1
    await _create(api, "alice", "carol")
    status, body = await api.client.post(
        "/conversation/notification/set.json",
        {"requestId": "bob", "conversationType": "3", "targetId": "g1", "isMuted": "1"},
    )
    assert (status, body["code"]) == (400, 1002)

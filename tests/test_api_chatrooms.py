"""The Server API's chatroom paths over real HTTP, their effects seen by raw clients; and
the chatroom status sync to a real local backend, in order."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from imkit_tui.protocol import (
    ChatroomEvent,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Push,
    SendAck,
    SendMessage,
)
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.setup import start_hooks
from tests.api_client import ApiHandle, running_api
from tests.backend import running_backend
from tests.test_chatrooms import FakeClock, quiet
from tests.test_hooks_routing import FAST

ROOM = "stage"
CONV = ConvRef(type=4, target=ROOM)


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


def _text(cmid: str) -> SendMessage:
    return SendMessage(conv=CONV, object_name="RC:TxtMsg", content={"content": cmid}, cmid=cmid)


async def test_rooms_are_created_queried_listed_and_destroyed(api: ApiHandle) -> None:
    await api.client.ok("/chatroom/create.json", {f"chatroom[{ROOM}]": "The Stage"})
    got = await api.client.ok("/chatroom/query.json", {"chatroomId": ROOM})
    assert [(r["chrmId"], r["name"]) for r in got["chatRooms"]] == [(ROOM, "The Stage")]
    alice = await api.handle.login("alice")
    bob = await api.handle.login("bob")
    for client in (alice, bob):
        assert isinstance(
            await client.request(ChatroomJoin(room=ROOM, create=False)), ChatroomJoined
        )
    users = await api.client.ok(
        "/chatroom/user/query.json", {"chatroomId": ROOM, "count": "10", "order": "2"}
    )
    assert users["total"] == 2 and [u["id"] for u in users["users"]] == ["bob", "alice"]
    exist = await api.client.ok(
        "/chatroom/users/exist.json", [("chatroomId", ROOM), ("userId", "bob"), ("userId", "sam")]
    )
    assert exist["result"] == [{"userId": "bob", "isInChrm": 1}, {"userId": "sam", "isInChrm": 0}]
    one = await api.client.ok("/chatroom/user/exist.json", {"chatroomId": ROOM, "userId": "alice"})
    assert one["isInChrm"] is True

    await api.client.ok(
        "/message/chatroom/publish.json",
        {
            "fromUserId": "host",
            "toChatroomId": ROOM,
            "objectName": "RC:TxtMsg",
            "content": json.dumps({"content": "welcome"}),
        },
    )
    for client in (alice, bob):
        push = await client.next_push()
        assert push.message.sender == "host" and push.message.conv == CONV

    await api.client.ok("/chatroom/destroy.json", {"chatroomId": ROOM})
    for client in (alice, bob):
        event = await client.recv()
        assert isinstance(event, ChatroomEvent) and event.kind == "destroyed"
    _, body = await api.client.post(
        "/chatroom/user/query.json", {"chatroomId": ROOM, "count": "10"}
    )
    assert body["code"] == ErrorCode.CHATROOM_NOT_FOUND
    await alice.close()
    await bob.close()


async def test_gags_blocks_and_global_mutes_are_listed_and_end_by_themselves(
    api: ApiHandle,
) -> None:
    assert api.handle.server is not None
    live = api.handle.server.chatrooms
    clock = FakeClock()
    live.clock = clock
    await api.client.ok("/chatroom/create.json", {f"chatroom[{ROOM}]": "Stage"})
    bob = await api.handle.login("bob")
    assert isinstance(await bob.request(ChatroomJoin(room=ROOM)), ChatroomJoined)

    await api.client.ok(
        "/chatroom/user/gag/add.json", {"chatroomId": ROOM, "userId": "bob", "minute": "3"}
    )
    gags = await api.client.ok("/chatroom/user/gag/list.json", {"chatroomId": ROOM})
    assert [u["userId"] for u in gags["users"]] == ["bob"]
    refused = await bob.request(_text("hush"))
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
    clock.advance(180)
    live.sweep()
    assert (await api.client.ok("/chatroom/user/gag/list.json", {"chatroomId": ROOM}))[
        "users"
    ] == []
    assert isinstance(await bob.request(_text("back")), SendAck)

    await api.client.ok("/chatroom/user/ban/add.json", {"userId": "bob", "minute": "1"})
    assert [
        u["userId"] for u in (await api.client.ok("/chatroom/user/ban/query.json"))["users"]
    ] == ["bob"]
    refused = await bob.request(_text("hush"))
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
    await api.client.ok("/chatroom/user/ban/remove.json", {"userId": "bob"})
    assert isinstance(await bob.request(_text("free")), SendAck)

    await api.client.ok(
        "/chatroom/user/block/add.json", {"chatroomId": ROOM, "userId": "bob", "minute": "10"}
    )
    blocks = await api.client.ok("/chatroom/user/block/list.json", {"chatroomId": ROOM})
    assert [u["userId"] for u in blocks["users"]] == ["bob"]
    refused = await bob.request(ChatroomJoin(room=ROOM))
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.KICKED_FROM_CHATROOM
    clock.advance(600)
    live.sweep()
    assert isinstance(await bob.request(ChatroomJoin(room=ROOM)), ChatroomJoined)

    await api.client.ok("/chatroom/ban/add.json", {"chatroomId": ROOM})
    assert (await api.client.ok("/chatroom/ban/check.json", {"chatroomId": ROOM}))["status"] == 1
    refused = await bob.request(_text("all quiet"))
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
    await api.client.ok("/chatroom/user/whitelist/add.json", {"chatroomId": ROOM, "userId": "bob"})
    assert (await api.client.ok("/chatroom/user/whitelist/query.json", {"chatroomId": ROOM}))[
        "users"
    ] == ["bob"]
    assert isinstance(await bob.request(_text("whitelisted")), SendAck)
    await api.client.ok("/chatroom/ban/rollback.json", {"chatroomId": ROOM})
    assert (await api.client.ok("/chatroom/ban/query.json"))["chatroomIdList"] == []
    await bob.close()


async def test_lists_keepalive_entries_and_distribution(api: ApiHandle) -> None:
    await api.client.ok("/chatroom/create.json", {f"chatroom[{ROOM}]": "Stage"})
    await api.client.ok("/chatroom/keepalive/add.json", {"chatroomId": ROOM})
    assert (await api.client.ok("/chatroom/keepalive/query.json"))["chatrooms"] == [ROOM]
    await api.client.ok("/chatroom/whitelist/add.json", {"objectnames": "app:Gift"})
    assert (await api.client.ok("/chatroom/whitelist/query.json"))["whitlistMsgType"] == [
        "app:Gift"
    ]
    names = [("objectName", f"app:Low{i}") for i in range(20)]
    await api.client.ok("/chatroom/message/priority/add.json", names)
    _, body = await api.client.post(
        "/chatroom/message/priority/add.json", {"objectName": "app:OneTooMany"}
    )
    assert body["code"] == 1002
    assert len((await api.client.ok("/chatroom/message/priority/query.json"))["objectNames"]) == 20

    alice = await api.handle.login("alice")
    bob = await api.handle.login("bob")
    for client in (alice, bob):
        assert isinstance(await client.request(ChatroomJoin(room=ROOM)), ChatroomJoined)
    await api.client.ok(
        "/chatroom/entry/set.json",
        {"chatroomId": ROOM, "userId": "alice", "key": "topic", "value": "news", "autoDelete": "1"},
    )
    notice = await bob.next_push()
    assert notice.message.object_name == "RC:chrmKVNotiMsg"
    keys = (await api.client.ok("/chatroom/entry/query.json", {"chatroomId": ROOM}))["keys"]
    assert [(k["key"], k["value"], k["userId"], k["autoDelete"]) for k in keys] == [
        ("topic", "news", "alice", 1)
    ]
    assert isinstance(await alice.request(ChatroomLeave(room=ROOM)), object)
    assert (await api.client.ok("/chatroom/entry/query.json", {"chatroomId": ROOM}))["keys"] == []
    assert isinstance(await alice.request(ChatroomJoin(room=ROOM)), ChatroomJoined)
    removed = [f for f in await quiet(bob) if isinstance(f, Push)]
    assert [p.message.content["type"] for p in removed] == [2]  # the autoDelete key went

    await api.client.ok("/chatroom/message/stopDistribution.json", {"chatroomId": ROOM})
    assert isinstance(await alice.request(_text("unheard")), SendAck)
    assert [f for f in await quiet(bob) if isinstance(f, Push)] == []
    await api.client.ok("/chatroom/message/resumeDistribution.json", {"chatroomId": ROOM})
    assert isinstance(await alice.request(_text("heard")), SendAck)
    assert (await bob.next_push()).message.content["content"] == "heard"
    await alice.close()
    await bob.close()


async def test_status_sync_reports_create_join_leave_destroy_in_order(
    tmp_path: Path, store_kind: str
) -> None:
    data = tmp_path / "server"
    async with running_api(data) as api:
        assert api.handle.server is not None
        secret = load_or_create(data, environ={}).app_secret
        async with running_backend(secret) as backend:
            config = replace(
                FAST, chatroom_status_url=backend.at("/rooms"), routing_url=backend.at("/route")
            )
            hooks = await start_hooks(api.handle.server, config)
            try:
                alice = await api.handle.login("alice")
                bob = await api.handle.login("bob")
                assert isinstance(await alice.request(ChatroomJoin(room=ROOM)), ChatroomJoined)
                assert isinstance(await bob.request(ChatroomJoin(room=ROOM)), ChatroomJoined)
                assert isinstance(await alice.request(_text("delivered and routed")), SendAck)
                await api.client.ok("/chatroom/message/stopDistribution.json", {"chatroomId": ROOM})
                assert isinstance(await alice.request(_text("routed only")), SendAck)
                assert isinstance(await bob.request(ChatroomLeave(room=ROOM)), object)
                await api.client.ok("/chatroom/destroy.json", {"chatroomId": ROOM})
                await backend.until(lambda: len(backend.bodies("/rooms")) == 5)
                items = [r.body[0] for r in backend.bodies("/rooms")]
                assert [(i["type"], i["userIds"]) for i in items] == [
                    (0, []),
                    (2, ["alice"]),
                    (2, ["bob"]),
                    (3, ["bob"]),
                    (1, []),
                ]
                assert all(i["chatRoomId"] == ROOM for i in items)
                # every room message is routed, a room's whose distribution is stopped too
                await backend.until(lambda: len(backend.bodies("/route")) == 2)
                forms = [r.form for r in backend.bodies("/route")]
                assert [json.loads(f["content"])["content"] for f in forms] == [
                    "delivered and routed",
                    "routed only",
                ]
                assert all(f["channelType"] == "TEMPGROUP" and f["toUserId"] == ROOM for f in forms)
                await alice.close()
                await bob.close()
            finally:
                await hooks.stop()

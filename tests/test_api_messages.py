"""The Server API's message paths over real HTTP, the messages seen by real clients."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    ConversationType,
    ConvRef,
    PullReply,
    PullRequest,
    Push,
    UpdatePrivacy,
)
from tests.api_client import ApiHandle, running_api
from tests.wire import WireClient


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


def _text(text: str, **extra: object) -> str:
    return json.dumps({"content": text, **extra})


async def _silent(client: WireClient, seconds: float = 0.3) -> bool:
    """True when nothing at all reaches `client` for `seconds`."""
    try:
        frame = await client.recv(seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected {frame}")


async def _pull(client: WireClient, conv: ConvRef) -> PullReply:
    reply = await client.request(PullRequest(conv=conv, after_seq=0, limit=50))
    assert isinstance(reply, PullReply), reply
    return reply


async def test_private_publish_reaches_the_receiver_and_not_the_sender(api: ApiHandle) -> None:
    alice = await api.handle.login("alice")
    bob = await api.handle.login("bob")
    form = [
        ("fromUserId", "alice"),
        ("toUserId", "bob"),
        ("objectName", "RC:TxtMsg"),
        ("content", _text("from the backend")),
        ("pushContent", "new message"),
    ]
    body = await api.client.ok("/message/private/publish.json", form)
    [sent] = body["messageUIDs"]
    push = await bob.next_push()
    assert push.message.uid == sent["messageUID"] and sent["userId"] == "bob"
    assert (push.message.sender, push.message.conv) == ("alice", ConvRef.private("alice"))
    assert push.message.content == {"content": "from the backend"}
    assert await _silent(alice)
    # In the sender's history all the same, as a message they sent.
    history = await _pull(alice, ConvRef.private("bob"))
    assert [m.uid for m in history.messages] == [sent["messageUID"]]
    await api.client.ok("/message/private/publish.json", [*form[:4], ("isIncludeSender", "1")])
    mine = await alice.next_push()
    assert mine.message.conv == ConvRef.private("bob")
    await bob.next_push()


async def test_verify_blacklist_leaves_out_who_blocks_the_sender(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    await bob.request(UpdatePrivacy(block=["alice"]))
    form = {
        "fromUserId": "alice",
        "toUserId": "bob",
        "objectName": "RC:TxtMsg",
        "content": _text("hi"),
        "verifyBlacklist": "1",
    }
    body = await api.client.ok("/message/private/publish.json", form)
    assert body["messageUIDs"] == []
    assert await _silent(bob)


async def test_bad_content_is_refused_with_1002(api: ApiHandle) -> None:
    form = {"fromUserId": "alice", "toUserId": "bob", "objectName": "RC:TxtMsg"}
    for content in ("not json", "[1, 2]"):
        status, body = await api.client.post(
            "/message/private/publish.json", {**form, "content": content}
        )
        assert (status, body["code"]) == (400, 1002)
    status, body = await api.client.post(
        "/message/private/publish.json", {**form, "content": _text("x" * 200_000)}
    )
    assert (status, body["code"]) == (400, 1005)


async def test_system_publish_lands_in_the_system_conversation(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    form = [
        ("fromUserId", "notices"),
        ("toUserId", "bob"),
        ("toUserId", "carol"),
        ("objectName", "RC:TxtMsg"),
        ("content", _text("maintenance tonight")),
    ]
    body = await api.client.ok("/message/system/publish.json", form)
    assert [u["userId"] for u in body["messageUIDs"]] == ["bob", "carol"]
    push = await bob.next_push()
    assert push.message.conv == ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)
    assert push.message.content == {"content": "maintenance tonight"}
    carol = await api.handle.login("carol")  # offline then: it waits in her history
    history = await _pull(carol, ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT))
    assert [m.content for m in history.messages] == [{"content": "maintenance tonight"}]


async def _next_message(client: WireClient, object_name: str = "RC:TxtMsg") -> Push:
    while True:
        push = await client.next_push()
        if push.message.object_name == object_name:
            return push


async def test_group_publish_targeted_and_mentions(api: ApiHandle) -> None:
    store = api.handle.server.store  # type: ignore[union-attr]
    await api.handle.server.create_group("g1", "Team", "alice", ["bob", "carol"])  # type: ignore[union-attr]
    alice, bob, carol = [await api.handle.login(u) for u in ("alice", "bob", "carol")]
    assert await store.groups.members("g1") == ["alice", "bob", "carol"]
    mention = {"type": 2, "userIdList": ["bob"]}
    form = [
        ("fromUserId", "alice"),
        ("toGroupId", "g1"),
        ("objectName", "RC:TxtMsg"),
        ("content", _text("@bob look", mentionedInfo=mention)),
        ("isMentioned", "1"),
    ]
    body = await api.client.ok("/message/group/publish.json", form)
    assert body["messageUIDs"][0]["groupId"] == "g1"
    for client in (bob, carol):
        push = await _next_message(client)
        assert push.message.content["mentionedInfo"] == mention
    # isMentioned 0: nobody is mentioned.
    await api.client.ok("/message/group/publish.json", [*form[:4], ("isMentioned", "0")])
    assert "mentionedInfo" not in (await _next_message(bob)).message.content
    await _next_message(carol)
    # toUserId: a targeted message, carol only.
    await api.client.ok(
        "/message/group/publish.json",
        [*form[:3], ("content", _text("carol only")), ("toUserId", "carol")],
    )
    push = await _next_message(carol)
    assert push.message.content == {"content": "carol only"} and push.message.to == ["carol"]
    assert await _silent(bob)
    history = await _pull(bob, ConvRef(type=ConversationType.GROUP, target="g1"))
    assert "carol only" not in [m.content.get("content") for m in history.messages]
    status, body = await api.client.post(
        "/message/group/publish.json",
        [*form[:3], ("content", _text("x")), ("toUserId", "stranger")],
    )
    assert (status, body["code"]) == (400, 1002)
    status, body = await api.client.post(
        "/message/group/publish.json", [("toGroupId", "nope"), *form[2:4], form[0]]
    )
    assert (status, body["code"]) == (400, 1002)
    await asyncio.gather(*(c.close() for c in (alice, bob, carol)))


async def test_recall_tells_the_members_and_leaves_a_notice(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    form = {
        "fromUserId": "alice",
        "toUserId": "bob",
        "objectName": "RC:TxtMsg",
        "content": _text("oops"),
    }
    [sent] = (await api.client.ok("/message/private/publish.json", form))["messageUIDs"]
    await bob.next_push()
    recall = {
        "fromUserId": "alice",
        "conversationType": "1",
        "targetId": "bob",
        "messageUID": sent["messageUID"],
        "sentTime": "0",
    }
    await api.client.ok("/message/recall.json", recall)
    command = await bob.next_push()
    assert command.message.object_name == "RC:RcCmd"
    assert command.message.content["messageUId"] == sent["messageUID"]
    history = await _pull(bob, ConvRef.private("alice"))
    assert "oops" not in json.dumps([m.content for m in history.messages])
    status, body = await api.client.post("/message/recall.json", {**recall, "fromUserId": "bob"})
    assert (status, body["code"]) == (400, 1002)


async def test_a_recall_by_the_administrator_says_so(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    form = {"fromUserId": "alice", "toUserId": "bob", "objectName": "RC:TxtMsg"}
    [sent] = (
        await api.client.ok("/message/private/publish.json", {**form, "content": _text("x")})
    )["messageUIDs"]
    await bob.next_push()
    recall = {
        "fromUserId": "alice",
        "conversationType": "1",
        "targetId": "bob",
        "messageUID": sent["messageUID"],
        "sentTime": "0",
    }
    status, body = await api.client.post("/message/recall.json", {**recall, "isDelete": "1"})
    assert (status, body["code"]) == (400, 1002)  # refused, nothing done
    await api.client.ok("/message/recall.json", {**recall, "isAdmin": "1"})
    command = await bob.next_push()
    assert command.message.content["isAdmin"] == 1
    pulled = (await _pull(bob, ConvRef.private("alice"))).messages
    [notice] = [m for m in pulled if m.object_name == messages.RECALL_NTF]
    assert notice.content["isAdmin"] == 1
    said = messages.summarize(notice.object_name, notice.content, "bob")
    assert said == "An administrator recalled a message"


async def test_status_messages_reach_who_is_online_and_are_not_stored(api: ApiHandle) -> None:
    bob = await api.handle.login("bob")
    form = {
        "fromUserId": "alice",
        "toUserId": "bob",
        "objectName": "RC:TypSts",
        "content": json.dumps({"typingContentType": "RC:TxtMsg"}),
    }
    assert await api.client.ok("/statusmessage/private/publish.json", form) == {"code": 200}
    push = await bob.next_push()
    assert (push.message.object_name, push.message.seq) == ("RC:TypSts", 0)
    # Even a type that is otherwise stored is only relayed when sent as a status.
    await api.client.ok(
        "/statusmessage/private/publish.json",
        {**form, "objectName": "RC:TxtMsg", "content": _text("ephemeral")},
    )
    assert (await bob.next_push()).message.seq == 0
    assert (await _pull(bob, ConvRef.private("alice"))).messages == []
    server = api.handle.server
    assert server is not None
    await server.create_group("g1", "Team", "alice", ["bob"])
    await _next_message(bob, "RC:GrpNtf")
    await api.client.ok(
        "/statusmessage/group/publish.json",
        {"fromUserId": "alice", "toGroupId": "g1", "objectName": "RC:TypSts", "content": "{}"},
    )
    push = await bob.next_push()
    assert push.message.conv == ConvRef(type=ConversationType.GROUP, target="g1")
    assert push.message.seq == 0


async def test_push_content_and_data_are_kept_with_each_message(api: ApiHandle) -> None:
    form = {
        "fromUserId": "alice",
        "toUserId": "bob",
        "objectName": "RC:TxtMsg",
        "content": _text("hi"),
        "pushContent": "alice: hi",
        "pushData": '{"deep": "link"}',
    }
    [sent] = (await api.client.ok("/message/private/publish.json", form))["messageUIDs"]
    store = api.handle.server.store  # type: ignore[union-attr]
    assert await store.pushes.get(sent["messageUID"]) == ("alice: hi", '{"deep": "link"}')
    plain = {k: v for k, v in form.items() if not k.startswith("push")}
    [other] = (await api.client.ok("/message/private/publish.json", plain))["messageUIDs"]
    assert await store.pushes.get(other["messageUID"]) is None
    status, body = await api.client.post(
        "/message/private/publish.json", {**form, "pushContent": "x" * 2000}
    )
    assert (status, body["code"]) == (400, 1005)
    status, body = await api.client.post("/push.json", {"platform": "ios"})
    assert (status, body["code"]) == (430, 1009)


async def test_recall_in_a_group_and_in_a_system_conversation(api: ApiHandle) -> None:
    server = api.handle.server
    assert server is not None
    await server.create_group("g1", "Team", "alice", ["bob"])
    bob = await api.handle.login("bob")
    group_form = {
        "fromUserId": "alice",
        "toGroupId": "g1",
        "objectName": "RC:TxtMsg",
        "content": _text("group oops"),
    }
    [sent] = (await api.client.ok("/message/group/publish.json", group_form))["messageUIDs"]
    await _next_message(bob)
    recall = {
        "fromUserId": "alice",
        "conversationType": "3",
        "targetId": "g1",
        "messageUID": sent["messageUID"],
    }
    await api.client.ok("/message/recall.json", recall)
    command = await _next_message(bob, "RC:RcCmd")
    assert command.message.conv == ConvRef(type=ConversationType.GROUP, target="g1")
    system_form = {
        "fromUserId": "notices",
        "toUserId": "bob",
        "objectName": "RC:TxtMsg",
        "content": _text("wrong notice"),
    }
    [notice] = (await api.client.ok("/message/system/publish.json", system_form))["messageUIDs"]
    await _next_message(bob)
    await api.client.ok(
        "/message/recall.json",
        {
            "fromUserId": "notices",
            "conversationType": "6",
            "targetId": "bob",
            "messageUID": notice["messageUID"],
        },
    )
    command = await _next_message(bob, "RC:RcCmd")
    assert command.message.conv == ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)
    history = await _pull(bob, ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT))
    assert "wrong notice" not in json.dumps([m.content for m in history.messages])

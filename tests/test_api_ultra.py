"""The Server API's ultra group paths over real HTTP, their effects seen by real
clients over the wire (pushes, refused sends, edited messages)."""

from __future__ import annotations

import json
from pathlib import Path

from imkit_tui.protocol import (
    EDIT_OBJECT_NAME,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    PullReply,
    PullRequest,
    SendAck,
    SendMessage,
    UltraInfo,
    UltraSync,
    UltraSynced,
)
from imkit_tui.server.ultra.config import UltraPolicy
from tests.api_client import running_api


def _text(conv: ConvRef, text: str, cmid: str) -> SendMessage:
    return SendMessage(conv=conv, object_name="RC:TxtMsg", content={"content": text}, cmid=cmid)


async def test_groups_channels_and_mutes_through_the_server_api(tmp_path: Path) -> None:
    async with running_api(tmp_path / "s") as api:
        client = api.client
        await client.ok(
            "/ultragroup/create.json", {"userId": "alice", "groupId": "u1", "groupName": "Guild"}
        )
        await client.ok("/ultragroup/join.json", {"userId": "bob", "groupId": "u1"})
        bob = await api.handle.login("bob")
        synced = await bob.request(UltraSync())
        assert isinstance(synced, UltraSynced) and [g.group for g in synced.groups] == ["u1"]
        await client.ok("/ultragroup/channel/create.json", {"groupId": "u1", "busChannel": "news"})
        told = await bob.recv()
        assert isinstance(told, UltraInfo) and [c.channel for c in told.channels] == ["", "news"]
        listed = await client.ok("/ultragroup/channel/get.json", {"groupId": "u1"})
        assert [c["channelId"] for c in listed["channelList"]] == ["news"]
        await client.ok("/ultragroup/refresh.json", {"groupId": "u1", "groupName": "Renamed"})
        assert (await bob.recv()).name == "Renamed"  # type: ignore[union-attr]
        # Mutes: a member, everyone, and who may still speak.
        news = ConvRef(type=10, target="u1", channel="news")
        await client.ok("/ultragroup/userbanned/add.json", {"groupId": "u1", "userIds": "bob"})
        banned = await client.ok("/ultragroup/userbanned/get.json", {"groupId": "u1"})
        assert banned["users"] == [{"id": "bob"}]
        refused = await bob.request(_text(news, "hi", "b1"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_ULTRA_GROUP
        await client.ok("/ultragroup/userbanned/del.json", {"groupId": "u1", "userId": "bob"})
        await client.ok("/ultragroup/globalbanned/set.json", {"groupId": "u1", "status": "1"})
        assert (await client.ok("/ultragroup/globalbanned/get.json", {"groupId": "u1"}))["status"]
        await client.ok("/ultragroup/banned/whitelist/add.json", {"groupId": "u1", "userId": "bob"})
        listed = await client.ok("/ultragroup/banned/whitelist/get.json", {"groupId": "u1"})
        assert listed["users"] == [{"id": "bob"}]
        assert isinstance(await bob.request(_text(news, "allowed", "b2")), SendAck)
        await client.ok("/ultragroup/banned/whitelist/del.json", {"groupId": "u1", "userId": "bob"})
        refused = await bob.request(_text(news, "not now", "b3"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_ULTRA_GROUP
        # Channels go; then the group.
        await client.ok("/ultragroup/channel/del.json", {"groupId": "u1", "busChannel": "news"})
        await client.ok("/ultragroup/quit.json", {"userId": "bob", "groupId": "u1"})
        assert (await bob.request(UltraSync())).groups == []  # type: ignore[union-attr]
        await client.ok("/ultragroup/dis.json", {"groupId": "u1"})
        status, body = await client.post("/ultragroup/channel/get.json", {"groupId": "u1"})
        assert body["code"] == ErrorCode.ULTRA_GROUP_NOT_FOUND, (status, body)
        await bob.close()


async def test_modify_edits_a_message_for_everyone(tmp_path: Path) -> None:
    async with running_api(tmp_path / "s") as api:
        client = api.client
        await client.ok(
            "/ultragroup/create.json", {"userId": "alice", "groupId": "u2", "groupName": "G"}
        )
        await client.ok("/ultragroup/join.json", {"userId": "bob", "groupId": "u2"})
        alice, bob = await api.handle.login("alice"), await api.handle.login("bob")
        conv = ConvRef(type=10, target="u2")
        sent = await alice.request(_text(conv, "typo", "a1"))
        assert isinstance(sent, SendAck)
        await bob.next_push()
        form = {
            "groupId": "u2",
            "fromUserId": "alice",
            "msgUID": sent.uid,
            "content": json.dumps({"content": "fixed"}),
        }
        await client.ok("/ultragroup/msg/modify.json", form)
        event = await bob.next_push()
        assert event.message.object_name == EDIT_OBJECT_NAME
        assert event.message.content["content"] == {"content": "fixed"}
        page = await bob.request(PullRequest(conv=conv, before_seq=100))
        assert isinstance(page, PullReply)
        edited = next(m for m in page.messages if m.uid == sent.uid)
        assert edited.content == {"content": "fixed"} and edited.edit_seq == event.message.seq
        # Only the sender's own messages are edited.
        status, body = await client.post(
            "/ultragroup/msg/modify.json", {**form, "fromUserId": "bob"}
        )
        assert body["code"] == ErrorCode.MESSAGE_NOT_MODIFIABLE, (status, body)
        await alice.close()
        await bob.close()


async def test_the_join_cap_holds_through_the_server_api(tmp_path: Path) -> None:
    async with running_api(tmp_path / "s", ultra=UltraPolicy(max_joined=2)) as api:
        client = api.client
        for group in ("a", "b", "c"):
            form = {"userId": f"owner-{group}", "groupId": group, "groupName": group}
            await client.ok("/ultragroup/create.json", form)
        await client.ok("/ultragroup/join.json", {"userId": "bob", "groupId": "a"})
        await client.ok("/ultragroup/join.json", {"userId": "bob", "groupId": "b"})
        status, body = await client.post("/ultragroup/join.json", {"userId": "bob", "groupId": "c"})
        assert body["code"] == ErrorCode.ULTRA_GROUP_JOIN_LIMIT, (status, body)
        status, body = await client.post(
            "/ultragroup/channel/create.json", {"groupId": "a", "busChannel": "bad channel!"}
        )
        assert status == 400 and body["code"] == 1002, body

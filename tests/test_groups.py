"""Group management on the server: who may do what, notices, and what members see."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    PullReply,
    PullRequest,
    ReceiptQuery,
    SendAck,
    SyncReply,
    SyncRequest,
)
from tests.conftest import ServerHandle, running_server
from tests.wire import WireClient

GROUP = ConvRef(type=ConversationType.GROUP, target="team")


async def _say(client: WireClient, text: str, cmid: str) -> object:
    return await client.send_text("", text, cmid, conv=GROUP)


async def _notices(client: WireClient) -> list[str]:
    reply = await client.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
    assert isinstance(reply, PullReply)
    return [
        messages.summarize(m.object_name, m.content)
        for m in reply.messages
        if m.object_name == messages.GROUP_NTF
    ]


async def test_the_life_of_a_group(server_handle: ServerHandle) -> None:
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    try:
        created = await alice.request(GroupRequest(group="team", op="create", members=["bob"]))
        assert isinstance(created, GroupInfo)
        assert created.owner == "alice" and created.members == ["alice", "bob"]
        assert isinstance(await _say(alice, "before carol", "m1"), SendAck)

        refused = await _say(carol, "let me in", "c1")
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP

        invited = await bob.request(GroupRequest(group="team", op="invite", members=["carol"]))
        assert isinstance(invited, GroupInfo) and invited.members == ["alice", "bob", "carol"]
        assert isinstance(await _say(carol, "hello all", "c2"), SendAck)
        # carol sees only what came after she joined.
        reply = await carol.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(reply, PullReply)
        texts = [m.content.get("content") for m in reply.messages]
        assert "before carol" not in texts and "hello all" in texts

        renamed = await alice.request(GroupRequest(group="team", op="rename", name="The Team"))
        assert isinstance(renamed, GroupInfo) and renamed.name == "The Team"
        not_owner = await bob.request(GroupRequest(group="team", op="rename", name="Mine"))
        assert isinstance(not_owner, ErrorFrame)
        owner_quits = await alice.request(GroupRequest(group="team", op="quit"))
        assert isinstance(owner_quits, ErrorFrame)

        kicked = await alice.request(GroupRequest(group="team", op="kick", members=["carol"]))
        assert isinstance(kicked, GroupInfo) and "carol" not in kicked.members
        gone = await _say(carol, "still here?", "c3")
        assert isinstance(gone, ErrorFrame) and gone.code == ErrorCode.NOT_IN_GROUP

        quit_ = await bob.request(GroupRequest(group="team", op="quit"))
        assert isinstance(quit_, GroupInfo) and quit_.members == ["alice"]

        assert await _notices(alice) == [
            "alice created the group",
            "bob added carol",
            "alice renamed the group to The Team",
            "alice removed carol",
            "bob quit the group",
        ]

        dismissed = await alice.request(GroupRequest(group="team", op="dismiss"))
        assert isinstance(dismissed, GroupInfo) and dismissed.members == []
        after = await _say(alice, "anyone?", "m2")
        assert isinstance(after, ErrorFrame) and after.code == ErrorCode.NOT_IN_GROUP
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_group_limits_and_bad_requests(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", max_group_members=3)
    await handle.start()
    alice = await handle.login("alice")
    try:
        too_many = await alice.request(
            GroupRequest(group="big", op="create", members=["b", "c", "d"])
        )
        assert isinstance(too_many, ErrorFrame) and "at most 3" in too_many.message
        made = await alice.request(GroupRequest(group="g", op="create", members=["b"]))
        assert isinstance(made, GroupInfo)
        again = await alice.request(GroupRequest(group="g", op="create"))
        assert isinstance(again, ErrorFrame)
        full = await alice.request(GroupRequest(group="g", op="invite", members=["c", "d"]))
        assert isinstance(full, ErrorFrame)
        unknown = await alice.request(GroupRequest(group="nope", op="info"))
        assert isinstance(unknown, ErrorFrame) and unknown.code == ErrorCode.NOT_IN_GROUP
        info = await alice.request(GroupRequest(group="g", op="info"))
        assert isinstance(info, GroupInfo) and info.members == ["alice", "b"]
    finally:
        await alice.close()
        await handle.stop()


async def test_a_retry_of_a_message_stored_before_a_mute_or_a_kick_gets_its_ack(
    server_handle: ServerHandle,
) -> None:
    """Idempotent send: what changed since the message was stored (bob muted, then
    removed) refuses new sends, never the retry of a stored one; nothing is pushed twice."""
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    try:
        await alice.request(GroupRequest(group="team", op="create", members=["bob", "carol"]))
        first = await _say(bob, "before", "b1")
        assert isinstance(first, SendAck)
        await alice.request(GroupRequest(group="team", op="mute", members=["bob"]))
        again = await _say(bob, "before", "b1")
        assert isinstance(again, SendAck) and (again.uid, again.seq) == (first.uid, first.seq)
        refused = await _say(bob, "after", "b2")
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_GROUP
        await alice.request(GroupRequest(group="team", op="kick", members=["bob"]))
        kicked = await _say(bob, "before", "b1")
        assert isinstance(kicked, SendAck) and kicked.uid == first.uid
        outside = await _say(bob, "after", "b3")
        assert isinstance(outside, ErrorFrame) and outside.code == ErrorCode.NOT_IN_GROUP
        reply = await carol.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(reply, PullReply)
        assert [m.cmid for m in reply.messages].count("b1") == 1
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_muted_members_read_but_cannot_send(server_handle: ServerHandle) -> None:
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    try:
        await alice.request(GroupRequest(group="team", op="create", members=["bob", "carol"]))
        muted = await alice.request(GroupRequest(group="team", op="mute", members=["bob"]))
        assert isinstance(muted, GroupInfo) and muted.muted == ["bob"]
        refused = await _say(bob, "can I speak?", "b1")
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_GROUP
        assert isinstance(await _say(carol, "carol speaks", "c1"), SendAck)
        reply = await bob.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(reply, PullReply)  # a muted member still reads
        assert "carol speaks" in [m.content.get("content") for m in reply.messages]

        not_owner = await carol.request(GroupRequest(group="team", op="unmute", members=["bob"]))
        assert isinstance(not_owner, ErrorFrame)

        await alice.request(GroupRequest(group="team", op="unmute", members=["bob"]))
        assert isinstance(await _say(bob, "thanks", "b2"), SendAck)

        await alice.request(GroupRequest(group="team", op="mute_all"))
        info = await alice.request(GroupRequest(group="team", op="allow_speak", members=["carol"]))
        assert isinstance(info, GroupInfo) and info.all_muted and info.speakers == ["carol"]
        silenced = await _say(bob, "and now?", "b3")
        assert isinstance(silenced, ErrorFrame) and silenced.code == ErrorCode.MUTED_IN_GROUP
        assert isinstance(await _say(carol, "I may", "c2"), SendAck)  # on the whitelist
        assert isinstance(await _say(alice, "the owner may", "a1"), SendAck)
        await alice.request(GroupRequest(group="team", op="unmute_all"))
        assert isinstance(await _say(bob, "free again", "b4"), SendAck)
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_outsiders_read_nothing_and_a_dismissed_group_takes_nothing(
    server_handle: ServerHandle,
) -> None:
    alice, bob, eve = [await server_handle.login(u) for u in ("alice", "bob", "eve")]
    try:
        await alice.request(GroupRequest(group="team", op="create", members=["bob"]))
        assert isinstance(await _say(alice, "members only", "a1"), SendAck)
        peek = await eve.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(peek, ErrorFrame) and peek.code == ErrorCode.NOT_IN_GROUP
        asks = await eve.request(GroupRequest(group="team", op="info"))
        assert isinstance(asks, ErrorFrame) and asks.code == ErrorCode.NOT_IN_GROUP
        # Only the app's own account may sync members in.
        sneaks = await eve.request(GroupRequest(group="team", op="sync", members=["eve"]))
        assert isinstance(sneaks, ErrorFrame) and "app server" in sneaks.message

        assert isinstance(await alice.request(GroupRequest(group="team", op="dismiss")), GroupInfo)
        for member in (alice, bob):
            sent = await _say(member, "anyone?", f"late-{id(member)}")
            assert isinstance(sent, ErrorFrame) and sent.code == ErrorCode.NOT_IN_GROUP
            # What came before the dismissal stays theirs to read, the notice last.
            read = await member.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
            assert isinstance(read, PullReply)
            assert read.messages[-1].object_name == messages.GROUP_NTF
            assert read.messages[-1].content["operation"] == "Dismiss"
        peek = await eve.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(peek, ErrorFrame) and peek.code == ErrorCode.NOT_IN_GROUP
    finally:
        for client in (alice, bob, eve):
            await client.close()


async def test_who_left_reads_up_to_leaving_and_nothing_after(
    server_handle: ServerHandle,
) -> None:
    alice, carol = [await server_handle.login(u) for u in ("alice", "carol")]
    try:
        await alice.request(GroupRequest(group="team", op="create", members=["carol"]))
        assert isinstance(await _say(alice, "before", "a1"), SendAck)
        await alice.request(GroupRequest(group="team", op="kick", members=["carol"]))
        assert isinstance(await _say(alice, "after", "a2"), SendAck)

        read = await carol.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(read, PullReply)
        texts = [m.content.get("content") for m in read.messages]
        assert "before" in texts and "after" not in texts
        assert read.messages[-1].content["operation"] == "Kicked"
        back = await carol.request(PullRequest(conv=GROUP, before_seq=99, limit=100))
        assert isinstance(back, PullReply)
        assert "after" not in [m.content.get("content") for m in back.messages]
        synced = await carol.request(SyncRequest(since=0))
        assert isinstance(synced, SyncReply)
        (state,) = [s for s in synced.conversations if s.conv.type == 3]
        assert state.max_seq == read.messages[-1].seq
        refused = await _say(carol, "let me back", "c1")
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP
        asks = await carol.request(ReceiptQuery(conv=GROUP, uids=[read.messages[0].uid]))
        assert isinstance(asks, ErrorFrame) and asks.code == ErrorCode.NOT_IN_GROUP

        # Invited again, carol is a member from now on (her old history stays cleared).
        await alice.request(GroupRequest(group="team", op="invite", members=["carol"]))
        assert isinstance(await _say(carol, "back", "c2"), SendAck)
    finally:
        for client in (alice, carol):
            await client.close()


async def test_the_server_may_let_new_members_read_earlier_history(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", new_members_see_history=True)
    await handle.start()
    alice, carol = await handle.login("alice"), await handle.login("carol")
    try:
        await alice.request(GroupRequest(group="team", op="create"))
        assert isinstance(await _say(alice, "before carol", "a1"), SendAck)
        await alice.request(GroupRequest(group="team", op="invite", members=["carol"]))
        reply = await carol.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
        assert isinstance(reply, PullReply)
        assert "before carol" in [m.content.get("content") for m in reply.messages]
    finally:
        await alice.close()
        await carol.close()
        await handle.stop()


async def test_concurrent_invites_cannot_pass_the_member_limit(tmp_path: Path) -> None:
    async with running_server(tmp_path / "server", max_group_members=10) as handle:
        inviters = [f"m{i}" for i in range(6)]
        clients = [await handle.login(user) for user in ["alice", *inviters]]
        alice = clients[0]
        try:
            made = await alice.request(GroupRequest(group="g", op="create", members=inviters))
            assert isinstance(made, GroupInfo) and len(made.members) == 7
            answers = await asyncio.gather(
                *(
                    client.request(
                        GroupRequest(
                            group="g", op="invite", members=[f"{client_no}-{n}" for n in range(3)]
                        )
                    )
                    for client_no, client in enumerate(clients[1:])
                )
            )
            info = await alice.request(GroupRequest(group="g", op="info"))
            assert isinstance(info, GroupInfo)
            assert len(info.members) <= 10
            accepted = [a for a in answers if isinstance(a, GroupInfo)]
            refused = [a for a in answers if isinstance(a, ErrorFrame)]
            assert len(accepted) == 1 and len(refused) == 5
            assert all("at most 10" in r.message for r in refused)
        finally:
            for client in clients:
                await client.close()

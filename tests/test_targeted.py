"""Targeted group messages: only the chosen members receive them, and nobody else sees
a gap, a count or a trace of them, live, after a sync, a pull, a recall or a restart."""

from __future__ import annotations

import asyncio

from imkit_tui.core import IMClient
from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    PullReply,
    PullRequest,
    Recall,
    SendAck,
    SendMessage,
    SyncReply,
    SyncRequest,
)
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.wire import WireClient

GROUP = ConvRef(type=ConversationType.GROUP, target="team")


async def _say(client: WireClient, text: str, cmid: str, to: list[str] | None = None) -> object:
    frame = SendMessage(
        conv=GROUP, object_name="RC:TxtMsg", content={"content": text}, cmid=cmid, to=to or []
    )
    return await client.request(frame)


async def _pull(client: WireClient) -> list[tuple[int, str]]:
    reply = await client.request(PullRequest(conv=GROUP, after_seq=0, limit=100))
    assert isinstance(reply, PullReply)
    return [(m.seq, str(m.content.get("content", m.object_name))) for m in reply.messages]


async def _cursor(client: WireClient, since: int = 0) -> tuple[int, SyncReply]:
    reply = await client.request(SyncRequest(since=since))
    assert isinstance(reply, SyncReply)
    return reply.cursor, reply


async def _create(owner: WireClient, *members: str) -> None:
    created = await owner.request(GroupRequest(group="team", op="create", members=list(members)))
    assert isinstance(created, GroupInfo)


async def test_only_the_audience_receives_and_the_others_number_without_a_gap(
    server_handle: ServerHandle,
) -> None:
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    try:
        await _create(alice, "bob", "carol")
        for client in (bob, carol):
            await client.next_push()  # the "created" notice, seq 1
        assert isinstance(await _say(alice, "for all 1", "a1"), SendAck)
        secret = await _say(alice, "for bob only", "a2", to=["bob"])
        assert isinstance(secret, SendAck) and secret.seq == 3
        assert isinstance(await _say(alice, "for all 2", "a3"), SendAck)

        bob_live = [await bob.next_push() for _ in range(3)]
        assert [(p.message.seq, p.message.content["content"]) for p in bob_live] == [
            (2, "for all 1"),
            (3, "for bob only"),
            (4, "for all 2"),
        ]
        assert bob_live[1].message.to == ["bob"] and bob_live[0].message.to == []
        carol_live = [await carol.next_push() for _ in range(2)]
        assert [(p.message.seq, p.message.content["content"]) for p in carol_live] == [
            (2, "for all 1"),
            (3, "for all 2"),
        ]
        with_nothing_more = asyncio.timeout(0.3)
        try:
            async with with_nothing_more:
                extra = await carol.next_push()
            raise AssertionError(f"carol received {extra}")
        except TimeoutError:
            pass

        assert [text for _, text in await _pull(carol)][1:] == ["for all 1", "for all 2"]
        assert [seq for seq, _ in await _pull(carol)] == [1, 2, 3]
        assert [seq for seq, _ in await _pull(bob)] == [1, 2, 3, 4]

        _, carol_sync = await _cursor(carol)
        (state,) = carol_sync.conversations
        assert state.max_seq == 3
        _, bob_sync = await _cursor(bob)
        assert bob_sync.conversations[0].max_seq == 4
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_a_targeted_message_leaves_no_trace_in_the_others_sync(
    server_handle: ServerHandle,
) -> None:
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    try:
        await _create(alice, "bob", "carol")
        carol_cursor, _ = await _cursor(carol)
        bob_cursor, _ = await _cursor(bob)
        assert isinstance(await _say(alice, "psst", "a1", to=["bob"]), SendAck)
        _, nothing = await _cursor(carol, carol_cursor)
        assert nothing.conversations == []
        _, something = await _cursor(bob, bob_cursor)
        assert [s.max_seq for s in something.conversations] == [2]

        # A recall of it reaches its audience only, and keeps the others' numbering.
        reply = await bob.request(PullRequest(conv=GROUP, after_seq=1, limit=1))
        assert isinstance(reply, PullReply)
        recalled = await alice.request(Recall(conv=GROUP, uid=reply.messages[0].uid))
        assert isinstance(recalled, SendAck) and recalled.seq == 3
        _, still_nothing = await _cursor(carol, carol_cursor)
        assert still_nothing.conversations == []
        assert [text for _, text in await _pull(bob)][1:] == ["RC:RcNtf", "RC:RcCmd"]
        assert isinstance(await _say(alice, "hello all", "a2"), SendAck)
        assert await _pull(carol) == [(1, "RC:GrpNtf"), (2, "hello all")]
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_bad_targets_are_refused(server_handle: ServerHandle) -> None:
    alice = await server_handle.login("alice")
    try:
        await _create(alice, "bob")
        stranger = await _say(alice, "x", "a1", to=["mallory"])
        assert isinstance(stranger, ErrorFrame) and stranger.code == ErrorCode.INVALID_PARAMETER
        assert "mallory" in stranger.message
        myself = await _say(alice, "x", "a2", to=["alice"])
        assert isinstance(myself, ErrorFrame) and myself.code == ErrorCode.INVALID_PARAMETER
        private = await alice.request(
            SendMessage(
                conv=ConvRef.private("bob"),
                object_name="RC:TxtMsg",
                content={"content": "x"},
                cmid="a3",
                to=["bob"],
            )
        )
        assert isinstance(private, ErrorFrame) and private.code == ErrorCode.INVALID_PARAMETER
    finally:
        await alice.close()


async def _texts(client: IMClient) -> list[tuple[int | None, str]]:
    page = await client.messages(GROUP, limit=100)
    return [(m.seq, str(m.content.get("content", m.object_name))) for m in page]


async def test_clients_see_their_own_numbering_across_offline_reads_deletes_and_a_restart(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    await alice.groups.create("team", "Team", ["bob", "carol"])
    await alice.send_text(GROUP, "one")
    targeted = await alice.send_text(GROUP, "two, bob only", to=["bob"])
    assert targeted.to == ("bob",)
    await alice.send_text(GROUP, "three")

    carol = await make_client("carol")  # was offline for all of it

    async def carol_has_all() -> bool:
        return len(await _texts(carol)) == 3

    await until_client(carol, carol_has_all)
    assert await _texts(carol) == [(1, "RC:GrpNtf"), (2, "one"), (3, "three")]
    (carol_row,) = [c for c in await carol.conversations() if c.ref == GROUP]
    assert carol_row.unread == 2 and carol_row.preview.endswith("three")

    async def bob_has_all() -> bool:
        return len(await _texts(bob)) == 4

    await until_client(bob, bob_has_all)
    bob_seen = await _texts(bob)
    assert bob_seen[2] == (3, "two, bob only")
    (bob_message,) = [m for m in await bob.messages(GROUP, limit=100) if m.seq == 3]
    assert bob_message.to == ("bob",)

    # carol reads and deletes in her numbering; the server applies it to the right ones.
    await carol.mark_read(GROUP)
    (three,) = [m for m in await carol.messages(GROUP, limit=100) if m.seq == 3]
    await carol.history.delete([three], everywhere=True)
    await server_handle.stop()
    await server_handle.start()
    again = await make_client("carol", device="second")

    async def second_synced() -> bool:
        return len(await _texts(again)) >= 1

    await until_client(again, second_synced)
    (row,) = [c for c in await again.conversations() if c.ref == GROUP]
    assert row.unread == 0 and row.max_seq == 3
    # Her "three" (the conversation's fourth) comes back as her tombstone, nothing else.
    assert await _texts(again) == [(1, "RC:GrpNtf"), (2, "one"), (3, "imkit:Deleted")]


async def test_a_targeted_message_queued_offline_keeps_its_audience_across_a_restart(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    alice = await make_client("alice")
    bob, carol = await make_client("bob"), await make_client("carol")
    await alice.groups.create("team", "Team", ["bob", "carol"])
    await server_handle.stop()
    queued = await alice.send_text(GROUP, "only bob, sent later", to=["bob"])
    assert queued.seq is None and queued.to == ("bob",)
    await alice.close()  # the app quits with the message still in its outbox
    await server_handle.start()
    again = await make_client("alice")  # same store: the outbox sends it now
    await again.wait_sent([queued.id], timeout=10)

    async def bob_has_it() -> bool:
        return any(m.to == ("bob",) for m in await bob.messages(GROUP))

    await until_client(bob, bob_has_it)
    await carol.wait_synced(timeout=10)
    assert all("sent later" not in str(m.content) for m in await carol.messages(GROUP))
    assert [m.seq for m in await carol.messages(GROUP)] == [1]

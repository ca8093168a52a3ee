"""Block lists and whitelists on the server: refused sends (405), pushes, bad input."""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Ping,
    Pong,
    PrivacyState,
    Push,
    SendAck,
    ServerFrame,
    SyncReply,
    SyncRequest,
    UpdatePrivacy,
)
from tests.conftest import ServerHandle
from tests.wire import WireClient


async def _privacy(client: WireClient, **change: Any) -> PrivacyState:
    answer = await client.request(UpdatePrivacy(**change))
    assert isinstance(answer, PrivacyState), answer
    return answer


async def _refused(client: WireClient, to: str, cmid: str, **extra: Any) -> ErrorFrame:
    answer = await client.send_text(to, "hello?", cmid, **extra)
    assert isinstance(answer, ErrorFrame), answer
    return answer


async def _next_privacy_push(client: WireClient) -> PrivacyState:
    while True:
        frame: ServerFrame = await client.recv()
        if isinstance(frame, PrivacyState):
            assert frame.re == 0
            return frame


async def _conversations(client: WireClient) -> list[ConvRef]:
    reply = await client.request(SyncRequest(since=0))
    assert isinstance(reply, SyncReply)
    return [state.conv for state in reply.conversations]


async def test_a_blocked_sender_is_refused_and_nothing_is_stored_or_pushed(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob", "phone")
    bob_desk = await server_handle.login("bob", "desk")
    carol = await server_handle.login("carol")
    try:
        state = await _privacy(bob, block=["alice"])
        assert state.blocked == ["alice"] and state.allowed == [] and not state.whitelist_mode
        pushed = await _next_privacy_push(bob_desk)
        assert pushed.blocked == ["alice"]

        refused = await _refused(alice, "bob", "c1")
        assert refused.code == ErrorCode.REJECTED_BY_BLACKLIST and "bob" in refused.message
        # A typing status is refused as well.
        typing = await _refused(
            alice, "bob", "t1", object_name="RC:TypSts", content={"typingContentType": "x"}
        )
        assert typing.code == ErrorCode.REJECTED_BY_BLACKLIST
        # Nothing reached bob: the next push he gets is carol's.
        assert isinstance(await carol.send_text("bob", "from carol", "k1"), SendAck)
        push = await bob.next_push()
        assert push.message.sender == "carol"
        # Nothing was stored either: no conversation with alice on either side.
        assert ConvRef.private("alice") not in await _conversations(bob)
        assert await _conversations(alice) == []

        state = await _privacy(bob, unblock=["alice"])
        assert state.blocked == []
        assert (await _next_privacy_push(bob_desk)).blocked == []
        ack = await alice.send_text("bob", "let me in", "c2")
        assert isinstance(ack, SendAck) and ack.seq == 1
        delivered = await bob.next_push()
        assert delivered.message.sender == "alice" and delivered.message.seq == 1
    finally:
        for client in (alice, bob, bob_desk, carol):
            await client.close()


async def test_whitelist_mode_lets_only_listed_users_in_and_ignores_the_block_list(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob")
    carol = await server_handle.login("carol")
    try:
        await _privacy(bob, block=["carol", "alice"], allow=["carol"])
        state = await _privacy(bob, whitelist_mode=True)
        assert state.whitelist_mode and state.allowed == ["carol"]
        assert state.blocked == ["alice", "carol"]  # kept, just not consulted

        # carol is listed: let in, although she is on the block list.
        assert isinstance(await carol.send_text("bob", "listed", "k1"), SendAck)
        assert (await bob.next_push()).message.sender == "carol"
        # alice is not listed: refused. Unblocking her changes nothing in this mode.
        await _privacy(bob, unblock=["alice"])
        assert (await _refused(alice, "bob", "c1")).code == ErrorCode.REJECTED_BY_BLACKLIST
        # bob may still write notes to himself.
        assert isinstance(await bob.send_text("bob", "note", "n1"), SendAck)

        await _privacy(bob, allow=["alice"], disallow=["carol"])
        assert isinstance(await alice.send_text("bob", "now listed", "c2"), SendAck)
        assert (await _refused(carol, "bob", "k2")).code == ErrorCode.REJECTED_BY_BLACKLIST

        # Off again: the block list counts again (carol), alice is not blocked.
        state = await _privacy(bob, whitelist_mode=False)
        assert not state.whitelist_mode
        assert (await _refused(carol, "bob", "k3")).code == ErrorCode.REJECTED_BY_BLACKLIST
        assert isinstance(await alice.send_text("bob", "still fine", "c3"), SendAck)
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_groups_are_not_affected(server_handle: ServerHandle) -> None:
    server = server_handle.server
    assert server is not None
    await server.create_group("g1", "G", "alice", ["bob"])
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob")
    try:
        await _privacy(bob, block=["alice"])
        await _privacy(bob, whitelist_mode=True)
        group = ConvRef(type=ConversationType.GROUP, target="g1")
        ack = await alice.send_text("", "to the group", "g-1", conv=group)
        assert isinstance(ack, SendAck)
        push = await bob.next_push()
        assert push.message.conv == group and push.message.sender == "alice"
    finally:
        await alice.close()
        await bob.close()


async def test_a_retry_of_a_message_stored_before_the_block_gets_its_ack(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob")
    try:
        first = await alice.send_text("bob", "before", "c1")
        assert isinstance(first, SendAck)
        await _privacy(bob, block=["alice"])
        again = await alice.send_text("bob", "before", "c1")
        assert isinstance(again, SendAck) and again.uid == first.uid and again.seq == first.seq
        assert (await _refused(alice, "bob", "c2")).code == ErrorCode.REJECTED_BY_BLACKLIST
    finally:
        await alice.close()
        await bob.close()


async def test_reading_changes_nothing_and_pushes_nothing(server_handle: ServerHandle) -> None:
    bob = await server_handle.login("bob", "phone")
    bob_desk = await server_handle.login("bob", "desk")
    try:
        fresh = await _privacy(bob)
        assert fresh.blocked == [] and fresh.allowed == [] and not fresh.whitelist_mode
        await _privacy(bob, block=["eve"])
        await _next_privacy_push(bob_desk)
        assert (await _privacy(bob)).blocked == ["eve"]
        await _privacy(bob, block=["eve"])  # already blocked: no change
        assert await _first_frame_or_none(bob_desk) is None
    finally:
        await bob.close()
        await bob_desk.close()


async def test_rules_survive_a_restart(server_handle: ServerHandle) -> None:
    bob = await server_handle.login("bob")
    await _privacy(bob, block=["alice"], allow=["carol"], whitelist_mode=True)
    await bob.close()
    await server_handle.stop()
    await server_handle.start()
    bob = await server_handle.login("bob")
    alice = await server_handle.login("alice")
    try:
        state = await _privacy(bob)
        assert state.blocked == ["alice"] and state.allowed == ["carol"] and state.whitelist_mode
        assert (await _refused(alice, "bob", "c1")).code == ErrorCode.REJECTED_BY_BLACKLIST
    finally:
        await bob.close()
        await alice.close()


async def test_bad_input_is_answered_without_dropping_the_connection(
    server_handle: ServerHandle,
) -> None:
    bob = await server_handle.login("bob")
    try:
        myself = await bob.request(UpdatePrivacy(block=["bob"]))
        assert isinstance(myself, ErrorFrame) and myself.code == ErrorCode.INVALID_PARAMETER
        too_long = await bob.request(UpdatePrivacy(block=["x" * 65]))
        assert isinstance(too_long, ErrorFrame) and too_long.code == ErrorCode.MALFORMED_FRAME
        empty = await bob.request(UpdatePrivacy(allow=[""]))
        assert isinstance(empty, ErrorFrame) and empty.code == ErrorCode.MALFORMED_FRAME
        many = await bob.request(UpdatePrivacy(block=[f"u{i}" for i in range(501)]))
        assert isinstance(many, ErrorFrame) and many.code == ErrorCode.MALFORMED_FRAME
        # The lists are bounded in all: 3000 users each.
        for start in range(0, 3000, 500):
            await _privacy(bob, block=[f"u{i}" for i in range(start, start + 500)])
        over = await bob.request(UpdatePrivacy(block=["one-more"]))
        assert isinstance(over, ErrorFrame) and over.code == ErrorCode.INVALID_PARAMETER
        state = await _privacy(bob)
        assert len(state.blocked) == 3000 and "one-more" not in state.blocked
        assert isinstance(await bob.request(Ping()), Pong)
    finally:
        await bob.close()


async def test_pushes_are_not_sent_for_privacy_to_other_users(server_handle: ServerHandle) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob")
    try:
        await _privacy(bob, block=["alice"])
        # alice is not told she was blocked: her next frame is the answer to her ping.
        pong = await alice.request(Ping())
        assert isinstance(pong, Pong)
        frame = await _first_frame_or_none(alice)
        assert frame is None or isinstance(frame, Push)
    finally:
        await alice.close()
        await bob.close()


async def _first_frame_or_none(client: WireClient, wait: float = 0.1) -> ServerFrame | None:
    try:
        return await client.recv(wait)
    except TimeoutError:
        return None

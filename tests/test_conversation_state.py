"""Read positions and per-user settings on the server: forward only, synced, pushed."""

from __future__ import annotations

from imkit_tui.protocol import (
    ConversationType,
    ConversationUpdate,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    MarkRead,
    ServerFrame,
    SyncReply,
    SyncRequest,
    UpdateConversation,
)
from tests.conftest import ServerHandle
from tests.wire import WireClient


async def _next_update(client: WireClient) -> ConversationUpdate:
    while True:
        frame: ServerFrame = await client.recv()
        if isinstance(frame, ConversationUpdate):
            return frame


async def _state_of(client: WireClient, conv: ConvRef, since: int = 0) -> ConversationUpdate:
    reply = await client.request(SyncRequest(since=since))
    assert isinstance(reply, SyncReply)
    (state,) = [s for s in reply.conversations if s.conv == conv]
    return ConversationUpdate(state=state)


async def test_read_positions_move_forward_and_reach_devices_and_peer(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob", "phone")
    bob_desk = await server_handle.login("bob", "desk")
    try:
        for i in range(3):
            await alice.send_text("bob", f"hi {i}", f"c{i}")
        from_bob = ConvRef.private("alice")
        answer = await bob.request(MarkRead(conv=from_bob, seq=2))
        assert isinstance(answer, ConversationUpdate)
        assert answer.state.read_seq == 2 and answer.state.max_seq == 3

        # bob's other device learns it, and alice sees it as a read receipt.
        assert (await _next_update(bob_desk)).state.read_seq == 2
        receipt = await _next_update(alice)
        assert receipt.state.conv == ConvRef.private("bob")
        assert receipt.state.peer_read_seq == 2 and receipt.state.read_seq == 0

        # Backwards does nothing; past the end stops at the last message.
        again = await bob.request(MarkRead(conv=from_bob, seq=1))
        assert isinstance(again, ConversationUpdate) and again.state.read_seq == 2
        ahead = await bob.request(MarkRead(conv=from_bob, seq=99))
        assert isinstance(ahead, ConversationUpdate) and ahead.state.read_seq == 3

        # A device that was away gets it from sync.
        late = await server_handle.login("alice", "laptop")
        try:
            synced = await _state_of(late, ConvRef.private("bob"))
            assert synced.state.peer_read_seq == 3
        finally:
            await late.close()
    finally:
        for client in (alice, bob, bob_desk):
            await client.close()


async def test_a_read_change_moves_the_sync_cursor(server_handle: ServerHandle) -> None:
    alice = await server_handle.login("alice")
    bob = await server_handle.login("bob")
    try:
        await alice.send_text("bob", "hello", "c1")
        first = await bob.request(SyncRequest(since=0))
        assert isinstance(first, SyncReply) and len(first.conversations) == 1
        nothing = await bob.request(SyncRequest(since=first.cursor))
        assert isinstance(nothing, SyncReply) and nothing.conversations == []
        await bob.request(MarkRead(conv=ConvRef.private("alice"), seq=1))
        moved = await bob.request(SyncRequest(since=first.cursor))
        assert isinstance(moved, SyncReply)
        (state,) = moved.conversations
        assert state.read_seq == 1 and moved.cursor > first.cursor
    finally:
        await alice.close()
        await bob.close()


async def test_settings_are_per_user_and_reach_other_devices(server_handle: ServerHandle) -> None:
    bob = await server_handle.login("bob", "phone")
    bob_desk = await server_handle.login("bob", "desk")
    alice = await server_handle.login("alice")
    try:
        # Pinning a chat that has no message yet creates it.
        conv = ConvRef.private("carol")
        answer = await bob.request(UpdateConversation(conv=conv, pinned=True, muted=True))
        assert isinstance(answer, ConversationUpdate)
        assert answer.state.pinned and answer.state.muted and not answer.state.marked_unread
        pushed = await _next_update(bob_desk)
        assert pushed.state.pinned and pushed.state.muted

        unpinned = await bob.request(UpdateConversation(conv=conv, pinned=False))
        assert isinstance(unpinned, ConversationUpdate)
        assert not unpinned.state.pinned and unpinned.state.muted  # muted untouched

        await alice.send_text("bob", "hello", "c1")
        marked = await bob.request(
            UpdateConversation(conv=ConvRef.private("alice"), marked_unread=True)
        )
        assert isinstance(marked, ConversationUpdate) and marked.state.marked_unread
        read = await bob.request(MarkRead(conv=ConvRef.private("alice"), seq=1))
        assert isinstance(read, ConversationUpdate) and not read.state.marked_unread
        # The peer's own settings are untouched.
        mine = await _state_of(alice, ConvRef.private("bob"))
        assert not mine.state.muted and not mine.state.pinned
    finally:
        for client in (alice, bob, bob_desk):
            await client.close()


async def test_non_members_cannot_touch_a_group(server_handle: ServerHandle) -> None:
    server = server_handle.server
    assert server is not None
    await server.create_group("g1", "G", "alice", ["bob"])
    eve = await server_handle.login("eve")
    try:
        group = ConvRef(type=ConversationType.GROUP, target="g1")
        refused = await eve.request(MarkRead(conv=group, seq=1))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP
        refused = await eve.request(UpdateConversation(conv=group, muted=True))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP
    finally:
        await eve.close()

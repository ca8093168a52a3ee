"""Recall, delete for me and clear history on the server: events, tombstones, floors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import (
    ClearHistory,
    ConversationUpdate,
    ConvRef,
    DeleteMessages,
    ErrorCode,
    ErrorFrame,
    PullReply,
    PullRequest,
    Push,
    Recall,
    SendAck,
)
from tests.conftest import ServerHandle
from tests.wire import WireClient

BOB = ConvRef.private("bob")
ALICE = ConvRef.private("alice")


async def _pull(client: WireClient, conv: ConvRef) -> PullReply:
    reply = await client.request(PullRequest(conv=conv, after_seq=0, limit=100))
    assert isinstance(reply, PullReply)
    return reply


async def test_a_recall_replaces_the_content_everywhere_and_has_its_own_seq(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    try:
        sent = await alice.send_text("bob", "oops, wrong chat", "c1")
        assert isinstance(sent, SendAck)
        await bob.next_push()
        answer = await alice.request(Recall(conv=BOB, uid=sent.uid))
        assert isinstance(answer, SendAck) and answer.seq == 2
        push = await bob.next_push()
        assert push.message.object_name == messages.RECALL
        assert push.message.content["messageUId"] == sent.uid and push.message.seq == 2
        # A retry answers the same, and stores nothing more.
        again = await alice.request(Recall(conv=BOB, uid=sent.uid))
        assert isinstance(again, SendAck) and again.uid == answer.uid and again.seq == 2

        page = await _pull(bob, ALICE)
        original, command = page.messages
        assert original.object_name == messages.RECALL_NTF
        assert "oops" not in str(original.content)
        assert original.content["operatorId"] == "alice"
        assert command.object_name == messages.RECALL
        # The server's own store keeps none of the text.
        rows = await server_handle.stored_rows("SELECT content FROM messages")
        assert not any("oops" in str(row[0]) for row in rows)
    finally:
        await alice.close()
        await bob.close()


async def test_only_the_sender_recalls_within_the_configured_window(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", recall_seconds=0)
    await handle.start()
    alice = await WireClient.login(handle.url, handle.token("alice"))
    bob = await WireClient.login(handle.url, handle.token("bob"))
    try:
        sent = await alice.send_text("bob", "mine", "c1")
        assert isinstance(sent, SendAck)
        refused = await bob.request(Recall(conv=ALICE, uid=sent.uid))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.INVALID_PARAMETER
        unknown = await alice.request(Recall(conv=BOB, uid="no-such-uid"))
        assert isinstance(unknown, ErrorFrame)
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()
    strict = ServerHandle(tmp_path / "strict", recall_seconds=1)
    await strict.start()
    alice = await WireClient.login(strict.url, strict.token("alice"))
    try:
        sent = await alice.send_text("bob", "soon too late", "c1")
        assert isinstance(sent, SendAck)
        await asyncio.sleep(1.1)
        late = await alice.request(Recall(conv=BOB, uid=sent.uid))
        assert isinstance(late, ErrorFrame) and "too old" in late.message
    finally:
        await alice.close()
        await strict.stop()


async def test_delete_and_clear_change_only_my_view(server_handle: ServerHandle) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"), "phone")
    bob_desk = await WireClient.login(server_handle.url, server_handle.token("bob"), "desk")
    try:
        for i in range(5):
            await alice.send_text("bob", f"m{i}", f"c{i}")
        answer = await bob.request(DeleteMessages(conv=ALICE, seqs=[2, 4, 99]))
        assert isinstance(answer, ConversationUpdate) and answer.state.deleted_seqs == [2, 4]
        pushed = await bob_desk.recv()
        while not isinstance(pushed, ConversationUpdate):
            assert isinstance(pushed, Push)
            pushed = await bob_desk.recv()
        assert pushed.state.deleted_seqs == [2, 4]

        page = await _pull(bob, ALICE)
        assert [m.seq for m in page.messages] == [1, 2, 3, 4, 5]  # gapless
        kinds = [m.object_name for m in page.messages]
        assert kinds[1] == kinds[3] == messages.DELETED and page.messages[1].content == {}
        # alice still has everything.
        assert all(m.object_name == messages.TEXT for m in (await _pull(alice, BOB)).messages)

        cleared = await bob.request(ClearHistory(conv=ALICE, seq=3))
        assert isinstance(cleared, ConversationUpdate)
        assert cleared.state.cleared_seq == 3 and cleared.state.deleted_seqs == [4]
        assert cleared.state.read_seq >= 3
        page = await _pull(bob, ALICE)
        assert [m.seq for m in page.messages] == [4, 5] and page.floor_seq == 4
        assert len((await _pull(alice, BOB)).messages) == 5
    finally:
        for client in (alice, bob, bob_desk):
            await client.close()

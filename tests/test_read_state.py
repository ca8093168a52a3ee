"""Read receipts, unread counts that stay right, and settings that follow every device."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core import ConversationUpdated, IMClient
from imkit_tui.core.models import Conversation
from imkit_tui.core.store import Coverage, LocalStore
from imkit_tui.protocol import ConversationState, ConvRef, MessageRecord
from tests.conftest import ClientFactory, ServerHandle

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")


async def _row(client: IMClient, conv: ConvRef) -> Conversation:
    row = await client.conversation(conv)
    assert row is not None
    return row


async def _until(client: IMClient, conv: ConvRef, check: Callable[[Conversation], bool]) -> None:
    """Wait until the conversation's row passes `check` (re-read after every event)."""
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while True:
                row = await client.conversation(conv)
                if row is not None and check(row):
                    return
                event = await events.next()
                if (
                    isinstance(event, ConversationUpdated)
                    and event.conversation.ref == conv
                    and check(event.conversation)
                ):
                    return


async def _send(client: IMClient, conv: ConvRef, texts: list[str]) -> None:
    sent = [await client.send_text(conv, text) for text in texts]
    await client.wait_sent([m.id for m in sent], timeout=10)


async def test_reading_on_one_device_clears_the_other_and_tells_the_sender(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    phone, desk = await make_client("bob", "phone"), await make_client("bob", "desk")
    await _send(alice, BOB, ["one", "two", "three"])
    await _until(desk, ALICE, lambda c: c.unread == 3)
    await _until(phone, ALICE, lambda c: c.unread == 3)

    row = await phone.mark_read(ALICE)
    assert row.unread == 0 and row.read_seq == 3
    await _until(desk, ALICE, lambda c: c.unread == 0 and c.read_seq == 3)
    await _until(alice, BOB, lambda c: c.peer_read_seq == 3)


async def test_a_read_made_offline_reaches_the_server_later(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _send(alice, BOB, ["while you were away"])
    await _until(bob, ALICE, lambda c: c.unread == 1)
    await server_handle.stop()
    row = await bob.mark_read(ALICE)  # offline: applied here at once
    assert row.unread == 0
    await server_handle.start()
    await _until(alice, BOB, lambda c: c.peer_read_seq == 1)


async def test_dnd_pin_and_mark_unread_follow_every_device(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    phone, desk = await make_client("bob", "phone"), await make_client("bob", "desk")
    await _send(alice, BOB, ["hello"])
    await _until(desk, ALICE, lambda c: c.unread == 1)

    row = await phone.change_settings(ALICE, muted=True, pinned=True)
    assert row.muted and row.pinned
    await _until(desk, ALICE, lambda c: c.muted and c.pinned)
    assert await desk.total_unread() == 0  # a muted chat does not count in the total

    await phone.mark_read(ALICE)
    await phone.change_settings(ALICE, marked_unread=True)
    await _until(desk, ALICE, lambda c: c.marked_unread and c.unread == 0)
    await desk.mark_read(ALICE)
    await _until(phone, ALICE, lambda c: not c.marked_unread)
    # The sender's own settings never changed.
    mine = await _row(alice, BOB)
    assert not mine.muted and not mine.pinned


async def test_unread_stays_right_across_a_reconnect(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _send(alice, BOB, ["a", "b", "c"])
    await _until(bob, ALICE, lambda c: c.unread == 3)
    await server_handle.stop()
    await server_handle.start()
    await _send(alice, BOB, ["d"])
    await _until(bob, ALICE, lambda c: c.unread == 4)
    await bob.wait_synced(timeout=10)
    assert (await _row(bob, ALICE)).unread == 4


async def test_own_messages_from_another_device_and_uncounted_types_do_not_count(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    phone, desk = await make_client("bob", "phone"), await make_client("bob", "desk")
    await _send(alice, BOB, ["counted"])
    await alice.send(BOB, messages.INFO_NTF, {"message": "a grey notice"})
    await _send(desk, ALICE, ["my reply from the desk"])
    await _until(phone, ALICE, lambda c: c.preview == "my reply from the desk")
    assert (await _row(phone, ALICE)).unread == 1


async def test_a_read_mark_before_the_messages_it_covers(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "store.db", "bob")
    try:
        await store.state.apply_state(
            ConversationState(conv=ALICE, max_seq=6, last_at=0, read_seq=5)
        )
        records = [
            MessageRecord(
                uid=f"u{seq}",
                conv=ALICE,
                seq=seq,
                sender="alice",
                object_name=messages.TEXT,
                content={"content": f"m{seq}"},
                cmid=f"c{seq}",
                sent_at=seq,
            )
            for seq in range(1, 7)
        ]
        await store.messages.add_received(
            ALICE, records, Coverage(synced_seq=6, floor_seq=1, max_seq=6)
        )
        row = await store.conversations.get(ALICE)
        assert row is not None and row.unread == 1 and row.read_seq == 5
        # An older read position arriving later never moves it back.
        await store.state.apply_state(
            ConversationState(conv=ALICE, max_seq=6, last_at=0, read_seq=2)
        )
        row = await store.conversations.get(ALICE)
        assert row is not None and row.unread == 1 and row.read_seq == 5
    finally:
        await store.close()

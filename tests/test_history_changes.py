"""Recall, delete, clear history and remove a conversation, through real clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from imkit_tui import messages
from imkit_tui.core import (
    Event,
    HistoryCleared,
    IMClient,
    Message,
    MessagesDeleted,
    MessageUpdated,
    NotConnected,
)
from imkit_tui.protocol import ConvRef
from tests.conftest import ClientFactory, ServerHandle

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")


async def _send(client: IMClient, conv: ConvRef, texts: list[str]) -> list[Message]:
    sent = [await client.send_text(conv, text) for text in texts]
    return await client.wait_sent([m.id for m in sent], timeout=10)


async def _wait_for(client: IMClient, match: Callable[[Event], bool]) -> Event:
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while True:
                event = await events.next()
                if match(event):
                    return event


async def _synced_page(client: IMClient, conv: ConvRef, count: int) -> list[Message]:
    """The local page of `conv` once it holds `count` messages (re-read on each event)."""
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while len(page := await client.messages(conv)) < count:
                await events.next()
    return page


async def test_a_recall_becomes_a_notice_on_every_device_and_keeps_no_text(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    (sent,) = await _send(alice, BOB, ["a secret for bob"])
    await _synced_page(bob, ALICE, 1)
    assert (await bob.conversation(ALICE)).unread == 1  # type: ignore[union-attr]

    waiting = asyncio.ensure_future(
        _wait_for(bob, lambda e: isinstance(e, MessageUpdated) and e.message.uid == sent.uid)
    )
    await asyncio.sleep(0)
    recalled = await alice.history.recall(sent)
    assert recalled.object_name == messages.RECALL_NTF and "secret" not in str(recalled.content)
    event = await waiting
    assert isinstance(event, MessageUpdated)
    assert event.message.object_name == messages.RECALL_NTF
    assert messages.summarize(event.message.object_name, event.message.content) == (
        "alice recalled a message"
    )
    row = await bob.conversation(ALICE)
    assert row is not None and row.unread == 0 and row.preview == "Message recalled"
    for client in (alice, bob):
        rows = await client.store._reader.fetch_all("SELECT content FROM messages", ())
        assert not any("secret" in str(r[0]) for r in rows), client.user_id
    # Recalling again is harmless; recalling someone else's message is refused.
    assert (await alice.history.recall(recalled)).object_name == messages.RECALL_NTF
    (bobs,) = await _send(bob, ALICE, ["mine"])
    with pytest.raises(ValueError):
        await alice.history.recall(bobs)


async def test_recall_needs_the_server(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice = await make_client("alice")
    (sent,) = await _send(alice, BOB, ["too late to take back offline"])
    await server_handle.stop()
    await asyncio.sleep(0.1)
    with pytest.raises(NotConnected):
        await alice.history.recall(sent)
    assert (await alice.messages(BOB))[0].object_name == messages.TEXT


async def test_delete_here_or_everywhere(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    phone, desk = await make_client("bob", "phone"), await make_client("bob", "desk")
    await _send(alice, BOB, ["one", "two", "three"])
    page = await _synced_page(phone, ALICE, 3)
    await _synced_page(desk, ALICE, 3)

    await phone.history.delete([page[0]])  # only on this device
    kinds = [m.object_name for m in await phone.messages(ALICE)]
    assert kinds == [messages.DELETED, messages.TEXT, messages.TEXT]
    assert (await desk.messages(ALICE))[0].object_name == messages.TEXT

    waiting = asyncio.ensure_future(_wait_for(desk, lambda e: isinstance(e, MessagesDeleted)))
    await asyncio.sleep(0)
    await phone.history.delete([page[1]], everywhere=True)
    await waiting
    desk_kinds = [m.object_name for m in await desk.messages(ALICE)]
    assert desk_kinds == [messages.TEXT, messages.DELETED, messages.TEXT]
    assert all(m.object_name == messages.TEXT for m in await alice.messages(BOB))
    # A device that syncs from scratch gets the tombstone, not the message.
    fresh = await make_client("bob", "tablet")
    history = await fresh.history.load(ALICE)
    assert [m.object_name for m in history][1] == messages.DELETED


async def test_clear_history_everywhere_and_unread_after_it(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    phone, desk = await make_client("bob", "phone"), await make_client("bob", "desk")
    await _send(alice, BOB, ["a", "b", "c"])
    await _synced_page(phone, ALICE, 3)
    await _synced_page(desk, ALICE, 3)
    waiting = asyncio.ensure_future(_wait_for(desk, lambda e: isinstance(e, HistoryCleared)))
    await asyncio.sleep(0)
    await phone.history.clear(ALICE, everywhere=True)
    await waiting
    for device in (phone, desk):
        assert await device.messages(ALICE) == []
        row = await device.conversation(ALICE)
        assert row is not None and row.unread == 0
    assert await phone.history.load(ALICE) == []  # cloud history is cleared for bob too
    assert len(await alice.history.load(BOB)) == 3
    await _send(alice, BOB, ["after the clear"])
    await _synced_page(phone, ALICE, 1)
    assert (await phone.conversation(ALICE)).unread == 1  # type: ignore[union-attr]


async def test_a_removed_conversation_comes_back_with_its_next_message(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _send(alice, BOB, ["hi"])
    await _synced_page(bob, ALICE, 1)
    await bob.history.remove_conversation(ALICE)
    assert [c.ref for c in await bob.conversations()] == []
    await _send(alice, BOB, ["are you there?"])
    await _synced_page(bob, ALICE, 2)
    assert [c.ref for c in await bob.conversations()] == [ALICE]

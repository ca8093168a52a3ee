"""Read receipts on own messages, and pin / do not disturb / mark as unread from the list."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.conversation_list import ConversationList
from imkit_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import ClientFactory
from tests.ui.test_app import bob_said_hello, list_lines, make_app, send_all, until

ME = ConvRef.private("me")
BOB = ConvRef.private("bob")


async def test_own_messages_show_read_when_the_peer_reads(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(*"hi bob", "enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq == 2, "the ack")
        mine = chat.bubbles()[-1]
        assert mine.own and "Read" not in mine.meta_text
        await bob.mark_read(ME)
        await until(pilot, lambda: mine.meta_text.startswith("✓✓ Read"), "the read receipt")
        # bob's own message is not an own message here: it never shows a receipt.
        theirs = chat.bubbles()[0]
        assert not theirs.own and "Read" not in theirs.meta_text


async def test_pin_mute_and_mark_unread_from_the_list(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(bob, "me", ["from bob"])
    await send_all(alice, "me", ["from alice"])  # alice on top
    me = await make_client("me")
    other_device = await make_client("me", "phone")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        listing = app.screen.query_one(ConversationList)
        listing.focus()
        listing.highlight(BOB)
        await pilot.press("p")
        await until(pilot, lambda: "bob" in list_lines(app)[0], "bob pinned on top")
        assert "📌" in list_lines(app)[0]

        await pilot.press("m")
        await until(pilot, lambda: "🔕" in list_lines(app)[1], "the muted mark")
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: status.unread == 1, "bob out of the unread total")

        listing.highlight(ConvRef.private("alice"))
        await pilot.press("u")  # alice has 1 unread: u marks it read
        await until(pilot, lambda: status.unread == 0, "alice read")
        await pilot.press("u")  # now it marks it unread: a dot, on every device
        await until(pilot, lambda: " • " in list_lines(app)[3], "the unread dot")

    async def settled() -> bool:
        row = await other_device.conversation(BOB)
        alice_row = await other_device.conversation(ConvRef.private("alice"))
        return bool(row and row.pinned and row.muted and alice_row and alice_row.marked_unread)

    for _ in range(200):
        if await settled():
            break
        await asyncio.sleep(0.02)
    assert await settled(), "the other device did not follow"

"""Typing statuses: shown in the chat header while the peer types, sent while you type."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core import StatusReceived
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.widgets.chat_header import ChatHeader
from tests.conftest import ClientFactory
from tests.ui.test_app import bob_said_hello, send_all, until

ME = ConvRef.private("me")


async def test_the_peer_typing_shows_in_the_header_until_their_message(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        header = app.screen.query_one(ChatHeader)
        assert await bob.send_status(ME, messages.TYPING, {"typingContentType": messages.TEXT})
        await until(pilot, lambda: header.typing_users == ["bob"], "bob typing")
        await until(pilot, lambda: "bob is typing…" in header.render_line(0).text, "the text")
        await send_all(bob, "me", ["there you are"])
        await until(pilot, lambda: header.typing_users == [], "the indicator to go")


async def test_typing_in_the_composer_tells_the_peer_at_most_every_few_seconds(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    statuses: list[StatusReceived] = []
    with bob.subscribe() as events:
        async with app.run_test(size=(110, 30)) as pilot:
            await pilot.press("enter")
            await pilot.press(*"typing a long message")
            await pilot.pause(0.3)
        async with asyncio.timeout(5):
            while not statuses:
                event = await events.next()
                if isinstance(event, StatusReceived):
                    statuses.append(event)
        await asyncio.sleep(0.3)
        while not events.queue.empty():
            event = events.queue.get_nowait()
            if isinstance(event, StatusReceived):
                statuses.append(event)
    assert len(statuses) == 1  # 21 keystrokes, one status
    record = statuses[0].record
    assert record.object_name == messages.TYPING and record.sender == "me" and record.seq == 0
    # Status messages are never stored.
    assert [m.object_name for m in await bob.messages(ME)] == [messages.TEXT]

"""New messages at the bottom of a chat scroll fully into view; the "new messages" bar
shows only when the user reads further up, and never covers the last line.

The whole app on a real server: bob is a live peer (a second client); an echo of every
message of mine stands in for echo-bot.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path

import pytest
from textual.pilot import Pilot

from imkit_tui.core import Direction, IMClient, MessagesReceived
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui import drawn
from tests.ui.test_app import make_app, send_all, until

SIZES = [(80, 24), (160, 45)]


def last_line_shown(chat: ChatView) -> bool:
    """Whether the last bubble's last line is on screen and not under the bar."""
    bubble = chat.bubbles()[-1]
    bar = chat.new_messages_bar
    covered_from = bar.region.y if bar.display else chat.scrollable_content_region.bottom
    region = drawn.region(bubble)
    return region.height > 0 and region.bottom <= covered_from


async def echo(client: IMClient) -> None:
    """Answer every text of someone else at once, as echo-bot does."""
    with client.subscribe() as events:
        async for event in events:
            if isinstance(event, MessagesReceived):
                for message in event.messages:
                    if message.direction == Direction.RECEIVED:
                        text = message.content.get("content")
                        await client.send_text(message.conv, f"echo: {text}")


async def open_bob(pilot: Pilot[None]) -> ChatView:
    await pilot.press("enter")
    chat = pilot.app.screen.query_one(ChatView)
    await until(pilot, lambda: bool(chat.bubbles()), "the chat")
    await pilot.pause()
    await chat.jump_to_latest()  # opening shows the first unread one
    await pilot.pause()
    await pilot.pause()
    return chat


@pytest.mark.parametrize("size", SIZES)
async def test_a_live_peer_s_messages_scroll_fully_into_view(
    make_client: ClientFactory, tmp_path: Path, size: tuple[int, int]
) -> None:
    bob = await make_client("bob")
    await send_all(bob, "me", [f"earlier {i}" for i in range(30)])
    app = make_app(await make_client("me"), tmp_path)
    async with app.run_test(size=size) as pilot:
        chat = await open_bob(pilot)
        assert last_line_shown(chat)
        for i in range(6):
            text = f"live {i} " + "word " * (i * 9)  # one line, then wrapped ones
            await send_all(bob, "me", [text])
            await until(pilot, lambda t=text: chat.shown[-1].content["content"] == t, "it")
            await pilot.pause()
            await pilot.pause()
            assert last_line_shown(chat), f"message {i}: the last line is not in view"
            assert not chat.new_messages_bar.display, f"message {i}: the bar shows"
            assert chat.unseen == 0


@pytest.mark.parametrize(("size", "earlier"), [(SIZES[0], 1), (SIZES[1], 1), (SIZES[0], 30)])
async def test_an_echo_of_my_message_scrolls_fully_into_view(
    make_client: ClientFactory, tmp_path: Path, size: tuple[int, int], earlier: int
) -> None:
    bot = await make_client("bob")
    await send_all(bot, "me", [f"earlier {i}" for i in range(earlier)])
    app = make_app(await make_client("me"), tmp_path)
    answering = asyncio.create_task(echo(bot))
    try:
        async with app.run_test(size=size) as pilot:
            chat = await open_bob(pilot)
            assert app.focused is app.screen.query_one("#composer")
            for i in range(9):
                text = f"message {i}"  # one line: typing is not what is tested here
                await pilot.press(*text, "enter")
                await until(
                    pilot,
                    lambda t=text: chat.shown[-1].content["content"] == f"echo: {t}",
                    "the echo",
                )
                await pilot.pause()
                await pilot.pause()
                assert last_line_shown(chat), f"echo {i}: the last line is not in view"
                assert not chat.new_messages_bar.display, f"echo {i}: the bar shows"
    finally:
        answering.cancel()
        with suppress(asyncio.CancelledError):
            await answering


async def test_scrolled_up_a_new_message_shows_the_bar_and_keeps_the_view(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await send_all(bob, "me", [f"earlier {i}" for i in range(40)])
    app = make_app(await make_client("me"), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await open_bob(pilot)
        chat.scroll_to(y=max(0, chat.max_scroll_y - 15), animate=False)
        await pilot.pause()
        before = chat.scroll_y
        await send_all(bob, "me", ["while you read"])
        await until(pilot, lambda: chat.unseen == 1, "the count")
        await pilot.pause()
        bar = chat.new_messages_bar
        assert bar.display and "1 new message" in str(bar.render())
        assert chat.scroll_y == before
        # The bar has its own row below the view: nothing of the view is covered.
        assert bar.region.y >= chat.region.bottom
        await pilot.click(bar)
        await until(pilot, lambda: not bar.display, "the bar to go")
        await pilot.pause()
        assert last_line_shown(chat) and chat.shown[-1].content["content"] == "while you read"

"""A long text (100,000 characters) arrives whole: folded in the chat with a hint, z
unfolds it in place, o opens it in the reader. Both directions, on the real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.bubbles import Bubble, TextBubble
from imkit_tui.ui.bubbles._fold import FOLD_LINES, FoldedText
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.reader import ReaderScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui import drawn as on_screen
from tests.ui.test_app import make_app, until

LENGTH = 100_000


def long_text(who: str) -> str:
    """``LENGTH`` characters of numbered lines, ending in a line only the end has."""
    tail = f"\nTHE END OF {who.upper()}'S LETTER"
    lines = (f"{who} line {i:05d}: " + "lorem ipsum dolor sit amet " * 3 for i in range(5000))
    body = "\n".join(lines)[: LENGTH - len(tail)]
    return body + tail


def drawn(bubble: Bubble) -> list[str]:
    return on_screen.lines(bubble)


def screen_text(pilot: Pilot[None]) -> str:
    return "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())


@pytest.mark.parametrize("sender", ["bob", "me"])
async def test_a_long_text_folds_unfolds_and_opens_in_the_reader(
    make_client: ClientFactory, tmp_path: Path, sender: str
) -> None:
    bob = await make_client("bob")
    phone = await make_client("me", "phone")
    text = long_text(sender)
    assert len(text) == LENGTH
    if sender == "bob":
        sent = await bob.send_text(ConvRef.private("me"), text)
        await bob.wait_sent([sent.id], timeout=10)
    else:  # mine, from my other device
        await bob.wait_sent([(await bob.send_text(ConvRef.private("me"), "hi")).id])
        sent = await phone.send_text(ConvRef.private("bob"), text)
        await phone.wait_sent([sent.id], timeout=10)
    app = make_app(await make_client("me"), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: any(len(b.text) == LENGTH for b in chat.bubbles()), "it")
        (bubble,) = [b for b in chat.bubbles() if isinstance(b, TextBubble) and b.long]
        assert bubble.text == text  # whole, not cut
        assert bubble.own == (sender == "me")
        await pilot.pause()
        folded = drawn(bubble)
        words = " ".join(" ".join(folded).split())
        assert "more lines · press o / enter to read all" in words
        assert len(folded) < FOLD_LINES + 8
        assert not any("THE END" in line for line in folded)

        # z unfolds it in place: its last line can be scrolled to.
        chat.focus()
        assert chat.select_message(bubble.message.id)
        await pilot.press("z")
        await pilot.pause()
        await until(pilot, lambda: on_screen.height(bubble) > 1000, "the unfolded text")
        assert not any("more lines" in line for line in drawn(bubble))
        place = chat.region_of(bubble)
        assert place is not None
        top = place.bottom - chat.scrollable_content_region.height
        chat.scroll_to(y=top, animate=False)
        await until(pilot, lambda: f"THE END OF {sender.upper()}" in screen_text(pilot), "end")
        await pilot.press("z")
        await until(pilot, lambda: on_screen.height(bubble) < FOLD_LINES + 8, "folded again")

        # o opens the reader with the whole text; escape closes it.
        chat.select_message(bubble.message.id)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        area = reader.query_one(TextArea)
        assert area.text == text and area.read_only and app.focused is area
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert f"THE END OF {sender.upper()}" in screen_text(pilot)
        await pilot.press("c")
        assert app.clipboard == text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the chat")


async def test_a_folded_text_is_wrapped_once_per_width(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await bob.wait_sent([(await bob.send_text(ConvRef.private("me"), long_text("bob"))).id])
    app = make_app(await make_client("me"), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: bool(chat.bubbles()), "the chat")
        await pilot.pause()
        (bubble,) = chat.bubbles()
        body = bubble.render_body()
        assert isinstance(body, FoldedText)
        wraps = body.wraps
        for _ in range(5):  # repaints: selected, unselected
            bubble.selected = not bubble.selected
            await pilot.pause()
            drawn(bubble)
        assert bubble.render_body() is body and body.wraps == wraps

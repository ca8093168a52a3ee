"""The chat view draws lines: nothing mounted per message, the same work for a new
message whatever the history, bounded memory while scrolling through a long history."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import RenderableType
from rich.text import Text

from imkit_tui import messages
from imkit_tui.core import Message
from imkit_tui.ui.bubbles import Bubble, GifBubble, register
from imkit_tui.ui.widgets.bubble_list import CACHE_ENTRIES
from tests.ui import drawn
from tests.ui.test_bubbles import _loaded_gif, write_gif
from tests.ui.test_chat_view import ME, PEER, ChatApp, history, make, settle

COUNTED = "Test:Counted"


class _CountedBubble(Bubble):
    """A text bubble that counts how often it is rendered."""

    renders: ClassVar[int] = 0

    def render_body(self) -> RenderableType:
        type(self).renders += 1
        return Text(str(self.message.content.get("content", "")))


def _history(count: int) -> list[Message]:
    return [
        make(i, i, sender=ME if i % 2 else PEER, text=f"message {i}", object_name=COUNTED)
        for i in range(1, count + 1)
    ]


async def _open_and_receive(count: int) -> tuple[int, int, int]:
    """Renders to open a chat of ``count`` messages, renders to receive one more, and
    widgets mounted in the view."""
    register(COUNTED, _CountedBubble, replace=True)
    stored = _history(count)
    app = ChatApp(stored, window=400)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await settle(pilot)
        _CountedBubble.renders = 0
        await view.show(stored[-24:])
        await settle(pilot)
        opened = _CountedBubble.renders
        _CountedBubble.renders = 0
        new = make(count + 1, count + 1, text="new", object_name=COUNTED)
        await view.add([new])
        await settle(pilot)
        assert view.at_bottom and view.shown[-1].id == count + 1
        return opened, _CountedBubble.renders, len(view.children)


async def test_opening_and_receiving_cost_the_same_at_100_and_100000_messages() -> None:
    small = await _open_and_receive(100)
    huge = await _open_and_receive(100_000)
    assert small == huge
    opened, received, mounted = huge
    assert mounted == 0  # nothing is mounted per message
    assert opened <= 24  # each bubble of the first page rendered once
    # The new bubble, and the one above it whose run ended there: nothing else redrawn.
    assert received <= 2


async def test_scrolling_through_history_keeps_memory_bounded_and_comes_back() -> None:
    register(COUNTED, _CountedBubble, replace=True)
    stored = _history(3000)
    app = ChatApp(stored, window=120, page=50)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await view.show(stored[-50:])
        await settle(pilot)
        while await view.load_older():
            assert view.held_count <= 120 and view.cached_count <= CACHE_ENTRIES
            view.scroll_to(y=0, animate=False)
        assert view.shown[0].id == 1
        assert view.new_messages_bar.has_class("-visible")  # newer ones were dropped
        # Scrolling back down pages the newer messages in again, with no gap.
        for _ in range(200):
            view.scroll_end(animate=False)
            await settle(pilot)
            await app.workers.wait_for_complete()
            ids = [m.id for m in view.shown]
            assert ids == list(range(ids[0], ids[0] + len(ids)))
            assert view.held_count <= 120 and view.cached_count <= CACHE_ENTRIES
            if ids[-1] == 3000:
                break
        assert view.shown[-1].id == 3000
        await settle(pilot)
        assert not view.new_messages_bar.has_class("-visible")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_click_goes_to_the_bubble_and_line_under_the_pointer(
    size: tuple[int, int],
) -> None:
    stored = _history(60)
    register(COUNTED, _CountedBubble, replace=True)
    app = ChatApp(stored)
    async with app.run_test(size=size) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        for y in (2, size[1] // 2, size[1] - 3):
            found = view.bubble_at(y)
            assert found is not None
            await pilot.click(view, offset=(view.size.width // 2, y))
            await settle(pilot)
            assert view.selected is not None and view.selected.id == found[0].message.id


async def test_a_gif_frame_draws_that_bubble_again_and_no_other(tmp_path: Path) -> None:
    register(COUNTED, _CountedBubble, replace=True)
    gif = make(1, 1, object_name=messages.GIF, content={"remoteUrl": "https://x/a.gif"})
    stored = [gif, *_history(12)[1:]]
    app = ChatApp(stored)
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        bubble = view.bubble_of(1)
        assert isinstance(bubble, GifBubble)
        await _loaded_gif(pilot, bubble, write_gif(tmp_path / "a.gif", frames=3, delay_ms=30))
        await settle(pilot)
        _CountedBubble.renders, steps = 0, bubble.steps
        await pilot.pause(0.4)
        assert bubble.steps > steps  # it animates
        assert _CountedBubble.renders == 0  # and nothing else is drawn again


async def test_back_at_the_end_the_view_follows_a_bubble_that_grows() -> None:
    stored = history(60)
    app = ChatApp(stored)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        view.scroll_to(y=10, animate=False)
        await settle(pilot)
        assert not view.following
        view.scroll_end(animate=False)
        await settle(pilot)
        assert view.following
        last = stored[-1]
        longer = "a longer text that now takes several lines of the view " * 6
        view.update_message(make(last.id, last.seq, sender=last.sender, text=longer))
        await settle(pilot)
        assert view.scroll_y == view.max_scroll_y
        bubble = view.bubble_of(last.id)
        assert bubble is not None and drawn.visible(bubble)
        assert drawn.region(bubble).bottom <= view.scrollable_content_region.bottom

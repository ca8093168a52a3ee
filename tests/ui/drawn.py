"""Bubbles as the chat view draws them: their lines, where they are on screen, clicks.

Bubbles are renderer objects drawn as lines by a ``BubbleList`` (the chat view, the
history viewer); these helpers ask the list that draws a bubble.
"""

from __future__ import annotations

from textual.geometry import Offset, Region
from textual.pilot import Pilot
from textual.strip import Strip

from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.widgets.bubble_list import BubbleList


def host_of(bubble: Bubble) -> BubbleList:
    """The list drawing ``bubble``."""
    host = bubble.host
    assert isinstance(host, BubbleList), f"{bubble!r} is not drawn by a list"
    return host


def strips(bubble: Bubble) -> list[Strip]:
    """The bubble's lines as drawn (a column of margin either side)."""
    return host_of(bubble).lines_of(bubble)


def lines(bubble: Bubble) -> list[str]:
    """The bubble as drawn, one string per line."""
    return [strip.text for strip in strips(bubble)]


def region(bubble: Bubble) -> Region:
    """Where the bubble is on screen (may be outside the list's visible part)."""
    host = host_of(bubble)
    virtual = host.region_of(bubble)
    assert virtual is not None
    content = host.scrollable_content_region
    top = content.y + host.blank_above + virtual.y - int(host.scroll_offset.y)
    return Region(content.x, top, content.width, virtual.height)


def visible(bubble: Bubble) -> bool:
    """Whether some line of the bubble is in the visible part of its list."""
    return region(bubble).overlaps(host_of(bubble).scrollable_content_region)


def height(bubble: Bubble) -> int:
    """Lines the bubble takes."""
    return region(bubble).height


async def click(
    pilot: Pilot[None], bubble: Bubble, offset: tuple[int, int] = (0, 0), button: int = 1
) -> bool:
    """Click the bubble at ``offset`` (from its top left corner, margins included)."""
    host = host_of(bubble)
    at = region(bubble).offset + Offset(*offset) - host.region.offset
    return await pilot.click(host, offset=(at.x, at.y), button=button)

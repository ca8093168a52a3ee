"""Private: a bubble's parts put together for Rich: dividers, head line, the body in its
box (or a centred notice) and the status line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.align import Align, AlignMethod
from rich.console import RenderableType
from rich.text import Text

from imkit_tui.ui.bubbles._layout import BubbleLayout, GuardedBody
from imkit_tui.ui.bubbles._status import head_line

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble


def draw(bubble: Bubble) -> RenderableType:
    """The whole of ``bubble`` as one renderable, for whatever width it is drawn at."""
    colours = bubble.palette
    divider_styles = {"date": colours.date, "unread": colours.unread}
    lines: list[RenderableType] = [
        Align.center(Text(text, style=divider_styles.get(kind, colours.divider)))
        for kind, text in bubble.dividers
    ]
    if bubble.head_shown:
        sender = bubble.sender_name if bubble.show_sender else None
        lines.append(head_line(sender, bubble.message.sent_at, colours.sender, colours.meta))
    fallback = bubble.degraded_body()
    try:
        body = bubble.render_body()
    except Exception:
        body = fallback
    if not bubble.boxed and isinstance(body, Text):
        body.stylize(colours.notice)
        body.no_wrap, body.overflow = True, "ellipsis"
    guarded = GuardedBody(body, fallback)
    side: AlignMethod = "right" if bubble.own else "left"
    after: list[RenderableType] = []
    if bubble.meta_shown:
        meta = colours.meta_selected if bubble.selected else colours.meta
        meta = colours.failed if bubble.failed else meta
        after.append(Align(Text(bubble.meta_text, style=meta), side))
    if not bubble.boxed:
        return BubbleLayout(lines, Align.center(guarded), after, side=side, body_style=None)
    box = colours.selected if bubble.selected else colours.own if bubble.own else colours.peer
    return BubbleLayout(lines, guarded, after, side=side, body_style=box)

"""Private: what a click on a line of a bubble does (the host maps the pointer to it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style

from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._layout import BODY_KEY

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble


def handle_click(bubble: Bubble, button: int, row: int, style: Style) -> None:
    """Select ``bubble``; then retry, follow a link or ask for the default action
    (see :meth:`Bubble.click <imkit_tui.ui.bubbles.base.Bubble.click>`)."""
    if button not in (0, 1):
        bubble.post_message(bubble.Selected(bubble))
        return
    if bubble.failed and bubble.meta_shown and row == bubble.height - 1:
        bubble.request_retry()
        return
    bubble.post_message(bubble.Selected(bubble))
    link = act.link_at(style)
    if link is not None:
        bubble.post_message(bubble.ActionRequested(bubble, link[0], link[1]))
    elif on_body(bubble, style, row):
        bubble.request_action()


def on_body(bubble: Bubble, style: Style, row: int) -> bool:
    """Whether the cell clicked (``style``, line ``row``) is on the bubble's body."""
    if bubble.boxed:
        try:
            return bool(style.meta.get(BODY_KEY))
        except Exception:
            return False
    top = len(bubble.dividers) + (1 if bubble.head_shown else 0)
    bottom = bubble.height - (1 if bubble.meta_shown else 0)
    return top <= row < bottom

"""Message bubbles: one widget class per content type, found through one registry.

Ask the registry for the bubble of a message; it never raises::

    from imkit_tui.ui.bubbles import bubble_for, register

    bubble = bubble_for(message, me="alice", show_sender=True)
    register("App:Poll", PollBubble)  # a plugin's own type

A bubble subclasses :class:`Bubble` and implements ``render_body()``. Unknown types
get :class:`UnsupportedBubble`; a constructor that raises on malformed content does too.
"""

from imkit_tui.ui.bubbles._palette import Palette
from imkit_tui.ui.bubbles.base import Bubble, Dividers
from imkit_tui.ui.bubbles.notice import NoticeBubble
from imkit_tui.ui.bubbles.registry import (
    bubble_class_for,
    bubble_for,
    register,
    register_builtin_bubbles,
    registered,
)
from imkit_tui.ui.bubbles.summary import SummaryBubble
from imkit_tui.ui.bubbles.text import TextBubble
from imkit_tui.ui.bubbles.unsupported import UnsupportedBubble

__all__ = [
    "Bubble",
    "Dividers",
    "NoticeBubble",
    "Palette",
    "SummaryBubble",
    "TextBubble",
    "UnsupportedBubble",
    "bubble_class_for",
    "bubble_for",
    "register",
    "register_builtin_bubbles",
    "registered",
]

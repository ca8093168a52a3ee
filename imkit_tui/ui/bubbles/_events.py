"""Private: the messages a bubble posts through its host (``Bubble.Selected`` and so on).

Their handlers are named as before bubbles stopped being widgets:
``on_bubble_selected``, ``on_bubble_retry_requested``, ``on_bubble_action_requested``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message as TextualMessage

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble


class Selected(TextualMessage, namespace="bubble"):
    """Posted when the user clicks a bubble."""

    def __init__(self, bubble: Bubble) -> None:
        self.source = bubble
        """The bubble that was clicked."""
        super().__init__()


class RetryRequested(TextualMessage, namespace="bubble"):
    """Posted when the user asks to send a failed own message again."""

    def __init__(self, bubble: Bubble) -> None:
        self.source = bubble
        """The bubble of the failed message."""
        self.message = bubble.message
        """The failed message."""
        super().__init__()


class ActionRequested(TextualMessage, namespace="bubble"):
    """Posted when the user asks for an action on a bubble (click, Enter, menu).

    ``action`` is one of the names of :mod:`imkit_tui.ui.bubbles.actions`
    ("open_link", "play", "view", "save", "open", "download", "open_map",
    "stop_animations", "copy"); ``url`` is set for "open_link" and "open_map".
    """

    def __init__(self, bubble: Bubble, action: str, url: str | None = None) -> None:
        self.source = bubble
        """The bubble the action is for."""
        self.action = action
        """The action's name."""
        self.url = url
        """The URL to open ("open_link", "open_map"), else None."""
        self.message = bubble.message
        """The message of the bubble."""
        super().__init__()

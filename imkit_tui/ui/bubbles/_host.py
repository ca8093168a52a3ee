"""Private: what a bubble needs from the widget that draws it (its host).

A bubble is not a widget: a line-drawn list (the chat view, the history viewer) keeps
bubbles as renderer objects and draws their strips. The host is how a bubble reaches
the app: it repaints the bubble's lines, delivers the bubble's messages (they bubble up
from the host as from any widget), runs its workers and timers, and says whether the
bubble is on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App
from textual.message import Message as TextualMessage
from textual.timer import Timer

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble


class BubbleHost(Protocol):
    """The widget a bubble is drawn in (the chat view's line-drawn list)."""

    @property
    def app(self) -> App[Any]:
        """The running app."""

    @property
    def is_attached(self) -> bool:
        """Whether the host is in the DOM."""

    def bubble_changed(self, bubble: Bubble) -> None:
        """Draw ``bubble`` again (its height may have changed)."""

    def bubble_visible(self, bubble: Bubble) -> bool:
        """Whether some line of ``bubble`` is on screen now."""

    def bubble_height(self, bubble: Bubble) -> int:
        """Lines ``bubble`` took when the host last measured it (0 before)."""

    def post_message(self, message: TextualMessage) -> bool:
        """Deliver a bubble's message (it bubbles up from the host)."""

    def run_bubble_worker(
        self, bubble: Bubble, work: Coroutine[Any, Any, None], group: str, exclusive: bool
    ) -> None:
        """Run ``work`` for ``bubble``; ``exclusive`` cancels its earlier one of ``group``."""

    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Timer:
        """Call ``callback`` once after ``delay`` seconds."""

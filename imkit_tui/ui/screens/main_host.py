"""What the main screen's controllers use of it, declared once.

The main screen is composed of controllers (mentions, typing, privacy, settings, search,
the message menu, history, send rights), each built with the few widgets it needs and
this small view of the screen. They import this module, never :mod:`.main`, so the
modules of ``ui/screens`` import each other in one direction only.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.css.query import DOMQuery
    from textual.widget import Widget
    from textual.worker import Worker

    from imkit_tui.core import IMClient, Message
    from imkit_tui.protocol import ConvRef
    from imkit_tui.ui.widgets.chat_view import ChatView
    from imkit_tui.ui.widgets.composer import Composer


class MainHost(Protocol):
    """The main screen as its controllers see it."""

    @property
    def app(self) -> App[object]:
        """The running app (screens, notifications)."""

    @property
    def client(self) -> IMClient:
        """The client core (made on first use when it was deferred)."""

    @property
    def current(self) -> ConvRef | None:
        """The open conversation."""

    @property
    def chat_view(self) -> ChatView | None:
        """The chat view, once a conversation was opened."""

    @property
    def composer(self) -> Composer | None:
        """The composer, once a conversation was opened."""

    def run_worker(
        self,
        work: Awaitable[Any],
        *,
        group: str = "default",
        exit_on_error: bool = True,
        exclusive: bool = False,
    ) -> Worker[Any]:
        """Run ``work`` in a worker of the screen (cancelled with it)."""

    def query(self, selector: str) -> DOMQuery[Widget]:
        """The screen's widgets that match ``selector`` (some are mounted late)."""

    async def open_conversation(self, conv: ConvRef, *, around: Message | None = None) -> None:
        """Show ``conv`` (around ``around``, then selected) and mark it read."""

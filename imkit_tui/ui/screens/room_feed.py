"""A busy room's messages, gathered between frames and handed to the chat view at once.

A room may bring fifty messages a second or more; adding each as it comes would lay the
view out again fifty times a second and starve the composer of the event loop. The feed
keeps what arrives in a list and flushes it to the view once per :data:`FRAME` (one
insert, one layout), so the cost follows the frames drawn, not the messages received.
Nothing is dropped: every message given reaches the view, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.timer import Timer
from textual.widget import Widget

from imkit_tui.core import Message
from imkit_tui.ui.widgets.chat_view import ChatView

FRAME = 1 / 30
"""Seconds between two flushes of arrived messages into the view."""


class RoomFeed:
    """Messages for one chat view, added in batches of one frame."""

    def __init__(self, host: Widget, chat: ChatView, frame: float = FRAME) -> None:
        """Feed ``chat``, with ``host``'s timers (the screen)."""
        self._host = host
        self._chat = chat
        self._frame = frame
        self._pending: dict[int, Message] = {}
        self._timer: Timer | None = None
        self.flushes = 0
        """How many batches were handed to the view."""

    @property
    def waiting(self) -> int:
        """Messages arrived and not yet in the view."""
        return len(self._pending)

    def received(self, messages: Sequence[Message]) -> None:
        """New messages (or new states of ones not yet flushed): into the next batch."""
        for message in messages:
            self._pending[message.id] = message
        if self._timer is None:
            self._timer = self._host.set_timer(self._frame, self.flush)

    def updated(self, message: Message) -> None:
        """A new state of an own message (sent, failed)."""
        if message.id in self._pending:
            self._pending[message.id] = message
        else:
            self._chat.update_message(message)

    def forget(self) -> None:
        """Drop what waits (the view is about to be filled afresh)."""
        self._pending.clear()

    async def flush(self) -> None:
        """Hand everything that arrived to the view now, in one go."""
        self._timer = None
        if not self._pending:
            return
        batch = list(self._pending.values())
        self._pending.clear()
        self.flushes += 1
        await self._chat.add(batch)

"""The chat-history viewer: the messages of a merged forward (``RC:CombineMsg``), read-only.

The HTML file of the forward is downloaded, its embedded messages read back
(:func:`imkit_tui.core.forward.read_combined`) and shown as bubbles, with their senders
and dates. Actions on them (play, view, open a link, a nested chat history…) go to the
app's usual handler; nothing can be sent from here. Esc closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label, Static

from imkit_tui.core import Direction, IMClient, Message, NotConnected, SendStatus
from imkit_tui.core.forward import ForwardedMessage, ForwardError, read_combined
from imkit_tui.core.transfer import TransferError
from imkit_tui.ui.bubbles import Bubble, bubble_for
from imkit_tui.ui.bubbles.divider import divider_spec
from imkit_tui.ui.widgets.bubble_list import BubbleList

TITLE = "Chat history"
"""The viewer's title."""

MAX_SHOWN = 500
"""The most messages of one history shown (a forward holds at most 100)."""


def as_messages(items: list[ForwardedMessage], source: Message, me: str) -> list[Message]:
    """Build read-only messages from the forwarded ones (negative ids: never stored)."""
    built: list[Message] = []
    for index, item in enumerate(items[:MAX_SHOWN]):
        own = item.sender == me
        built.append(
            Message(
                id=-(index + 1),
                conv=source.conv,
                seq=None,
                uid=None,
                cmid=f"history-{source.id}-{index}",
                sender=item.sender,
                object_name=item.object_name,
                content=dict(item.content),
                sent_at=item.sent_at,
                direction=Direction.SENT if own else Direction.RECEIVED,
                status=SendStatus.SENT if own else SendStatus.RECEIVED,
            )
        )
    return built


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


class HistoryViewerScreen(Screen[None]):
    """The messages of one merged forward."""

    DEFAULT_CSS = """
    HistoryViewerScreen #history-title {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $surface;
        text-style: bold;
    }
    HistoryViewerScreen #history-messages {
        height: 1fr;
    }
    HistoryViewerScreen #history-notice {
        width: 1fr;
        padding: 1 2;
        color: $text-muted;
    }
    HistoryViewerScreen #history-keys {
        dock: bottom;
        height: 1;
        padding: 0 1;
        color: $text-muted;
        background: $surface;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(
        self,
        client: IMClient,
        message: Message,
        *,
        on_action: Callable[[Bubble.ActionRequested], None],
    ) -> None:
        """Show the history in ``message``; bubbles' action requests go to ``on_action``."""
        super().__init__()
        self.client = client
        self.message = message
        self._on_action = on_action
        self.shown: list[Message] = []
        """The messages shown, once loaded."""

    def compose(self) -> ComposeResult:
        """Title, messages (a notice until they are in), keys."""
        yield Label(TITLE, id="history-title")
        yield Static("Loading…", id="history-notice")
        yield BubbleList(id="history-messages")
        yield Label("esc close · click a message to act on it", id="history-keys")

    def on_mount(self) -> None:
        """Download and read the history."""
        self.query_one("#history-messages").focus()
        self.run_worker(self._load(), group="history-load", exit_on_error=False)

    async def _load(self) -> None:
        notice = self.query_one("#history-notice", Static)
        try:
            path = await self.client.files.download(self.message)
            items = read_combined(await asyncio.to_thread(_read_text, path))
        except (TransferError, ForwardError, NotConnected, TimeoutError, OSError) as error:
            reason = "You are offline" if isinstance(error, NotConnected) else str(error)
            notice.update(Text(f"Cannot show this chat history: {reason or type(error).__name__}"))
            return
        self.shown = as_messages(items, self.message, self.client.user_id)
        bubbles: list[Bubble] = []
        previous: Message | None = None
        for shown in self.shown:
            bubble = bubble_for(shown, me=self.client.user_id, show_sender=True)
            bubble.dividers = divider_spec(previous, shown)
            bubbles.append(bubble)
            previous = shown
        count = len(self.shown)
        self.query_one("#history-title", Label).update(
            f"{TITLE} · {count} message{'s' if count != 1 else ''}"
        )
        await notice.remove()
        self.query_one("#history-messages", BubbleList).set_bubbles(bubbles)

    def on_bubble_action_requested(self, event: Bubble.ActionRequested) -> None:
        """Hand a bubble's action to the app's handler."""
        event.stop()
        self._on_action(event)

    def on_bubble_selected(self, event: Bubble.Selected) -> None:
        """Highlight the clicked bubble."""
        event.stop()
        for bubble in self.query_one("#history-messages", BubbleList).bubbles():
            bubble.selected = bubble is event.source

    def action_close(self) -> None:
        """Back to the chat."""
        self.dismiss(None)

"""Recall, re-edit, delete, clear history and remove a conversation, from the main screen.

The app offers to recall an own message for :data:`DEFAULT_RECALL_WINDOW` seconds after
it was sent (the ``recall_window`` setting; the server has no limit unless configured
with one). The text of a message recalled from this device stays in memory, never in
the store, for :data:`RE_EDIT_SECONDS`, so the user can take it back into the composer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import ConnectionState, Message, SendStatus
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.ui import screens
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.core import HistoryCleared, IMClient, MessagesDeleted
    from imkit_tui.ui.bubbles import Bubble
    from imkit_tui.ui.screens.main_host import MainHost

DEFAULT_RECALL_WINDOW = 120
"""Seconds after sending during which the app offers to recall a message."""

RE_EDIT_SECONDS = 300
"""How long the text of a message recalled here can be taken back into the composer."""

CLEARED_PAGE = 24
"""Messages shown after a clear (those that arrived since, and unsent ones)."""


@runtime_checkable
class ReEditOffer(Protocol):
    """A bubble that can say its text may be taken back (the recall notice)."""

    def offer_re_edit(self, seconds: float) -> None:
        """Say so for the next ``seconds``."""


def visible(page: list[Message]) -> list[Message]:
    """The messages of a page the chat shows (the catalogue's `shown` types)."""
    return [m for m in page if catalogue.lookup(m.object_name).shown]


class HistoryActions:
    """What the main screen does for recall, re-edit, delete, clear and remove, and how
    its open chat follows deletes and clears."""

    def __init__(self, host: MainHost, forget: Callable[[ConvRef], None]) -> None:
        """Act for ``host`` through its client; ``forget`` takes a removed conversation
        off the screen's list."""
        self._screen = host
        self._forget = forget
        self._recalled_text: dict[int, tuple[str, float]] = {}

    @property
    def _client(self) -> IMClient:
        return self._screen.client  # a deferred client is made on first use, not here

    @property
    def recall_window(self) -> int:
        """Seconds after sending during which a message may be recalled from the app."""
        window = getattr(self._screen.app, "recall_window", DEFAULT_RECALL_WINDOW)
        return window if isinstance(window, int) and window > 0 else DEFAULT_RECALL_WINDOW

    def can_recall(self, message: Message) -> bool:
        """An own sent message still inside the recall window."""
        own = message.sender == self._client.user_id and message.status == SendStatus.SENT
        fresh = now_ms() - message.sent_at <= self.recall_window * 1000
        content = catalogue.lookup(message.object_name).kind == catalogue.MessageKind.CONTENT
        return own and fresh and content and message.uid is not None

    def can_re_edit(self, message: Message) -> bool:
        """A message recalled here in the last few minutes, whose text is still known."""
        kept = self._recalled_text.get(message.id)
        return kept is not None and time.monotonic() - kept[1] <= RE_EDIT_SECONDS

    def menu_entries(self, message: Message) -> list[tuple[str, str]]:
        """The actions-menu entries these actions add for ``message``."""
        entries: list[tuple[str, str]] = []
        if self.can_recall(message):
            entries.append(("recall", "Recall"))
        if self.can_re_edit(message):
            entries.append(("re_edit", "Re-edit"))
        entries.append(("delete", "Delete…"))
        return entries

    def handle(self, message: Message, action: str) -> bool:
        """Start ``action`` on ``message``; False when it is not one of these actions."""
        if action == "recall":
            self._screen.run_worker(self.recall(message), group="recall", exit_on_error=False)
        elif action == "re_edit":
            self.re_edit(message)
        elif action == "delete":
            self.ask_delete([message])
        else:
            return False
        return True

    async def recall(self, message: Message) -> None:
        """Recall an own message everywhere (asks nothing: the notice says what happened)."""
        app = self._screen.app
        if not self.can_recall(message):
            minutes = self.recall_window // 60
            app.notify(
                f"Only your own messages of the last {minutes} minutes can be recalled",
                severity="warning",
            )
            return
        text = message.content.get("content") if message.object_name == catalogue.TEXT else None
        if isinstance(text, str) and text:
            # Kept before the notice is drawn, so that it offers the re-edit at once.
            self._recalled_text[message.id] = (text, time.monotonic())
        try:
            await self._client.history.recall(message)
        except core.NotConnected:
            self._recalled_text.pop(message.id, None)
            app.notify("You are offline: recall once connected", severity="warning")
            return
        except (core.RequestFailed, TimeoutError) as error:
            self._recalled_text.pop(message.id, None)
            app.notify(f"The message was not recalled: {error}", severity="error")
            return

    def decorate(self, bubbles: list[Bubble]) -> None:
        """Offer the re-edit on the notices of messages recalled here (new bubbles)."""
        for bubble in bubbles:
            kept = self._recalled_text.get(bubble.message.id)
            if isinstance(bubble, ReEditOffer) and kept is not None:
                left = RE_EDIT_SECONDS - (time.monotonic() - kept[1])
                if left > 0:
                    bubble.offer_re_edit(left)

    def re_edit(self, message: Message) -> None:
        """Put the text of a message recalled here back into the composer."""
        kept = self._recalled_text.get(message.id)
        if kept is None or not self.can_re_edit(message):
            self._screen.app.notify("That text is no longer kept", severity="warning")
            return
        composer = self._screen.composer
        if composer is not None:
            composer.put_text(kept[0])
            composer.focus()

    def ask_delete(self, chosen: list[Message]) -> None:
        """Ask where to delete: on this device, or for me on every device."""
        count = len(chosen)
        title = "Delete this message?" if count == 1 else f"Delete {count} messages?"
        entries = [
            ("here", "Delete on this device"),
            ("everywhere", "Delete for me on every device"),
        ]

        async def chosen_place(place: str | None) -> None:
            if place is None:
                return
            try:
                await self._client.history.delete(chosen, everywhere=place == "everywhere")
            except core.NotConnected:
                self._screen.app.notify("You are offline: delete here only", severity="warning")
            except (core.RequestFailed, TimeoutError, ValueError) as error:
                self._screen.app.notify(f"Not deleted: {error}", severity="error")

        self._screen.app.push_screen(screens.ActionMenuScreen(title, entries), chosen_place)

    def ask_clear(self, conv: ConvRef) -> None:
        """Ask, then clear the conversation's history for me on every device."""
        name = display_name(conv)

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            everywhere = self._client.state == ConnectionState.CONNECTED
            await self._client.history.clear(conv, everywhere=everywhere)
            where = "on every device" if everywhere else "on this device (offline)"
            self._screen.app.notify(f"History with {name} cleared {where}")

        question = f"Clear the history with {name}? It goes for you only, on every device."
        self._screen.app.push_screen(screens.ConfirmScreen(question), answered)

    async def remove(self, conv: ConvRef) -> None:
        """Take the conversation off the list until its next message."""
        await self._client.history.remove_conversation(conv)
        self._forget(conv)

    async def changed(self, event: MessagesDeleted | HistoryCleared) -> None:
        """Deleted messages leave the open chat; a cleared history empties it."""
        chat = self._screen.chat_view
        if event.conv == self._screen.current and chat is not None:
            if isinstance(event, core.MessagesDeleted):
                chat.remove_messages(event.message_ids)
            else:
                page = visible(await self._client.messages(event.conv, limit=CLEARED_PAGE))
                await chat.show(page)

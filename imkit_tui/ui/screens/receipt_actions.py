"""Group read receipts on the main screen.

The actions menu of an own group message offers "Ask for read receipts" in the two
minutes after sending; from then on its status line says "3 read · 5 unread", updated as
members read, and "Read by…" lists who read and who has not. Answering the receipts
others ask for needs nothing here: the core answers once a chat is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from imkit_tui.core import IMClient, Message, NotConnected, ReceiptsUpdated, RequestFailed
from imkit_tui.core.group_receipts import Readers, ReceiptError, may_ask_receipts
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import receipt_summary
from imkit_tui.ui.names import label

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble
    from imkit_tui.ui.widgets.chat_view import ChatView


class ReceiptActions:
    """Asks for, follows and shows the read receipts of own group messages."""

    def __init__(
        self,
        screen: Screen[Any],
        client: IMClient,
        chat: Callable[[], ChatView | None],
        current: Callable[[], ConvRef | None],
    ) -> None:
        """Act for ``screen`` through ``client`` on the chat view ``chat()`` of the
        conversation ``current()``."""
        self._screen = screen
        self._client = client
        self._chat = chat
        self._current = current
        self._known: dict[str, Readers] = {}
        self._asking: set[str] = set()

    def menu_entries(self, message: Message) -> list[tuple[str, str]]:
        """The actions-menu entries for ``message``."""
        if may_ask_receipts(message, self._client.user_id):
            return [("ask_receipts", "Ask for read receipts")]
        if message.receipt_asked and message.sender == self._client.user_id:
            return [("show_receipts", "Read by…")]
        return []

    def handle(self, message: Message, action: str) -> bool:
        """Start ``action`` on ``message``; False when it is not a receipt action."""
        if action == "ask_receipts":
            self._screen.run_worker(self.ask(message), group="receipts", exit_on_error=False)
        elif action == "show_receipts":
            self._screen.run_worker(self.show(message), group="receipts", exit_on_error=False)
        else:
            return False
        return True

    async def ask(self, message: Message) -> None:
        """Ask the members for read receipts on ``message``."""
        try:
            updated = await self._client.receipts.request(message)
        except ReceiptError as error:
            self._screen.app.notify(str(error), severity="warning")
            return
        if updated.uid is not None:
            self._known.setdefault(updated.uid, ((), ()))
        self._screen.app.notify("Read receipts asked for", timeout=3)

    async def show(self, message: Message) -> None:
        """List who read ``message`` and who has not yet."""
        if message.uid is None:
            return
        readers = await self._fetch([message.uid])
        found = readers.get(message.uid) or self._known.get(message.uid)
        if found is None:
            self._screen.app.notify("Who read it is not known yet (offline?)", severity="warning")
            return
        self._screen.app.push_screen(ReceiptsScreen(*found))

    def updated(self, event: ReceiptsUpdated) -> None:
        """New counts from the server: show them on the bubbles in view."""
        self._known.update(event.receipts)
        self._paint(event.receipts)

    def reconnected(self) -> None:
        """Back online: answers may have come while away, so ask again for the counts of
        the own messages in view."""
        chat = self._chat()
        if chat is None:
            return
        me = self._client.user_id
        self._ask_for(
            [m.uid for m in chat.shown if m.uid is not None and m.receipt_asked and m.sender == me]
        )

    def decorate(self, bubbles: list[Bubble]) -> None:
        """Give new bubbles of own messages their counts; fetch the ones not known."""
        asked = {
            b.message.uid: b
            for b in bubbles
            if b.message.receipt_asked and b.own and b.message.uid is not None
        }
        for uid, bubble in asked.items():
            if uid in self._known:
                bubble.receipts = receipt_summary(*map(len, self._known[uid]))
        self._ask_for([uid for uid in asked if uid not in self._known])

    def _ask_for(self, uids: list[str]) -> None:
        """Fetch the counts of these messages in a worker, unless already on the way."""
        wanted = [uid for uid in uids if uid not in self._asking]
        if wanted:
            self._asking.update(wanted)
            self._screen.run_worker(self._refresh(wanted), group="receipts", exit_on_error=False)

    async def _refresh(self, uids: list[str]) -> None:
        try:
            self._paint(await self._fetch(uids))
        finally:
            self._asking.difference_update(uids)

    async def _fetch(self, uids: list[str]) -> dict[str, Readers]:
        conv = self._current()
        if conv is None:
            return {}
        try:
            found = await self._client.receipts.read(conv, uids)
        except (NotConnected, RequestFailed, TimeoutError):
            return {}
        self._known.update(found)
        return found

    def _paint(self, receipts: dict[str, Readers]) -> None:
        chat = self._chat()
        if chat is None:
            return
        for message in chat.shown:
            if message.uid in receipts:
                bubble = chat.bubble_of(message.id)
                if bubble is not None:
                    bubble.receipts = receipt_summary(*map(len, receipts[message.uid]))


class ReceiptsScreen(ModalScreen[None]):
    """Who read an own group message, and who has not yet."""

    DEFAULT_CSS = """
    ReceiptsScreen { align: center middle; }
    ReceiptsScreen > Vertical {
        width: 60; max-width: 90%; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ReceiptsScreen .receipts-title { text-style: bold; }
    ReceiptsScreen .receipts-names { color: $text-muted; margin-bottom: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, read: tuple[str, ...], unread: tuple[str, ...]) -> None:
        """Show ``read`` and ``unread`` members."""
        super().__init__()
        self.read = read
        self.unread = unread

    def compose(self) -> ComposeResult:
        """Two titled lists of names."""
        with Vertical():
            for title, names in (("Read", self.read), ("Unread", self.unread)):
                yield Static(f"{title} ({len(names)})", classes="receipts-title")
                yield Static(
                    escape(", ".join(label(n) for n in names) or "—"), classes="receipts-names"
                )

    async def action_dismiss(self, result: None = None) -> None:
        """Close the list."""
        self.dismiss(result)

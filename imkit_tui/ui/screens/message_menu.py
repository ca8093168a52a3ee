"""The actions menu of a message, and forwarding, for the main screen.

The menu (m, ".", a right click) lists what the bubble offers, copy, forward, mark for
forwarding, and recall, re-edit and delete; forwarding asks for the targets and the mode
(one by one or merged) and queues the copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.ui import screens
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.core import IMClient
    from imkit_tui.ui.screens.actions import ActionHandler
    from imkit_tui.ui.screens.history_actions import HistoryActions
    from imkit_tui.ui.screens.read_only import SendRights
    from imkit_tui.ui.screens.receipt_actions import ReceiptActions
    from imkit_tui.ui.widgets.chat_view import ChatView

    _Base = Widget
else:
    _Base = object

LIST_LIMIT = 20_000
"""The most conversations offered as forward targets."""


class MessageMenu(_Base):
    """The actions menu and forwarding. Mixed into MainScreen."""

    client: IMClient
    rights: SendRights
    actions: ActionHandler | None
    history: HistoryActions | None
    receipts: ReceiptActions | None

    if TYPE_CHECKING:  # provided by MainScreen

        def _chat(self) -> ChatView: ...

        @property
        def chat_view(self) -> ChatView | None: ...

        async def _show_queued(self, message: Message) -> None: ...

    def on_chat_view_forward_requested(self, event: ChatView.ForwardRequested) -> None:
        """Ask where to forward the messages, then forward them."""
        self.forward(event.messages)

    def on_chat_view_menu_requested(self, event: ChatView.MenuRequested) -> None:
        """List a bubble's actions (m, ., right click) and do the chosen one."""
        bubble, chat = event.source, self._chat()
        entries = list(bubble.actions())
        if all(action != "copy" for action, _ in entries):
            entries.append(("copy", "Copy text"))
        marked = chat.is_marked(bubble.message.id)
        entries += [
            ("forward", "Forward…"),
            ("mark", "Unmark" if marked else "Mark for forwarding"),
        ]
        if self.history is not None:
            entries += self.history.menu_entries(bubble.message)
        if self.receipts is not None:
            entries += self.receipts.menu_entries(bubble.message)

        def chosen(action: str | None) -> None:
            if action == "forward":
                self.forward(chat.marked or [bubble.message])
            elif action == "mark":
                chat.toggle_mark(bubble.message)
            elif action and self.actions is not None:
                self.actions.handle(bubble, action, bubble.url_for(action))

        message = bubble.message
        summary = catalogue.summarize(message.object_name, message.content, bubble.me)
        self.app.push_screen(screens.ActionMenuScreen(summary[:60], entries), chosen)

    def forward(self, chosen: list[Message]) -> None:
        """Ask for the targets and the mode, then forward ``chosen`` (in a worker)."""
        self.run_worker(self._forward(chosen), group="forward", exit_on_error=False)

    async def _forward(self, chosen: list[Message]) -> None:
        from imkit_tui.ui.screens.forward import ForwardScreen

        try:
            core.check_forwardable(chosen)
        except core.ForwardError as error:
            self.app.notify(str(error), title="Cannot forward", severity="warning")
            return
        rows = await self.client.conversations(limit=LIST_LIMIT)
        writable = [row for row in rows if self.rights.reason(row.ref) is None]
        dialog = ForwardScreen(len(chosen), writable, names=display_name)
        choice = await self.app.push_screen_wait(dialog)
        if choice is None:
            return
        try:
            queued = await self.client.forward(chosen, choice.targets, merged=choice.merged)
        except core.ForwardError as error:
            self.app.notify(str(error), title="Cannot forward", severity="error")
            return
        chat = self.chat_view
        if chat is not None:
            chat.clear_marks()
        for message in queued:
            await self._show_queued(message)
        names = ", ".join(display_name(target) for target in choice.targets)
        self.app.notify(f"Forwarded to {names}", markup=False)

    def action_forward_marked(self) -> None:
        """Forward the marked messages (or the selected one)."""
        chat = self.chat_view
        if chat is not None:
            chat.action_forward()

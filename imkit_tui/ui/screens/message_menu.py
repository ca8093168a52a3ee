"""The actions menu of a message, and forwarding, for the main screen.

The menu (m, ".", a right click) lists what the bubble offers, copy, forward, mark for
forwarding, and recall, re-edit and delete; forwarding asks for the targets and the mode
(one by one or merged) and queues the copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.ui import screens
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.ui.screens.actions import ActionHandler
    from imkit_tui.ui.screens.history_actions import HistoryActions
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.screens.read_only import SendRights
    from imkit_tui.ui.screens.receipt_actions import ReceiptActions
    from imkit_tui.ui.screens.ultra_actions import UltraPane
    from imkit_tui.ui.widgets.chat_view import ChatView

LIST_LIMIT = 20_000
"""The most conversations offered as forward targets."""


class MessageMenu:
    """The actions menu of a message and forwarding, for the main screen's chat view."""

    def __init__(
        self,
        host: MainHost,
        chat: ChatView,
        *,
        rights: SendRights,
        actions: ActionHandler,
        history: HistoryActions,
        receipts: ReceiptActions,
        ultra: UltraPane | None = None,
    ) -> None:
        """Act on ``chat``'s bubbles: their own actions through ``actions``, recall and
        delete through ``history``, receipts through ``receipts``, editing an own message
        of an ultra group through ``ultra``; forward to what
        ``rights`` allows (each queued copy comes into view as an event, MessageQueued)."""
        self._host = host
        self._chat = chat
        self._rights = rights
        self._actions = actions
        self._history = history
        self._receipts = receipts
        self._ultra = ultra

    def open(self, event: ChatView.MenuRequested) -> None:
        """List a bubble's actions (m, ., right click) and do the chosen one."""
        bubble, chat = event.source, self._chat
        entries = list(bubble.actions())
        if all(action != "copy" for action, _ in entries):
            entries.append(("copy", "Copy text"))
        marked = chat.is_marked(bubble.message.id)
        entries += [
            ("forward", "Forward…"),
            ("mark", "Unmark" if marked else "Mark for forwarding"),
        ]
        if self._ultra is not None and self._ultra.can_edit(bubble.message):
            entries.append(("edit", "Edit (e)"))
        entries += self._history.menu_entries(bubble.message)
        entries += self._receipts.menu_entries(bubble.message)

        def chosen(action: str | None) -> None:
            if action == "forward":
                self.forward(chat.marked or [bubble.message])
            elif action == "mark":
                chat.toggle_mark(bubble.message)
            elif action:
                self._actions.handle(bubble, action, bubble.url_for(action))

        message = bubble.message
        summary = catalogue.summarize(message.object_name, message.content, bubble.me)
        self._host.app.push_screen(screens.ActionMenuScreen(summary[:60], entries), chosen)

    def forward(self, chosen: list[Message]) -> None:
        """Ask for the targets and the mode, then forward ``chosen`` (in a worker)."""
        self._host.run_worker(self._forward(chosen), group="forward", exit_on_error=False)

    async def _forward(self, chosen: list[Message]) -> None:
        from imkit_tui.ui.screens.forward import ForwardScreen

        app, client = self._host.app, self._host.client
        try:
            core.check_forwardable(chosen)
        except core.ForwardError as error:
            app.notify(str(error), title="Cannot forward", severity="warning")
            return
        rows = await client.conversations(limit=LIST_LIMIT)
        writable = [row for row in rows if self._rights.reason(row.ref) is None]
        dialog = ForwardScreen(len(chosen), writable, names=display_name)
        choice = await app.push_screen_wait(dialog)
        if choice is None:
            return
        # An ultra group's list row stands for the group: its default channel receives.
        targets = [
            core.channel_ref(t.target) if core.is_ultra_row(t) else t for t in choice.targets
        ]
        try:
            await client.files.forward(chosen, targets, merged=choice.merged)
        except core.ForwardError as error:
            app.notify(str(error), title="Cannot forward", severity="error")
            return
        self._chat.clear_marks()
        names = ", ".join(display_name(target) for target in choice.targets)
        app.notify(f"Forwarded to {names}", markup=False)

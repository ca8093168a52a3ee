"""The chat pane of the main screen, mounted when the first conversation opens: the chat
view, the @ member picker, the composer with its attach button, the read-only note,
and the controllers that act on the open chat (actions, receipts, the message menu,
sending files). Start-up draws only what the first frame shows; this comes after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Horizontal, Vertical

from imkit_tui.ui.screens.actions import ActionHandler
from imkit_tui.ui.screens.lazy_media import LazyMedia
from imkit_tui.ui.screens.message_menu import MessageMenu
from imkit_tui.ui.screens.read_only import ReadOnlyNote
from imkit_tui.ui.screens.receipt_actions import ReceiptActions
from imkit_tui.ui.screens.sending import Sending
from imkit_tui.ui.widgets.chat_view import ChatView, each_hook
from imkit_tui.ui.widgets.composer import AttachButton, Composer
from imkit_tui.ui.widgets.mention_picker import MentionPicker

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main import MainScreen


async def mount_chat(screen: MainScreen, window: int) -> None:
    """Mount the chat pane's widgets in place of the empty-chat hint, and give `screen`
    the controllers that act on the open chat (`actions`, `receipts`, `menu`,
    `sending`). The chat view holds `window` messages at most."""
    await screen.query_one("#empty-chat").remove()
    chat_pane = screen.query_one("#chat", Vertical)
    client = screen.client
    chat = ChatView(me=client.user_id, loader=screen.load_older, window=window, id="messages")
    lazy = LazyMedia(screen, client, lambda: screen.chat_view)
    receipts = ReceiptActions(screen, client, lambda: screen.chat_view, lambda: screen.current)
    screen.receipts = receipts
    screen.actions = ActionHandler(screen, client, lambda: screen.chat_view)
    chat.on_new_bubbles = each_hook(lazy.wanted, receipts.decorate, screen.history.decorate)
    screen.menu = MessageMenu(
        screen,
        chat,
        rights=screen.rights,
        actions=screen.actions,
        history=screen.history,
        receipts=receipts,
    )
    screen.sending = Sending(screen, client, lambda: screen.current)
    composer, picker = Composer(id="composer"), MentionPicker(id="mention-picker")
    composer.use_picker(picker)
    row = Horizontal(composer, AttachButton(id="attach"), id="composer-row")
    # Between the chat and the composer docked below: the members offered for @.
    await chat_pane.mount(chat, picker, row, ReadOnlyNote(id="read-only"))

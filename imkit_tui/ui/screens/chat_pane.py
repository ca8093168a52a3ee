"""The chat pane of the main screen, mounted when the first conversation opens: the chat
view, the @ member picker, the composer with its attach button, the read-only note,
and the controllers that act on the open chat (actions, receipts, the message menu,
sending files). Start-up draws only what the first frame shows; this comes after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual.containers import Horizontal
from textual.screen import Screen

from imkit_tui.core import Message
from imkit_tui.ui.screens.actions import ActionHandler
from imkit_tui.ui.screens.history_actions import HistoryActions
from imkit_tui.ui.screens.lazy_media import LazyMedia
from imkit_tui.ui.screens.main_host import MainHost
from imkit_tui.ui.screens.message_menu import MessageMenu
from imkit_tui.ui.screens.read_only import ReadOnlyNote, SendRights
from imkit_tui.ui.screens.receipt_actions import ReceiptActions
from imkit_tui.ui.screens.sending import Sending
from imkit_tui.ui.screens.ultra_actions import UltraPane
from imkit_tui.ui.widgets.chat_view import ChatView, each_hook
from imkit_tui.ui.widgets.composer import AttachButton, Composer
from imkit_tui.ui.widgets.mention_picker import MentionPicker


@dataclass(frozen=True, slots=True)
class ChatControllers:
    """What acts on the open chat, made with the chat pane."""

    actions: ActionHandler
    receipts: ReceiptActions
    menu: MessageMenu
    sending: Sending


async def mount_chat(
    screen: Screen[Any],
    host: MainHost,
    *,
    history: HistoryActions,
    rights: SendRights,
    ultra: UltraPane,
    load_older: Callable[[int, int], Awaitable[list[Message]]],
    window: int,
) -> ChatControllers:
    """Mount the chat pane's widgets on `screen` (`host` as its controllers see it) in
    place of the empty-chat hint; the controllers that act on the open chat. The chat
    view pages older messages with `load_older` and holds `window` of them at most."""
    await screen.query_one("#empty-chat").remove()
    chat_pane = screen.query_one("#chat")
    client = host.client
    chat = ChatView(me=client.user_id, loader=load_older, window=window, id="messages")
    lazy = LazyMedia(screen, client, lambda: host.chat_view)
    receipts = ReceiptActions(screen, client, lambda: host.chat_view, lambda: host.current)
    actions = ActionHandler(screen, client, lambda: host.chat_view)
    chat.on_new_bubbles = each_hook(lazy.wanted, receipts.decorate, history.decorate)
    menu = MessageMenu(
        host,
        chat,
        rights=rights,
        actions=actions,
        history=history,
        receipts=receipts,
        ultra=ultra,
    )
    sending = Sending(screen, client, lambda: host.current)
    composer, picker = Composer(id="composer"), MentionPicker(id="mention-picker")
    composer.use_picker(picker)
    row = Horizontal(composer, AttachButton(id="attach"), id="composer-row")
    # Between the chat and the composer docked below: the members offered for @.
    await chat_pane.mount(chat, picker, row, ReadOnlyNote(id="read-only"))
    return ChatControllers(actions, receipts, menu, sending)

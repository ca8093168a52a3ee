"""The main screen: conversation list, chat view and composer, driven by core events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Static

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import ConnectionState, Conversation, Message, is_ultra_row, list_ref
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui import screens
from imkit_tui.ui.format import display_name
from imkit_tui.ui.notifier import Notifier
from imkit_tui.ui.palette import lazy_provider
from imkit_tui.ui.screens.conversation_settings import ConversationSettings
from imkit_tui.ui.screens.drafts import Drafts
from imkit_tui.ui.screens.history_actions import HistoryActions, visible
from imkit_tui.ui.screens.mention_actions import JUMP_KEY, MentionActions
from imkit_tui.ui.screens.message_menu import LIST_LIMIT
from imkit_tui.ui.screens.privacy_actions import PrivacyActions
from imkit_tui.ui.screens.read_only import SendRights
from imkit_tui.ui.screens.rows import newest_notified, peer_read, placeholder_row, unread_after
from imkit_tui.ui.screens.search_actions import SearchActions, search_commands
from imkit_tui.ui.screens.start_up import (
    CoreStart,
    DeferredClient,
    quiet_garbage_collector,
    report_ready,
)
from imkit_tui.ui.screens.typing import TypingStatus
from imkit_tui.ui.screens.ultra_actions import UltraPane
from imkit_tui.ui.widgets.channel_sidebar import ChannelSidebar
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.conversation_list import ConversationList
from imkit_tui.ui.widgets.key_footer import KeyFooter
from imkit_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.widgets import TextArea

    from imkit_tui.core import IMClient, Subscription
    from imkit_tui.ui.bubbles import Bubble
    from imkit_tui.ui.screens.actions import ActionHandler
    from imkit_tui.ui.screens.message_menu import MessageMenu
    from imkit_tui.ui.screens.receipt_actions import ReceiptActions
    from imkit_tui.ui.screens.sending import Sending
    from imkit_tui.ui.widgets.chat_view import ChatView
    from imkit_tui.ui.widgets.composer import AttachButton, Composer

log = logging.getLogger(__name__)

#: Messages shown when a conversation opens: a tall screen's worth (each is rendered
#: once to know its height); older ones page in as the user scrolls up.
FIRST_PAGE = 24

#: Messages the chat view holds (light records, strips cached only near the viewport);
#: pages further away are dropped and come back as the user scrolls. Every held message
#: is measured again after a resize: this bounds that cost.
CHAT_WINDOW = 300


class MainScreen(Screen[None]):
    """Where people chat. All state comes from the client core; nothing is kept twice.

    The screen lays out the widgets and applies the core's events; what each feature
    does is in a controller built with the widgets it needs (``mentions``, ``typing``,
    ``privacy``, ``settings``, ``search``, ``history``, ``rights``, and once a chat is
    open ``menu``, ``actions``, ``receipts``, ``sending``). Key bindings name the thin
    ``action_*`` methods here, which hand over to them.
    """

    class LoginRefused(TextualMessage):
        """The server refused the login for good; the app should say so and end."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    # main.tcss, as default CSS: added to the app's stylesheet when the screen mounts and
    # parsed alone; a CSS_PATH would re-parse every source and restyle the app first.
    DEFAULT_CSS = (Path(__file__).parent / "main.tcss").read_text(encoding="utf-8")
    BINDINGS: ClassVar[list[BindingType]] = [
        ("ctrl+n", "new_chat", "New chat"),
        Binding("ctrl+f", "search", "Search"),
        ("tab", "app.focus_next", "Focus"),
        ("escape", "focus_list", "Back"),
        Binding("ctrl+g", "toggle_animations", "GIFs on/off", show=False),
        Binding("ctrl+o", "chat_settings", "Chat settings", show=False),
        Binding(JUMP_KEY, "jump_to_mention", "@ Mention"),
        Binding("ctrl+r", "app.chatrooms", "Chatrooms", id="main.chatrooms"),
    ]
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        lazy_provider("imkit_tui.ui.screens.main_commands", "MainCommands"),
        search_commands,
    }

    def __init__(
        self,
        client: IMClient | DeferredClient,
        *,
        server_label: str = "",
        idle_seconds: Callable[[], float] = lambda: float("inf"),
        notifications: bool = True,
        notification_text: bool = True,
        connect: bool = True,
        start: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`server_label` is shown in the status bar (the URL when empty);
        `idle_seconds` tells how long nobody has typed or clicked; `notifications` is
        the one switch of notifications, `notification_text` whether they show text;
        with `connect`, `start` (default: the client's) runs after the first frame. A
        :class:`DeferredClient` is made after the first frame, drawn from its store."""
        super().__init__()
        self.core = CoreStart(client, connect=connect, start=start)
        """The client core, and how it starts."""
        self._server_label = server_label or self.core.server_url
        self._idle_seconds = idle_seconds
        self.notifications = notifications
        self._notification_text = notification_text
        self._notifier: Notifier | None = None
        self.current: ConvRef | None = None
        self.listing = ConversationList(
            names=lambda conv: self.privacy.list_name(conv),
            me=self.core.user_id,
            id="conversations",
        )
        self.header = ChatHeader(id="chat-title")
        self.ultra = UltraPane(self, self.header, self.forget_conversation)
        """Ultra groups: the channel sidebar, the header, editing, their settings."""
        self.rights = SendRights(self, self.core.user_id)
        """Which conversations can be written to; the composer or why not."""
        self.privacy = PrivacyActions(self, self.listing)
        self.history = HistoryActions(self, self.forget_conversation)
        self.search = SearchActions(self)
        self.settings = ConversationSettings(
            self, self.listing, self.history, self.privacy, self.action_search, self.ultra
        )
        self.mentions = MentionActions(self, self.rights, self.header, self.refresh_bindings)
        self.typing = TypingStatus(self, self.header)
        self.drafts = Drafts(self, self.rights, self._refresh_row)
        self.public = screens.PublicActions(self)  # accounts: menu bar, following, directory
        self.profiles = screens.ProfileActions(self, self.core, self.listing, self.header)
        self.service = screens.CustomerServiceActions(self, self.header)
        self.actions: ActionHandler | None = None
        self.receipts: ReceiptActions | None = None
        self.menu: MessageMenu | None = None
        self.sending: Sending | None = None
        """Sends files and places (once a conversation was opened)."""

    @property
    def client(self) -> IMClient:
        """The client core (made on first use when it was deferred)."""
        return self.core.client

    def compose(self) -> ComposeResult:
        """Status bar, list and chat side by side, footer."""
        yield StatusBar(self.core.user_id, self._server_label, id="status")
        with Horizontal(id="body"):
            yield self.listing
            yield self.ultra.sidebar
            with Vertical(id="chat"):
                yield self.header
                yield Static(
                    "Pick a conversation on the left, or ctrl+n to start one.", id="empty-chat"
                )
        yield KeyFooter()

    def _chat(self) -> ChatView:
        """The chat view (mounted once a conversation was opened)."""
        return cast("ChatView", self.query_one("#messages"))

    async def _chat_widgets(self) -> tuple[ChatView, Composer]:
        """The chat view and the composer, mounted when the first conversation opens
        (start-up draws only what the first frame shows)."""
        from imkit_tui.ui.screens.chat_pane import mount_chat

        if not self.query("#messages"):
            made = await mount_chat(
                self,
                self,
                history=self.history,
                rights=self.rights,
                ultra=self.ultra,
                load_older=self._load_older,
                window=CHAT_WINDOW,
            )
            self.actions, self.receipts = made.actions, made.receipts
            self.menu, self.sending = made.menu, made.sending
        return self._chat(), cast("Composer", self.query_one("#composer"))

    @property
    def chat_view(self) -> ChatView | None:
        """The chat view, once a conversation was opened."""
        found = self.query("#messages")
        return cast("ChatView", found.first()) if found else None

    async def on_mount(self) -> None:
        """Fill the list from the store (a deferred client's from its file), then
        follow the core's events; connecting starts after the first frame."""
        await self.core.first_frame(self)
        self.query_one(ConversationList).focus()
        self.call_after_refresh(self._after_first_frame)

    def show_connection(
        self, state: ConnectionState, detail: str = "", code: int | None = None
    ) -> None:
        """Show the connection's state (before connecting: connecting, if it will)."""
        if self.core.connect and state == ConnectionState.OFFLINE:
            state = ConnectionState.CONNECTING  # it will, right after the first frame
        self._show_state(state, detail, code)

    def _after_first_frame(self) -> None:
        report_ready()
        quiet_garbage_collector(self, self._idle_seconds)
        self.run_worker(self.core.after_first_frame(self), name="client-start")

    async def reload_conversations(self) -> None:
        """Replace the list with the store's conversations."""
        self.show_rows(await self.client.conversations(limit=LIST_LIMIT))

    def show_rows(self, rows: list[Conversation]) -> None:
        """Show `rows` as the conversation list."""
        listing = self.query_one(ConversationList)
        listing.set_conversations(rows)
        if rows and (listing.highlighted is None or self.current is None):
            listing.highlight(rows[0].ref)  # until one is opened, the newest is at hand
        self._show_unread()

    # ------------------------------------------------------------------ core events

    @work(exclusive=True, group="core-events")
    async def follow_events(self, events: Subscription) -> None:
        """Apply every event of the client core to the widgets, in order."""
        with events:
            async for event in events:
                try:
                    if isinstance(event, core.ConnectionChanged):
                        self._show_state(event.state, event.detail, event.code)
                    elif isinstance(event, core.MessagesReceived):
                        await self._on_received(event.conv, event.messages)
                    elif isinstance(event, core.MessageQueued):
                        await self._on_queued(event.message)
                    elif isinstance(event, core.MessageUpdated):
                        await self._on_updated(event.message)
                    elif isinstance(event, core.SyncCompleted):
                        await self.reload_conversations()
                        if self.receipts is not None:
                            self.receipts.reconnected()
                    elif isinstance(event, core.MessagesDeleted | core.HistoryCleared):
                        await self.history.changed(event)
                        await self._refresh_row(event.conv)
                        self.mentions.drop(event)
                    elif isinstance(event, core.StatusReceived):
                        self.typing.received(event.record)
                    elif isinstance(event, core.ConversationUpdated):
                        self._on_conversation_updated(event.conversation)
                    elif isinstance(event, core.UltraChanged):
                        await self.ultra.changed(event)
                    elif isinstance(event, core.ReceiptsUpdated) and self.receipts is not None:
                        self.receipts.updated(event)
                    elif isinstance(event, core.NoticeReceived):
                        self.notifier.notice(event.title, event.body)
                    elif isinstance(event, core.TransferProgress):
                        chat = self.chat_view
                        if chat is not None:
                            chat.show_transfer(event.message_id, event.done, event.total)
                except Exception:  # one bad event must not stop the app following the rest
                    log.exception("could not apply %r", event)

    @property
    def notifier(self) -> Notifier:
        """How new messages are announced (toast, bell, desktop notification)."""
        if self._notifier is None:
            write = getattr(self.app, "write_to_terminal", None)
            self._notifier = Notifier(
                self.app,
                enabled=self.notifications,
                show_text=self._notification_text,
                write=write if callable(write) else None,
            )
        return self._notifier

    def _show_state(self, state: ConnectionState, detail: str, code: int | None) -> None:
        self.query_one(StatusBar).set_connection(state, detail, self.core.connected_url)
        if state == ConnectionState.REFUSED:
            self.post_message(
                self.LoginRefused(f"imkit: the server refused the login: {detail} ({code})")
            )

    async def _on_received(self, conv: ConvRef, received: Sequence[Message]) -> None:
        self.typing.done(conv, list(received))
        self.mentions.members_changed(conv, received)
        if conv == self.current:
            self.rights.received(conv, received)
            chat = self._chat()
            seen = chat.at_bottom and self.app.app_focus
            await chat.add(visible(list(received)))
            if not seen:
                self.mentions.note_received(received)
            if self.app.app_focus:
                await self.client.mark_read(conv)
        row = await self._refresh_row(conv)
        if conv == self.current and row is not None and row.title and row.ref == conv:
            self.query_one(ChatHeader).rename(display_name(conv, row.title))
        last = newest_notified(received)
        # Only live messages notify: what a sync brings back is shown by the list.
        if last is not None and self.client.state == ConnectionState.CONNECTED:
            self.notifier.new_message(
                display_name(conv, row.title if row else ""),
                catalogue.summarize(last.object_name, last.content, self.client.user_id),
                open_now=conv == self.current,
                muted=(row is not None and row.muted) or await self.ultra.quiet(conv, [last]),
            )

    async def _on_queued(self, message: Message) -> None:
        """An own message was queued (typed here, a file, a forward, another process of
        this user): into view if its conversation is open, and its list row."""
        if message.conv == self.current:
            await self._chat().add(visible([message]))
        await self._refresh_row(message.conv)

    async def _on_updated(self, message: Message) -> None:
        if message.conv == self.current:
            self._chat().update_message(message)
            self.mentions.drop(message)
        await self._refresh_row(message.conv)

    def _on_conversation_updated(self, row: Conversation) -> None:
        """Read positions or settings changed: the list row, the totals, read receipts."""
        if list_ref(row.ref) != row.ref:  # a channel: its group's row and the sidebar
            self.run_worker(self._refresh_row(row.ref), group="rows", exit_on_error=False)
            return
        self.query_one(ConversationList).upsert(row)
        self._show_unread()
        chat = self.chat_view
        if row.ref == self.current and chat is not None:
            chat.show_peer_read(peer_read(row))

    async def _refresh_row(self, conv: ConvRef) -> Conversation | None:
        row = await self.client.conversation(list_ref(conv))
        if row is not None:
            self.query_one(ConversationList).upsert(row)
        self._show_unread()
        if list_ref(conv) != conv:  # a channel: the sidebar's counts, if it shows them
            await self.ultra.refresh(conv.target)
        return row

    def _show_unread(self) -> None:
        # The list holds every conversation and keeps the sum of their unread counts.
        total = self.query_one(ConversationList).total_unread
        self.query_one(StatusBar).unread = total
        self.app.title = f"imkit · {total} unread" if total else "imkit"

    # ------------------------------------------------------------------ opening

    @on(ConversationList.Selected)
    async def _selected(self, event: ConversationList.Selected) -> None:
        await self.open_conversation(event.conv)

    async def on_channel_sidebar_chosen(self, event: ChannelSidebar.Chosen) -> None:
        """A channel chosen in the sidebar: open it."""
        await self.open_conversation(event.conv)

    async def open_conversation(self, conv: ConvRef, *, around: Message | None = None) -> None:
        """Show `conv` (around `around`, a search result, then selected); mark it read.
        An ultra group's list row opens a channel of it."""
        if is_ultra_row(conv):
            return await self.ultra.open_group(conv.target)
        chat, composer = await self._chat_widgets()
        if conv != self.current:
            chat.clear_marks()  # marks for forwarding belong to one conversation
            self.mentions.forget()
        self.current = conv
        row = await self.client.conversation(conv)
        page = visible(await self.search.first_page(conv, FIRST_PAGE, around))
        chat.show_senders = conv.type in (ConversationType.GROUP, ConversationType.ULTRA_GROUP)
        chat.show_peer_read(peer_read(row))
        if around is None:
            await chat.show(page, unread_after_seq=unread_after(row))
        else:
            await chat.show_around(page, around, newest_seq=row.max_seq if row else None)
        name = display_name(conv, row.title if row else "")
        self.query_one(ChatHeader).set_title(name)
        name = await self.ultra.opened(conv, row) or name
        # The composer reports the previous draft's unsaved edit before loading this one.
        self.drafts.opened(conv)
        writable = await self.rights.open(conv, page, row)
        composer.set_placeholder(name)
        self.mentions.offer_members(conv)
        await self.service.opened(conv)
        listing = self.query_one(ConversationList)
        if listing.get(list_ref(conv)) is None:
            listing.upsert(placeholder_row(list_ref(conv)))
        listing.highlight(list_ref(conv))
        (composer if around is None and writable else chat).focus()
        await self.public.opened(conv)  # an account's chat: its menu bar, not the composer
        await self.mentions.note(conv, row)  # before they are read
        await self.client.mark_read(conv)
        await self._refresh_row(conv)

    async def _load_older(self, before_seq: int, limit: int) -> list[Message]:
        conv = self.current
        if conv is None:
            return []
        try:
            return visible(await self.client.history.older(conv, before_seq, limit))
        except (core.NotConnected, TimeoutError):
            # Offline: what the store has is all there is for now.
            return visible(await self.client.messages(conv, before_seq=before_seq, limit=limit))

    # ------------------------------------------------------------------ composing

    async def on_composer_submitted(self, event: Composer.Submitted) -> None:
        """Send what was written to the open conversation."""
        conv = self.current
        if conv is None:
            return
        if (reason := self.rights.reason(conv)) is not None:
            self.app.notify(reason, severity="warning")
            return
        if await self.ultra.submitted(conv, event.text):
            return  # an edit of an own message, saved
        if await self.public.submitted(conv, event.text):
            return
        mentioned, everyone = self.mentions.to_send(conv, event)
        # It comes into view as every message does: an event (MessageQueued).
        await self.client.send_text(conv, event.text, mentioned=mentioned, mention_all=everyone)

    async def on_composer_draft_changed(self, event: Composer.DraftChanged) -> None:
        """Store a draft under the conversation it was written for."""
        await self.drafts.changed(event.key, event.text)

    async def on_chat_view_retry_requested(self, event: ChatView.RetryRequested) -> None:
        """Send a failed message again."""
        await self.client.retry(event.message.id)

    async def on_composer_command_submitted(self, event: Composer.CommandSubmitted) -> None:
        """Run a slash command (``/image PATH``…) for the open conversation."""
        if self.sending is not None:
            await self.sending.command(event.composer, event.text)

    def on_composer_file_pasted(self, event: Composer.FilePasted) -> None:
        """Offer a pasted file as an attachment."""
        if self.sending is not None:
            work = self.sending.pasted(event.composer, event.path, event.text)
            self.run_worker(work, group="paste-offer", exit_on_error=False)

    def on_composer_attach_requested(self, event: Composer.AttachRequested) -> None:
        """ctrl+a in the composer opens the attachment board."""
        self.action_attach()

    def on_attach_button_pressed(self, event: AttachButton.Pressed) -> None:
        """The "+" beside the composer opens the attachment board."""
        self.action_attach()

    # ------------------------------------------------------------------ message actions

    def on_bubble_action_requested(self, event: Bubble.ActionRequested) -> None:
        """Do what a bubble asks (click, key, menu): play, view, save, open…"""
        event.stop()
        if self.actions is not None:
            self.actions.handle_event(event)

    def action_attach(self) -> None:
        """Open the attachment board."""
        reason = self.rights.reason(self.current) if self.current else None
        if reason is not None:
            self.app.notify(reason, severity="warning")
        elif self.sending is not None:
            self.sending.open_board()
        else:
            self.app.notify("Open a conversation first", severity="warning")

    def action_toggle_animations(self) -> None:
        """Stop GIF animations, or start them again (ctrl+g)."""
        from imkit_tui.ui.screens.actions import ActionHandler

        handler = self.actions or ActionHandler(self, self.client, lambda: self.chat_view)
        handler.toggle_animations()

    async def on_unmount(self) -> None:
        """Stop players still running."""
        if self.actions is not None:
            await self.actions.stop_all()

    # ------------------------------------------------------------------ actions

    def action_new_chat(self) -> None:
        """Ask for a user id and open the chat with them."""

        async def chosen(user_id: str | None) -> None:
            if user_id:
                await self.open_conversation(ConvRef.private(user_id))

        self.app.push_screen(screens.NewChatScreen(), chosen)

    def action_new_group(self) -> None:
        """Ask for the members and a name, create the group and open its chat."""
        screens.start_new_group(self, self.client, self.open_conversation)

    def action_accept_invitation(self) -> None:
        """Ask for the group one was invited to, join it and open its chat."""
        screens.start_accepting_invitation(self, self.client, self.open_conversation)

    def action_focus_list(self) -> None:
        """Back to the conversation list (an edit in the composer is given up)."""
        self.ultra.cancel_edit()
        self.query_one(ConversationList).focus()

    def action_focus_composer(self) -> None:
        """To the composer of the open conversation."""
        if self.current is not None and (composer := self.composer) is not None:
            composer.focus()

    async def action_jump_latest(self) -> None:
        """Show the newest messages of the open conversation."""
        if self.current is not None:
            await self._chat().jump_to_latest()

    def action_search(self) -> None:
        """Search messages (ctrl+f); the one chosen opens in its conversation, in context."""
        self.search.search()

    def action_chat_settings(self) -> None:
        """The settings of the open or highlighted conversation (ctrl+o)."""
        self.settings.open_settings()

    async def action_toggle_pin(self) -> None:
        """Pin or unpin the highlighted or open conversation (p in the list)."""
        await self.settings.toggle_pin()

    async def action_toggle_mute(self) -> None:
        """Do not disturb on or off (m in the list)."""
        await self.settings.toggle_mute()

    async def action_toggle_unread(self) -> None:
        """Mark as unread, or as read (u in the list)."""
        await self.settings.toggle_unread()

    def action_clear_history(self) -> None:
        """Ask, then clear the history of the highlighted or open conversation."""
        self.settings.clear_history()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The jump to a mention shows (in the footer) and acts only while one waits."""
        if action == "jump_to_mention":
            return self.mentions.can_jump
        return super().check_action(action, parameters)

    async def action_jump_to_mention(self) -> None:
        """Show the oldest waiting message that @mentions this user (alt+m)."""
        await self.mentions.jump()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """The user edits the composer: the peer may be told (typing status)."""
        self.typing.edited(event)

    def on_chat_view_forward_requested(self, event: ChatView.ForwardRequested) -> None:
        """Ask where to forward the messages, then forward them."""
        if self.menu is not None:
            self.menu.forward(event.messages)

    def on_chat_view_menu_requested(self, event: ChatView.MenuRequested) -> None:
        """List a bubble's actions (m, ., right click) and do the chosen one."""
        if self.menu is not None:
            self.menu.open(event)

    def follow_privacy(self) -> None:
        """Show blocked users in the list, and every change (called once the store is open)."""
        work = self.privacy.follow()
        self.run_worker(work, group="privacy-events", exclusive=True, exit_on_error=False)

    @property
    def composer(self) -> Composer | None:
        """The composer, once a conversation was opened."""
        found = self.query("#composer")
        return cast("Composer", found.first()) if found else None

    def forget_conversation(self, conv: ConvRef) -> None:
        """Take a conversation off the list (removed); close it if it is open."""
        self.listing.remove(conv)
        self._show_unread()
        if conv == self.current:
            self.action_focus_list()

    async def keep_draft(self) -> None:
        """Store what is typed in the open conversation (called when the app ends)."""
        await self.drafts.keep()

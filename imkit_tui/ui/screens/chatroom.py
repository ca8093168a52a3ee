"""The chatroom screen: a live room's stream, its member count, members and attributes.

Opened on a room id (from the Chatrooms list, :mod:`.chatrooms`): it joins the room
(with its latest :data:`JOIN_RECENT` messages), shows the stream in the line-drawn chat
view, the exact member count in the header, the first members by join time and the
room's attributes beside it, and the composer below. Messages reach the view in one
batch per frame (:class:`~imkit_tui.ui.screens.room_feed.RoomFeed`), so a busy room
scrolls smoothly and typing stays quick. When the connection drops the room is left
and, once back, joined again: the stream is shown afresh. Escape leaves the room (its
messages are deleted here) and closes the screen; so does the server ending the room
for this user (destroyed, kicked, banned), with a note saying why.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from imkit_tui.core import IMClient, Message, NotConnected, RequestFailed, SendStatus
from imkit_tui.core.chatrooms import Room
from imkit_tui.core.events import RoomChanged, RoomMessagesReceived, RoomMessageUpdated
from imkit_tui.protocol import ConversationType, describe
from imkit_tui.ui.screens.room_feed import RoomFeed
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.key_footer import KeyFooter
from imkit_tui.ui.widgets.room_panel import RoomAttributes, RoomMembers

JOIN_RECENT = 20
"""The latest messages a join brings into view."""
CHAT_WINDOW = 300
"""Messages the view holds; older ones page in from those held here."""
TEXT_ONLY = "A chatroom takes text only here"
PANELS_EVERY = 5.0
"""Seconds between two looks at the member count, members and attributes."""

_ENDED_BECAUSE = {
    "destroyed": "the room was destroyed",
    "kicked": "you were removed from the room",
    "banned": "you are banned from the room",
    "auto_exit": "you were away too long and left the room",
}
_NOTES = {
    "muted": "You are muted in this room",
    "unmuted": "You may speak again",
    "all_muted": "The whole room is muted",
    "all_unmuted": "The room may speak again",
    "distribution_stopped": "The room's messages are paused",
    "distribution_resumed": "The room's messages flow again",
}


class ChatroomScreen(Screen[None]):
    """One live room: stream, composer, member count, members and attributes."""

    DEFAULT_CSS = """
    ChatroomScreen {
        layout: vertical;
    }
    ChatroomScreen #room-title {
        height: auto;
        padding: 0 1;
        background: $surface;
        text-style: bold;
    }
    ChatroomScreen #room-body {
        height: 1fr;
    }
    ChatroomScreen #room-chat {
        width: 1fr;
        height: 1fr;
    }
    ChatroomScreen #room-messages {
        height: 1fr;
    }
    ChatroomScreen #room-composer {
        dock: bottom;
        width: 1fr;
    }
    ChatroomScreen #room-side {
        width: 32;
        height: 1fr;
        border-left: vkey $panel;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave room", id="chatroom.leave"),
        Binding("ctrl+r", "refresh_panels", "Refresh members", id="chatroom.refresh"),
        ("tab", "app.focus_next", "Focus"),
    ]

    def __init__(
        self, client: IMClient, room: str, *, recent: int = JOIN_RECENT, existing: bool = False
    ) -> None:
        """The screen of ``room`` for ``client``; it joins the room with ``recent``
        messages (only an existing one with ``existing``) once mounted."""
        super().__init__()
        self.client = client
        self.room = room
        self._recent = recent
        self._existing = existing
        self.info: Room | None = None
        """The room as the join (or the last look) told it."""
        self.state = "joining…"
        """What the header says of the room's state ("" when joined)."""
        self.marks: dict[str, str] = {}
        """What holds in the room now, as the header says it ("you are muted"…)."""
        self._leaving = False
        me = client.user_id
        self.chat = ChatView(
            me=me, loader=self._older, window=CHAT_WINDOW, show_senders=True, id="room-messages"
        )
        self.composer = Composer(id="room-composer")
        self.members = RoomMembers(me, id="room-member-panel")
        self.attributes = RoomAttributes(id="room-attribute-panel")
        self.feed = RoomFeed(self, self.chat)

    def compose(self) -> ComposeResult:
        """Title; stream and composer beside members and attributes; keys."""
        yield Static(f"# {self.room}", id="room-title")
        with Horizontal(id="room-body"):
            with Vertical(id="room-chat"):
                yield self.chat
                yield self.composer
            with Vertical(id="room-side"):
                yield self.members
                yield self.attributes
        yield KeyFooter()

    def on_mount(self) -> None:
        """Join, then follow the room; look at the panels now and then."""
        self.composer.set_placeholder(f"#{self.room}")
        self.composer.focus()
        self.run_worker(self._follow(), group="room-events", exclusive=True, exit_on_error=False)
        self.set_interval(PANELS_EVERY, self.action_refresh_panels)

    # ------------------------------------------------------------------ the room

    @property
    def header(self) -> str:
        """What the title line says."""
        info = self.info
        name = info.name if info is not None and info.name else self.room
        parts = [f"# {name}" + (f" ({self.room})" if name != self.room else "")]
        if info is not None:
            plural = "" if info.member_count == 1 else "s"
            parts.append(f"{info.member_count:,} member{plural}")
        if self.state:
            parts.append(self.state)
        parts += self.marks.values()
        return " · ".join(parts)

    def _show_header(self) -> None:
        self.query_one("#room-title", Static).update(self.header)

    def _set_count(self, count: int | None) -> None:
        if count is None or self.info is None:
            return
        self.info = Room(
            self.info.room, self.info.name, self.info.created_at, count, self.info.all_muted
        )
        self.members.show_count(count)
        self._show_header()

    async def _follow(self) -> None:
        """Join (subscribed first, so nothing is missed), then apply the room's events."""
        rooms = self.client.chatrooms
        with self.client.subscribe() as events:
            try:
                join = rooms.join_existing if self._existing else rooms.join
                self.info = await join(self.room, recent=self._recent)
            except (RequestFailed, NotConnected, TimeoutError) as failure:
                self.app.notify(f"Cannot join #{self.room}: {_why(failure)}", severity="error")
                self._leaving = True
                self.dismiss()
                return
            self.state = ""
            self.members.show_count(self.info.member_count)
            self._show_header()
            await self._show_all()
            self.action_refresh_panels()
            async for event in events:
                if isinstance(event, RoomMessagesReceived) and event.room == self.room:
                    self.feed.received(event.messages)
                elif isinstance(event, RoomMessageUpdated) and _of_room(event.message, self.room):
                    self.feed.updated(event.message)
                    _say_failed(self, event.message)
                elif isinstance(event, RoomChanged) and event.room == self.room:
                    await self._changed(event)

    async def _show_all(self) -> None:
        """Fill the view afresh with what is held of the room."""
        self.feed.forget()
        await self.chat.show(await self.client.chatrooms.messages(self.room, limit=CHAT_WINDOW))

    async def _changed(self, change: RoomChanged) -> None:
        kind = change.kind
        if kind == "disconnected":
            self.state = "reconnecting…"
        elif kind == "rejoined":
            self.state = ""
            await self._show_all()
            self.action_refresh_panels()
        elif kind == "attributes":
            self.action_refresh_panels()
        elif kind in _NOTES:
            self.app.notify(_NOTES[kind], title=f"#{self.room}")
            _mark(self.marks, kind)
        if kind in ("joined", "rejoined"):
            self._set_count(change.member_count)
        if change.ended and not self._leaving:
            reason = _ENDED_BECAUSE.get(kind) or _why_code(change.code)
            self.app.notify(f"Out of #{self.room}: {reason}", severity="warning")
            self._leaving = True
            self.dismiss()
            return
        self._show_header()

    async def _older(self, before_seq: int, limit: int) -> list[Message]:
        return await self.client.chatrooms.older(self.room, before_seq, limit)

    # ------------------------------------------------------------------ actions

    def action_refresh_panels(self) -> None:
        """Look at the member count, the first members and the attributes again."""
        if self.client.chatrooms.is_joined(self.room):
            self.run_worker(self._refresh_panels(), group="room-panels", exclusive=True)

    async def _refresh_panels(self) -> None:
        rooms = self.client.chatrooms
        try:
            info, members = await rooms.members(self.room)
            attributes = await rooms.attributes(self.room)
        except (RequestFailed, NotConnected, TimeoutError):
            return  # the next look, or the rejoin, tries again
        self.info = info
        self.members.show(members, info.member_count)
        self.attributes.show(attributes)
        self._show_header()

    async def action_leave(self) -> None:
        """Leave the room (its messages here go) and close the screen."""
        self._leaving = True
        try:
            await self.client.chatrooms.leave(self.room)
        except (RequestFailed, NotConnected, TimeoutError) as failure:
            self.app.notify(f"Left #{self.room} here; the server said: {_why(failure)}")
        self.dismiss()

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        """Send the text to the room (it shows at once, then as the server took it)."""
        event.stop()
        self.run_worker(self._send(event.text), group="room-send", exit_on_error=False)

    async def _send(self, text: str) -> None:
        try:
            await self.client.chatrooms.send_text(self.room, text)
        except RequestFailed as failure:  # not in the room (yet, or any more)
            self.app.notify(f"Not sent: {_why(failure)}", severity="warning")

    def on_composer_command_submitted(self, event: Composer.CommandSubmitted) -> None:
        """Slash commands (files, places) are for conversations, not rooms."""
        event.stop()
        self.app.notify(TEXT_ONLY, severity="warning")

    def on_composer_attach_requested(self, event: Composer.AttachRequested) -> None:
        """Files and places are for conversations, not rooms."""
        event.stop()
        self.app.notify(TEXT_ONLY, severity="warning")

    def on_composer_draft_changed(self, event: Composer.DraftChanged) -> None:
        """A room keeps no draft."""
        event.stop()


_MARKS = {
    "muted": ("you", "you are muted"),
    "unmuted": ("you", ""),
    "all_muted": ("room", "room muted"),
    "all_unmuted": ("room", ""),
    "distribution_stopped": ("flow", "paused"),
    "distribution_resumed": ("flow", ""),
}


def _mark(marks: dict[str, str], kind: str) -> None:
    """Note in ``marks`` what a server event says now holds (or no longer does)."""
    slot, text = _MARKS[kind]
    if text:
        marks[slot] = text
    else:
        marks.pop(slot, None)


def _of_room(message: Message, room: str) -> bool:
    return message.conv.type == ConversationType.CHATROOM and message.conv.target == room


def _why(failure: BaseException) -> str:
    if isinstance(failure, RequestFailed):
        return f"{describe(failure.code)} ({failure.code})"
    if isinstance(failure, TimeoutError):
        return "no answer in time"
    return "not connected"


def _why_code(code: int | None) -> str:
    return f"{describe(code)} ({code})" if code is not None else "the room ended"


def _say_failed(screen: Screen[None], message: Message) -> None:
    """Tell why an own message did not go (muted, dropped while the room is busy…)."""
    if message.status == SendStatus.FAILED:
        reason = _why_code(message.error) if message.error is not None else "not sent"
        screen.app.notify(f"Not sent: {reason}", severity="warning")

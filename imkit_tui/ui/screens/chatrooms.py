"""The Chatrooms list: the public rooms the server offers, and joining any room by id.

Opened from the main screen (ctrl+r, or "Chatrooms…" in the palette): the rooms come
from the server with their member counts; Enter on one, or a room id typed in the box,
opens it on a :class:`~imkit_tui.ui.screens.chatroom.ChatroomScreen` of its own.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.chatrooms import Room
from imkit_tui.ui.format import is_user_id
from imkit_tui.ui.screens.chatroom import ChatroomScreen


def room_line(room: Room) -> Text:
    """A room as the list shows it: its name, its id, how many are in it."""
    line = Text(f"# {room.name or room.room}", style="bold")
    if room.name and room.name != room.room:
        line.append(f"  {room.room}", style="dim")
    plural = "" if room.member_count == 1 else "s"
    line.append(f"  · {room.member_count:,} member{plural}")
    return line


class ChatroomsScreen(ModalScreen[str | None]):
    """The public rooms and a box for a room id; dismisses with the room to open."""

    DEFAULT_CSS = """
    ChatroomsScreen {
        align: center middle;
    }
    ChatroomsScreen > Vertical {
        width: 64;
        max-width: 90%;
        height: auto;
        max-height: 80%;
        padding: 1 2;
        background: $surface;
        border: round $primary;
    }
    ChatroomsScreen #room-list {
        height: auto;
        max-height: 16;
        margin: 1 0;
    }
    ChatroomsScreen #rooms-note {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "close", "Close")]

    def __init__(self, client: IMClient) -> None:
        """The list as ``client``'s server offers it."""
        super().__init__()
        self._client = client
        self.rooms: list[Room] = []
        """The public rooms listed."""

    def compose(self) -> ComposeResult:
        """Title, the room id box, the list, the keys."""
        with Vertical():
            yield Label("Chatrooms", id="rooms-title")
            yield Input(placeholder="Join a room by id…", id="room-id", compact=True)
            yield OptionList(id="room-list")
            yield Label("Loading the rooms the server offers…", id="rooms-note")

    def on_mount(self) -> None:
        """Ask the server for its public rooms."""
        self.query_one("#room-id", Input).focus()
        self.run_worker(self._load(), group="room-list", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        note = self.query_one("#rooms-note", Label)
        try:
            self.rooms = await self._client.chatrooms.public()
        except (RequestFailed, NotConnected, TimeoutError):
            note.update("Offline: type a room id, it is joined once connected")
            return
        listing = self.query_one("#room-list", OptionList)
        listing.add_options([Option(room_line(room), id=room.room) for room in self.rooms])
        if self.rooms:
            listing.highlighted = 0
            listing.focus()
        note.update(
            "Enter join · tab move · Esc close"
            if self.rooms
            else "No public rooms: type a room id (a new id makes a room)"
        )

    @on(OptionList.OptionSelected, "#room-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#room-id")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        room = event.value.strip()
        if is_user_id(room):
            self.dismiss(room)
        else:
            self.query_one("#rooms-note", Label).update(
                "A room id has 1 to 64 characters, no spaces"
            )

    def action_close(self) -> None:
        """Close without joining."""
        self.dismiss(None)


def open_chatrooms(app: App[None], client: IMClient) -> None:
    """List the rooms; the one chosen opens on a screen of its own."""

    def chosen(room: str | None) -> None:
        if room:
            app.push_screen(ChatroomScreen(client, room))

    app.push_screen(ChatroomsScreen(client), chosen)

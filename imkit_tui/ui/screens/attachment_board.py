"""The attachment board (IMKit's extension board) and the forms behind its entries.

ctrl+a in the composer, or a click on the "+" beside it, opens :class:`AttachmentBoard`:
Image, File, Voice, Video and Location, chosen by key (i f v m l, or 1 to 5), by
arrows and Enter, or by mouse. Each entry opens an :class:`AttachmentForm` that asks
for what it needs (a path, or latitude, longitude and a name) and hands it to a
``send`` callback; the callback's error (a missing file, not an image…) shows in the
form, which stays open so the user can fix it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from imkit_tui.media.probe import MediaKind
from imkit_tui.ui.widgets.composer_input import (
    CommandError,
    FileCommand,
    LocationCommand,
    parse_command,
    path_argument,
)

LOCATION = "location"
"""The board entry that sends a place rather than a file."""

ENTRIES: tuple[tuple[str, str, str], ...] = (
    (MediaKind.IMAGE.value, "🖼 Image", "i"),
    (MediaKind.FILE.value, "📄 File", "f"),
    (MediaKind.VOICE.value, "🎤 Voice", "v"),
    (MediaKind.VIDEO.value, "🎬 Video", "m"),
    (LOCATION, "📍 Location", "l"),
)
"""The board's entries: ``(name, label, key)``; the name is a MediaKind value or
:data:`LOCATION`."""

TITLES: dict[str, str] = {
    MediaKind.IMAGE.value: "Send an image",
    MediaKind.FILE.value: "Send a file",
    MediaKind.VOICE.value: "Send a voice message (at most 60 s)",
    MediaKind.VIDEO.value: "Send a video (at most 2 minutes)",
    LOCATION: "Send a location",
}
"""The title of each entry's form."""

Request = FileCommand | LocationCommand
"""What a form asks to send."""

Sender = Callable[[Request], Awaitable[str | None]]
"""Sends a request; returns an error message for the user, or None when it was sent."""


class AttachmentBoard(ModalScreen[str | None]):
    """The board of attachment kinds; closes with the chosen entry's name."""

    DEFAULT_CSS = """
    AttachmentBoard {
        align: center bottom;
    }
    AttachmentBoard > Vertical {
        width: auto;
        max-width: 100%;
        height: auto;
        margin-bottom: 4;
        padding: 0 1;
        background: $surface;
        border: round $primary;
        border-title-color: $text;
    }
    AttachmentBoard Horizontal {
        width: auto;
        height: auto;
    }
    AttachmentBoard Button {
        margin: 0 1;
        min-width: 0;
    }
    AttachmentBoard .board-keys {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
        *(
            Binding(f"{key},{number}", f"choose('{name}')", label, show=False)
            for number, (name, label, key) in enumerate(ENTRIES, start=1)
        ),
    ]

    def compose(self) -> ComposeResult:
        """One button per entry and a line of keys."""
        with Vertical() as board:
            board.border_title = "Attach"
            with Horizontal():
                for name, label, key in ENTRIES:
                    yield Button(f"{label} ({key})", id=f"board-{name}", compact=True)
            yield Label("←/→ move · Enter choose · Esc close", classes="board-keys")

    def on_mount(self) -> None:
        """Focus the first entry."""
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id is not None:
            self.dismiss(event.button.id.removeprefix("board-"))

    def action_choose(self, name: str) -> None:
        """Close with ``name``."""
        self.dismiss(name)

    def action_close(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


class AttachmentForm(ModalScreen[bool]):
    """Asks what one board entry needs, sends it, and closes with True once sent."""

    DEFAULT_CSS = """
    AttachmentForm {
        align: center middle;
    }
    AttachmentForm > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        background: $surface;
        border: round $primary;
    }
    AttachmentForm #attach-error {
        color: $error;
        height: auto;
    }
    AttachmentForm .form-keys {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, entry: str, send: Sender) -> None:
        """A form for ``entry`` (a MediaKind value or :data:`LOCATION`) sending through
        ``send``."""
        super().__init__()
        self.entry = entry
        """The board entry this form is for."""
        self._send = send
        self._busy = False

    def compose(self) -> ComposeResult:
        """The inputs the entry needs, a line for errors and the keys."""
        with Vertical():
            yield Label(TITLES.get(self.entry, "Send"), id="attach-title")
            if self.entry == LOCATION:
                yield Input(placeholder="latitude, e.g. 31.2304", id="attach-latitude")
                yield Input(placeholder="longitude, e.g. 121.4737", id="attach-longitude")
                yield Input(placeholder="name (optional), e.g. People's Square", id="attach-name")
            else:
                yield Input(placeholder="path, e.g. ~/Pictures/photo.png", id="attach-path")
            yield Label("", id="attach-error")
            yield Label("Enter send · Esc cancel", classes="form-keys")

    def on_mount(self) -> None:
        """Focus the first input."""
        self.query(Input).first().focus()

    def request(self) -> Request:
        """What the inputs ask to send; raises CommandError when they are not complete."""
        values = {field.id: field.value.strip() for field in self.query(Input)}
        if self.entry != LOCATION:
            path = values.get("attach-path", "")
            if not path:
                raise CommandError("Type the path of the file to send")
            return FileCommand(MediaKind(self.entry), path_argument(path))
        latitude, longitude = values.get("attach-latitude"), values.get("attach-longitude")
        if not latitude or not longitude:
            raise CommandError("Type a latitude and a longitude")
        command = parse_command(f"/location {latitude} {longitude} {values.get('attach-name')}")
        assert isinstance(command, LocationCommand)
        return command

    @on(Input.Submitted)
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        empty = [field for field in self.query(Input) if not field.value.strip()]
        if self.entry == LOCATION and empty and empty[0].id != "attach-name":
            empty[0].focus()
            return
        await self.submit()

    async def submit(self) -> None:
        """Send what the inputs say; show the error, or close when it was sent."""
        if self._busy:
            return
        error_line = self.query_one("#attach-error", Label)
        try:
            request = self.request()
        except CommandError as error:
            error_line.update(Text(str(error)))
            return
        self._busy = True
        error_line.update("Sending…")
        try:
            problem = await self._send(request)
        finally:
            self._busy = False
        if problem is None:
            self.dismiss(True)
        else:
            error_line.update(Text(problem))

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(False)

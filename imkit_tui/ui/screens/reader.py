"""The reader: the whole text of one message, full screen, scrollable and copyable.

A chat shows a long text folded; ``o`` (or enter) on it opens it here. The text sits in a
read-only text area, so it scrolls (arrows, page keys, the mouse), wraps to the screen,
and a selection (shift and the arrows, or the mouse) is copied with ctrl+c. Keys: c copies
the whole text, g or ctrl+home goes to its start, G or ctrl+end to its end, esc (or q)
closes.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label, TextArea

KEYS = "esc close · c copy all · g/G start/end · shift+arrows select · ctrl+c copy selection"
"""The key line under the text."""


class ReaderScreen(Screen[None]):
    """The whole text of a message, read-only, with its title above it."""

    DEFAULT_CSS = """
    ReaderScreen {
        layout: vertical;
    }
    ReaderScreen > #reader-title {
        width: 1fr;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    ReaderScreen > #reader-text {
        height: 1fr;
        border: none;
        padding: 0 1;
    }
    ReaderScreen > #reader-keys {
        width: 1fr;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy_all", "Copy all"),
        Binding("ctrl+home,g", "top", "Top", show=False),
        Binding("ctrl+end,G", "bottom", "End", show=False),
    ]

    def __init__(self, text: str, title: str) -> None:
        """Show ``text`` (already safe to draw) under ``title``."""
        super().__init__()
        self.text = text
        """The text shown."""
        self._title = title

    def compose(self) -> ComposeResult:
        """Title, the text, the keys."""
        lines = self.text.count("\n") + 1
        yield Label(
            f"{self._title} · {len(self.text):,} characters, {lines:,} lines",
            id="reader-title",
            markup=False,
        )
        yield TextArea(
            self.text,
            read_only=True,
            soft_wrap=True,
            show_line_numbers=False,
            id="reader-text",
        )
        yield Label(KEYS, id="reader-keys", markup=False)

    def on_mount(self) -> None:
        """The text takes the keys (scrolling, selecting)."""
        self.query_one(TextArea).focus()

    def action_copy_all(self) -> None:
        """Copy the whole text to the clipboard."""
        self.app.copy_to_clipboard(self.text)
        self.notify("Copied the whole text")

    def action_top(self) -> None:
        """Go to the start of the text."""
        area = self.query_one(TextArea)
        area.move_cursor((0, 0), center=True)

    def action_bottom(self) -> None:
        """Go to the end of the text."""
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end, center=True)

    def action_close(self) -> None:
        """Back to the chat."""
        self.dismiss(None)

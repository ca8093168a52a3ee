"""The "New chat with…" dialog: ask for a user id."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

_USER_ID = re.compile(r"^[^\s]{1,64}$")


class NewChatScreen(ModalScreen[str | None]):
    """Asks for the user id to chat with; dismisses with it, or None on escape."""

    DEFAULT_CSS = """
    NewChatScreen {
        align: center middle;
    }
    NewChatScreen > Vertical {
        width: 50;
        height: auto;
        padding: 1 2;
        background: $surface;
        border: round $primary;
    }
    NewChatScreen #new-chat-error {
        color: $error;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """A label, the input and a line for errors."""
        with Vertical():
            yield Label("New chat with… (user id)")
            yield Input(placeholder="e.g. alice", id="new-chat-user")
            yield Label("", id="new-chat-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Accept a well-formed user id."""
        user_id = event.value.strip()
        if not _USER_ID.match(user_id):
            self.query_one("#new-chat-error", Label).update(
                "A user id has 1 to 64 characters and no spaces."
            )
            return
        self.dismiss(user_id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)

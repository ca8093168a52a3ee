"""The "New chat with…" dialog: ask for a user id."""

from __future__ import annotations

from imkit_tui.ui.format import is_user_id
from imkit_tui.ui.screens.prompts import TextPromptScreen


def _check_user_id(text: str) -> str | None:
    return None if is_user_id(text) else "A user id has 1 to 64 characters and no spaces."


class NewChatScreen(TextPromptScreen):
    """Asks for the user id to chat with; dismisses with it, or None on escape."""

    def __init__(self) -> None:
        """A prompt for one user id."""
        super().__init__("New chat with… (user id)", placeholder="e.g. alice", check=_check_user_id)

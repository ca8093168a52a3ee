"""The fallback bubble: unknown message types and content no bubble could read."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.bubbles.base import Bubble

_MAX_NAME = 100


class UnsupportedBubble(Bubble):
    """Shows "Unsupported message: <object name>" in a dim bubble. Never raises.

    Shown for object names nobody registered and, with ``malformed=True``, for a known
    type whose bubble could not read the content.
    """

    def __init__(
        self,
        message: Message,
        *,
        me: str,
        show_sender: bool = False,
        malformed: bool = False,
    ) -> None:
        """Create the bubble.

        Args:
            message: The message that cannot be shown.
            me: The user id of this client's user.
            show_sender: Show the sender's name above others' messages (groups).
            malformed: The type is known but its content could not be read.
        """
        super().__init__(message, me=me, show_sender=show_sender)
        self.malformed = malformed
        """Whether the type is known and the content was unreadable."""

    @property
    def tooltip(self) -> str | None:
        """Says why a known type is shown so (its content could not be read)."""
        if self.malformed:
            return "This message's content could not be read."
        return super().tooltip

    @property
    def label(self) -> str:
        """The text shown."""
        raw = self.message.object_name
        name = clean_text(raw, keep_newlines=False) if isinstance(raw, str) else ""
        if len(name) > _MAX_NAME:
            name = name[: _MAX_NAME - 1] + "…"
        return f"Unsupported message: {name or '?'}"

    def render_body(self) -> RenderableType:
        """The label, dim and in italics."""
        return Text(self.label, style=self.muted_style)

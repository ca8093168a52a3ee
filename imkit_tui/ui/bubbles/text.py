"""The text bubble (``RC:TxtMsg``): wrapped text, wide characters measured right."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.bubbles.base import Bubble


def _text_of(content: object) -> str:
    """Return the drawable text of text content; raise ValueError when malformed."""
    if not isinstance(content, Mapping):
        raise ValueError("text content is not a mapping")
    text = content.get("content")
    if not isinstance(text, str):
        raise ValueError("text content has no string 'content' field")
    return clean_text(text).rstrip()


class TextBubble(Bubble):
    """A text message: as wide as its text, up to 70% of the view, then wrapped.

    Rich measures CJK and emoji as two cells and folds words too long for a line.
    Raises :class:`ValueError` on construction when the content has no string
    ``content`` field (the registry then shows the unsupported bubble).
    """

    def __init__(
        self,
        message: Message,
        *,
        me: str,
        show_sender: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the bubble; see :class:`~imkit_tui.ui.bubbles.base.Bubble`."""
        self._text = _text_of(message.content)
        super().__init__(message, me=me, show_sender=show_sender, name=name, id=id, classes=classes)

    @property
    def text(self) -> str:
        """The text as drawn (control characters removed)."""
        return self._text

    def render_body(self) -> RenderableType:
        """The text, never read as markup."""
        if not self._text.strip():
            return Text("(empty message)", style=self.muted_style)
        return Text(self._text, overflow="fold")

    def refresh_body(self, previous: Message) -> None:
        """Take the new text (an edit); malformed new content keeps the old text."""
        try:
            self._text = _text_of(self.message.content)
        except ValueError:
            return

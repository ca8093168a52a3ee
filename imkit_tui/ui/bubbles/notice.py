"""Notices: grey, centred, one-line bubbles for notifications, recalls and call summaries."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from imkit_tui import messages
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.bubbles.base import Bubble


class NoticeBubble(Bubble):
    """A notice such as "bob joined the group" or "alice recalled a message".

    Centred on one line (cut with an ellipsis when too long), without sender or status
    line, whoever sent it. The text is the message's summary; a recall names who
    recalled.
    """

    show_meta = False
    boxed = False

    @property
    def notice(self) -> str:
        """The text shown."""
        message = self.message
        if message.object_name == messages.RECALL:
            who = "You" if self.own else clean_text(message.sender, keep_newlines=False)[:64]
            return f"{who.strip() or 'Someone'} recalled a message"
        return messages.summarize(message.object_name, message.content)

    def render_body(self) -> RenderableType:
        """The notice text."""
        return Text(self.notice)

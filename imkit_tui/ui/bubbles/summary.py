"""A generic content bubble showing the message's summary ("[Image]", "[File] a.pdf")."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from imkit_tui import messages
from imkit_tui.ui.bubbles.base import Bubble


class SummaryBubble(Bubble):
    """Content types without a bubble of their own yet: their one-line summary.

    The summary comes from :func:`imkit_tui.messages.summarize`, which never raises, so
    this bubble also stands for any known content type that nobody registered a bubble for.
    """

    def render_body(self) -> RenderableType:
        """The summary, in italics."""
        summary = messages.summarize(self.message.object_name, self.message.content)
        return Text(summary, style="italic")

"""Notices: grey, centred, one-line bubbles for notifications, recalls and call summaries."""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.text import Text

from imkit_tui import messages
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.bubbles.base import Bubble
from imkit_tui.ui.names import person

RE_EDIT_HINT = "e to edit again"
"""Added to "You recalled a message" while the recalled text can be taken back."""


class NoticeBubble(Bubble):
    """A notice such as "bob joined the group" or "alice recalled a message".

    Centred on one line (cut with an ellipsis when too long), without sender or status
    line, whoever sent it. The text is the message's summary as this user reads it
    ("You added carol", "alice added you"); a recall names who recalled.
    """

    show_meta = False
    boxed = False

    @property
    def notice(self) -> str:
        """The text shown."""
        message = self.message
        if message.object_name == messages.RECALL:
            if messages.recalled_by_admin(message.content):
                return "An administrator recalled a message"
            sender = person(message.sender)
            who = "You" if self.own else clean_text(sender, keep_newlines=False)[:64]
            return f"{who.strip() or 'Someone'} recalled a message"
        return messages.summarize(message.object_name, message.content, self.me)

    def render_body(self) -> RenderableType:
        """The notice text."""
        return Text(self.notice)


class RecallNoticeBubble(NoticeBubble):
    """What a recalled message leaves: "You recalled a message", or "bob recalled a
    message"; while the text recalled on this device can be taken back into the
    composer (:meth:`offer_re_edit`, called by the screen), "· e to edit again"."""

    _re_edit_until = 0.0

    @property
    def re_editable(self) -> bool:
        """Whether the re-edit hint is shown."""
        return time.monotonic() < self._re_edit_until

    @property
    def notice(self) -> str:
        """The text shown, with the re-edit hint while it applies."""
        text = super().notice
        return f"{text} · {RE_EDIT_HINT}" if self.re_editable else text

    def offer_re_edit(self, seconds: float) -> None:
        """Show the re-edit hint for the next ``seconds``."""
        self._re_edit_until = time.monotonic() + seconds
        self.refresh()
        if self.attached:
            self._end_hint_later()

    def on_attach(self) -> None:
        """Take the hint away when its time is up."""
        if self.re_editable:
            self._end_hint_later()

    def _end_hint_later(self) -> None:
        self.set_timer(max(0.0, self._re_edit_until - time.monotonic()) + 0.05, self.refresh)

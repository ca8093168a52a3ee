"""The merged-forward bubble (``RC:CombineMsg``): several messages forwarded as one.

::

    Chat history of alice and bob
    alice: are we on for friday?
    bob: yes, 7pm
    ─────────────
    Chat history · 12 messages

The title is the content's ``title``, else made from ``nameList``; the first four lines
of ``summaryList`` follow. The footer counts the messages when the content says how many
(``messageCount``, our own addition). A click opens the chat-history viewer.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import (
    content_of,
    list_field,
    number_field,
    one_line,
    text_field,
)
from imkit_tui.ui.bubbles.base import Bubble

SHOWN_LINES = 4
"""Lines of ``summaryList`` shown."""
TITLE = "Chat history"
"""The title without names, and the footer's label."""
_MAX_NAMES = 3


def _names(raw: list[object]) -> list[str]:
    names = [one_line(item, limit=64) for item in raw[:50] if isinstance(item, str)]
    return [name for name in names if name]


def title_for(names: list[str]) -> str:
    """``Chat history of alice and bob`` (up to three names, then "and N others")."""
    if not names:
        return TITLE
    if len(names) == 1:
        return f"{TITLE} of {names[0]}"
    if len(names) <= _MAX_NAMES:
        return f"{TITLE} of {', '.join(names[:-1])} and {names[-1]}"
    hidden = len(names) - (_MAX_NAMES - 1)
    return f"{TITLE} of {', '.join(names[: _MAX_NAMES - 1])} and {hidden} others"


class CombineBubble(Bubble):
    """A merged forward: title, the first summary lines and a footer.

    Raises :class:`ValueError` when the content is not a mapping, ``nameList`` or
    ``summaryList`` is not a list, or ``title``/``remoteUrl`` are not strings.
    """

    def read_content(self, message: Message) -> None:
        """Read the title (or the names), the summary lines, the URL and the count."""
        content = content_of(message.content)
        names = _names(list_field(content, "nameList"))
        title = text_field(content, "title")
        self._title = one_line(title, limit=200) if title else title_for(names)
        self._lines = [
            one_line(line, limit=300)
            for line in list_field(content, "summaryList")
            if isinstance(line, str) and line.strip()
        ]
        self._url = text_field(content, "remoteUrl")
        count = number_field(content, "messageCount", low=0, high=10**9)
        self._count = int(count) if count is not None else None

    @property
    def title(self) -> str:
        """The card's title."""
        return self._title

    @property
    def summary_lines(self) -> list[str]:
        """The summary lines shown (at most four)."""
        return self._lines[:SHOWN_LINES]

    @property
    def message_count(self) -> int | None:
        """How many messages were forwarded, when the content says."""
        return self._count

    @property
    def remote_url(self) -> str | None:
        """Where the forwarded history (an HTML file) is on the server."""
        return self._url

    def actions(self) -> list[tuple[str, str]]:
        """Open the chat-history viewer."""
        return act.labelled(act.VIEW)

    @property
    def default_action(self) -> str | None:
        """A click opens the viewer."""
        return act.VIEW

    def render_body(self) -> RenderableType:
        """Title, summary lines and footer."""
        colours = self.palette
        parts: list[RenderableType] = [Text(self._title, style=colours.title, overflow="fold")]
        for line in self.summary_lines:
            parts.append(Text(line, style=self.detail_style, no_wrap=True, overflow="ellipsis"))
        footer = TITLE
        if self._count is not None:
            footer += f" · {self._count} message{'' if self._count == 1 else 's'}"
        parts.append(Text("─" * min(24, max(8, len(footer))), style=self.detail_style))
        parts.append(Text(footer, style=self.detail_style))
        return Group(*parts)

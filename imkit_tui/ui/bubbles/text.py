"""The text bubble (``RC:TxtMsg``): wrapped text, clickable links, highlighted @mentions.

Rich measures CJK and emoji as two cells; lines break between words and between CJK
characters, never with closing punctuation first (:mod:`imkit_tui.ui.linebreak`), and a
word too long for a line is folded. Links
(``http://``, ``https://``, ``www.``) are underlined and post "open_link" when clicked;
``@name`` tokens, the ids of ``mentionedInfo.userIdList`` and ``@all`` are highlighted,
more strongly when they mean this user.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.messages import read_mentions
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._links import ALL, find_spans
from imkit_tui.ui.bubbles._text import WrappedText, clean_text
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

    Raises :class:`ValueError` on construction when the content has no string
    ``content`` field (the registry then shows the unsupported bubble). An edit is read
    again; malformed new content keeps the old text.
    """

    rereads_content = True

    def read_content(self, message: Message) -> None:
        """Read the text, its mentions and its links."""
        text = _text_of(message.content)
        ids, everyone = read_mentions(message.content)
        spans = find_spans(text, ids)
        self._text, self._spans = text, spans
        self._mentioned_ids, self._mentions_all = ids, everyone

    @property
    def text(self) -> str:
        """The text as drawn (control characters removed)."""
        return self._text

    @property
    def links(self) -> list[str]:
        """The URLs found in the text, in order (``www.`` ones with ``https://``)."""
        return [span.url for span in self._spans if span.url is not None]

    @property
    def mentions(self) -> list[str]:
        """The names or ids of the ``@mentions`` in the text, in order."""
        return [span.who for span in self._spans if span.who is not None]

    @property
    def mentions_me(self) -> bool:
        """Whether the message mentions this user (by id, by ``@me`` or ``@all``)."""
        if self.own:
            return False
        if self._mentions_all or self.me in self._mentioned_ids:
            return True
        return any(self._is_me(who) for who in self.mentions)

    def _is_me(self, who: str) -> bool:
        return who == self.me or who.lower() == ALL

    def actions(self) -> list[tuple[str, str]]:
        """Copy the text; open the first link when there is one."""
        names = [act.COPY, act.OPEN_LINK] if self.links else [act.COPY]
        return act.labelled(*names)

    def url_for(self, action: str) -> str | None:
        """The first link of the text for "open_link"."""
        links = self.links
        return links[0] if action == act.OPEN_LINK and links else None

    def render_body(self) -> RenderableType:
        """The text with its links and mentions styled, never read as markup."""
        if not self._text.strip():
            return Text("(empty message)", style=self.muted_style)
        text = WrappedText(self._text, overflow="fold")
        if not self._spans:
            return text
        colours = self.palette
        for span in self._spans:
            if span.url is not None:
                text.stylize(act.link_style(span.url, base=colours.link), span.start, span.end)
            elif span.who is not None:
                mine = not self.own and self._is_me(span.who)
                text.stylize(colours.mention_me if mine else colours.mention, span.start, span.end)
        return text

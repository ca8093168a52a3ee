"""The text bubble (``RC:TxtMsg``): wrapped text, clickable links, highlighted @mentions.

Rich measures CJK and emoji as two cells; lines break between words and between CJK
characters, never with closing punctuation first (:mod:`imkit_tui.ui.linebreak`), and a
word too long for a line is folded. Links
(``http://``, ``https://``, ``www.``) are underlined and post "open_link" when clicked;
``@name`` tokens, the ids of ``mentionedInfo.userIdList`` and ``@all`` are highlighted,
more strongly when they mean this user.

A long text is drawn folded: its first lines and "… N more lines · press o / enter to
read all, z to unfold". Its default action ("read", o or enter) opens the whole text in
the reader; :meth:`TextBubble.toggle_fold` (z) unfolds it in place. The wrapped lines
are kept per width, so a repaint costs what is shown, not what the text is long.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.messages import read_mentions
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fold import FOLD_LINES, FoldedText
from imkit_tui.ui.bubbles._links import ALL, find_spans
from imkit_tui.ui.bubbles._palette import Palette
from imkit_tui.ui.bubbles._text import MAX_MESSAGE_TEXT, WrappedText, clean_text
from imkit_tui.ui.bubbles.base import Bubble


def _text_of(content: object) -> str:
    """Return the drawable text of text content; raise ValueError when malformed."""
    if not isinstance(content, Mapping):
        raise ValueError("text content is not a mapping")
    text = content.get("content")
    if not isinstance(text, str):
        raise ValueError("text content has no string 'content' field")
    return clean_text(text, limit=MAX_MESSAGE_TEXT).rstrip()


LONG_TEXT = 2_000
"""Characters above which a text counts as long before it was first drawn."""


class TextBubble(Bubble):
    """A text message: as wide as its text, up to 70% of the view, then wrapped.

    Raises :class:`ValueError` on construction when the content has no string
    ``content`` field (the registry then shows the unsupported bubble). An edit is read
    again; malformed new content keeps the old text.
    """

    rereads_content = True
    _unfolded = False

    def read_content(self, message: Message) -> None:
        """Read the text, its mentions and its links."""
        text = _text_of(message.content)
        ids, everyone = read_mentions(message.content)
        spans = find_spans(text, ids)
        self._text, self._spans = text, spans
        self._mentioned_ids, self._mentions_all = ids, everyone
        # Drawn again from the new text; whether it is unfolded stays as it was.
        self._fold_body: FoldedText | None = None
        self._fold_palette: Palette | None = None

    @property
    def long(self) -> bool:
        """Whether the text is too long to show whole at the last width drawn (it folds).

        Before the first drawing: whether it has more lines than a fold shows."""
        body = self._fold_body
        if body is not None and body.wraps:
            return bool(body.hidden) or not body.folded
        return self._text.count("\n") >= FOLD_LINES or len(self._text) > LONG_TEXT

    @property
    def folded(self) -> bool:
        """Whether a long text shows only its first lines (the default)."""
        return not self._unfolded

    def toggle_fold(self) -> bool:
        """Unfold a long text in place, or fold it again; False when it is not long."""
        if not self.long:
            return False
        self._unfolded = not self._unfolded
        if self._fold_body is not None:
            self._fold_body.folded = not self._unfolded
        self.refresh()
        return True

    @property
    def default_action(self) -> str | None:
        """A long text opens in the reader ("read"); a short one has no default."""
        return act.READ if self.long else None

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
        """Copy the text; read a long one whole; open the first link when there is one."""
        names = [act.COPY]
        if self.long:
            names.append(act.READ)
        if self.links:
            names.append(act.OPEN_LINK)
        return act.labelled(*names)

    def url_for(self, action: str) -> str | None:
        """The first link of the text for "open_link"."""
        links = self.links
        return links[0] if action == act.OPEN_LINK and links else None

    def render_body(self) -> RenderableType:
        """The text with its links and mentions styled, never read as markup; folded
        when long (made once per theme, wrapped once per width)."""
        if not self._text.strip():
            return Text("(empty message)", style=self.muted_style)
        colours = self.palette
        if self._fold_body is None or self._fold_palette is not colours:
            body = FoldedText(self._styled(colours), self.muted_style)
            body.folded = self.folded
            self._fold_body, self._fold_palette = body, colours
        return self._fold_body

    def _styled(self, colours: Palette) -> Text:
        text = WrappedText(self._text, overflow="fold")
        for span in self._spans:
            if span.url is not None:
                text.stylize(act.link_style(span.url, base=colours.link), span.start, span.end)
            elif span.who is not None:
                mine = not self.own and self._is_me(span.who)
                text.stylize(colours.mention_me if mine else colours.mention, span.start, span.end)
        return text

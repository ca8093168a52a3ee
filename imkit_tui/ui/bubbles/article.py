"""The public-service article bubbles (``RC:PSImgTxtMsg``, ``RC:PSMultiImgTxtMsg``).

The content's ``articles`` is a list of ``{title, digest, picurl, url}`` (and, from an
imkit account, ``content``: the article's text). The first article is a headline card
(title, picture once local, digest, link); the others follow as lines ``• title``, each
opening its own link when clicked. A multi-article message shows the digest of none: the
titles are the point. Enter (or a click on the card) opens the articles in the reader:
each title, digest, text and link, in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from imkit_tui import messages
from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._card import card
from imkit_tui.ui.bubbles._fields import content_of, list_field, one_line, text_field, web_url
from imkit_tui.ui.bubbles._picture import LocalPicture
from imkit_tui.ui.bubbles.base import Bubble

MAX_ARTICLES = 8
"""Articles shown at most; the rest are left out."""
MAX_WIDTH = 32
"""The widest the headline picture is drawn, in columns."""
MAX_HEIGHT = 8
"""The tallest the headline picture is drawn, in rows."""


@dataclass(frozen=True, slots=True)
class Article:
    """One article of the message."""

    title: str | None
    digest: str | None
    picture_url: str | None
    url: str | None
    body: str | None = None


def _article(raw: object) -> Article:
    if not isinstance(raw, Mapping):
        raise ValueError("an article is not a mapping")
    entry: Mapping[str, Any] = raw
    return Article(
        title=text_field(entry, "title"),
        digest=text_field(entry, "digest"),
        picture_url=text_field(entry, "picurl"),
        url=web_url(text_field(entry, "url")),
        body=text_field(entry, "content"),
    )


class ArticleBubble(Bubble):
    """One or several articles of a public-service account.

    Raises :class:`ValueError` when the content is not a mapping, ``articles`` is not
    a non-empty list of mappings, a field is not a string, or the first article has
    neither a title nor a digest.
    """

    def read_content(self, message: Message) -> None:
        """Read the articles (at most eight)."""
        content = content_of(message.content)
        self._articles = [_article(raw) for raw in list_field(content, "articles")[:MAX_ARTICLES]]
        if not self._articles:
            raise ValueError("no articles")
        first = self._articles[0]
        if first.title is None and first.digest is None:
            raise ValueError("the first article has neither a title nor a digest")
        self._multi = message.object_name == messages.PS_MULTI_ARTICLE or len(self._articles) > 1

    @cached_property
    def _picture(self) -> LocalPicture:
        """The headline's picture, read by a worker of this bubble (made on first use)."""
        return LocalPicture(self, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @property
    def articles(self) -> list[Article]:
        """The articles shown, headline first."""
        return list(self._articles)

    def actions(self) -> list[tuple[str, str]]:
        """Read the articles; open the headline's link, when it has one."""
        return act.labelled(act.READ, *([act.OPEN_LINK] if self._articles[0].url else []))

    @property
    def default_action(self) -> str | None:
        """A click on the card reads the articles (a click on a link opens that one)."""
        return act.READ

    @property
    def text(self) -> str:
        """The articles as the reader shows them: each title, digest, text and link."""
        parts: list[str] = []
        for article in self._articles:
            lines = [line for line in (article.title, article.digest) if line]
            if article.body:
                lines.append(article.body)
            if article.url:
                lines.append(article.url)
            parts.append("\n\n".join(lines))
        return "\n\n――――――――\n\n".join(parts)

    def url_for(self, action: str) -> str | None:
        """The headline's link for "open_link"."""
        return self._articles[0].url if action == act.OPEN_LINK else None

    def media_path_changed(self) -> None:
        """Read the headline's picture now that it is local."""
        self._picture.load(self.media_path)

    def render_body(self) -> RenderableType:
        """The headline card and a line per further article."""
        colours = self.palette
        first = self._articles[0]
        headline = card(
            first.title,
            None if self._multi else first.digest,
            picture=self._picture.drawn,
            url=first.url,
            title_style=colours.title,
            detail_style=self.detail_style,
            link=colours.link,
        )
        if len(self._articles) == 1:
            return headline
        lines: list[RenderableType] = [headline]
        for article in self._articles[1:]:
            title = one_line(article.title or article.digest or "(untitled)", limit=200)
            line = Text("• ", no_wrap=True, overflow="ellipsis")
            style = act.link_style(article.url) if article.url else None
            line.append(title, style)
            lines.append(line)
        return Group(*lines)

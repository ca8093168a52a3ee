"""Private: the card of rich-content and article bubbles.

::

    Title in bold
    ▀▀▄▄ (the picture, once its file is local)
    The digest, wrapped.
    🔗 example.com/post/1
"""

from __future__ import annotations

from urllib.parse import urlsplit

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import one_line
from imkit_tui.ui.bubbles._text import clean_text

MAX_DIGEST = 600
"""Characters of a digest drawn at most."""
MAX_LINK_CELLS = 40
"""The shown part of a link is cut to this many characters."""


def short_url(url: str) -> str:
    """The host and path of ``url`` without the scheme, cut to a readable length."""
    try:
        parts = urlsplit(url)
        shown = (parts.netloc + parts.path).rstrip("/") or url
    except ValueError:
        shown = url
    shown = one_line(shown, limit=1000)
    if len(shown) > MAX_LINK_CELLS:
        shown = shown[: MAX_LINK_CELLS - 1] + "…"
    return shown


def link_line(url: str, link: Style) -> Text:
    """``🔗 host/path``, clickable (it posts "open_link" with ``url``)."""
    text = Text("🔗 ", no_wrap=True, overflow="ellipsis")
    text.append(short_url(url), act.link_style(url, base=link))
    return text


def card(
    title: str | None,
    digest: str | None,
    *,
    picture: RenderableType | None,
    url: str | None,
    title_style: Style,
    detail_style: Style,
    link: Style,
) -> Group:
    """Build a card: bold title, picture, digest and link, each only when present."""
    parts: list[RenderableType] = []
    if title:
        parts.append(Text(one_line(title, limit=300), style=title_style, overflow="fold"))
    if picture is not None:
        parts.append(picture)
    if digest:
        body = clean_text(digest, limit=MAX_DIGEST).strip()
        parts.append(Text(body, style=detail_style, overflow="fold"))
    if url is not None:
        parts.append(link_line(url, link))
    if not parts:
        parts.append(Text("(no title)", style=detail_style))
    return Group(*parts)

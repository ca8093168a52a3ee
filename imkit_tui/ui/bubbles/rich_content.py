"""The rich-content bubble (``RC:ImgTextMsg``): a link card with title, text and picture.

The content has ``title``, ``content`` (the digest), ``imageUri`` (the picture, drawn
once the chat view has it locally: :meth:`~Bubble.set_media_path`) and ``url``. A click
on the card opens the link.
"""

from __future__ import annotations

from functools import cached_property

from rich.console import RenderableType

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._card import card
from imkit_tui.ui.bubbles._fields import content_of, text_field, web_url
from imkit_tui.ui.bubbles._picture import LocalPicture
from imkit_tui.ui.bubbles.base import Bubble

MAX_WIDTH = 32
"""The widest the picture is drawn, in columns."""
MAX_HEIGHT = 8
"""The tallest the picture is drawn, in rows."""


class RichContentBubble(Bubble):
    """A link card.

    Raises :class:`ValueError` when the content is not a mapping, has neither a
    ``title`` nor a ``content``, or a field holds something other than a string. A
    ``url`` that is not http(s) is shown without a link.
    """

    def read_content(self, message: Message) -> None:
        """Read the title, digest, picture URL and link."""
        content = content_of(message.content)
        self._title = text_field(content, "title")
        self._digest = text_field(content, "content")
        if self._title is None and self._digest is None:
            raise ValueError("rich content has neither a title nor a text")
        self._image_uri = text_field(content, "imageUri")
        self._url = web_url(text_field(content, "url"))

    @cached_property
    def _picture(self) -> LocalPicture:
        """The card's picture, read by a worker of this bubble (made on first use)."""
        return LocalPicture(self, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @property
    def title(self) -> str | None:
        """The card's title."""
        return self._title

    @property
    def url(self) -> str | None:
        """The link the card opens (http or https only)."""
        return self._url

    @property
    def image_uri(self) -> str | None:
        """Where the card's picture is on the web."""
        return self._image_uri

    def actions(self) -> list[tuple[str, str]]:
        """Open the link, when there is one."""
        return act.labelled(act.OPEN_LINK) if self._url else []

    @property
    def default_action(self) -> str | None:
        """A click opens the link."""
        return act.OPEN_LINK if self._url else None

    def url_for(self, action: str) -> str | None:
        """The card's link for "open_link"."""
        return self._url if action == act.OPEN_LINK else None

    def media_path_changed(self) -> None:
        """Read the picture now that it is local."""
        self._picture.load(self.media_path)

    def render_body(self) -> RenderableType:
        """The card."""
        colours = self.palette
        return card(
            self._title,
            self._digest,
            picture=self._picture.drawn,
            url=self._url,
            title_style=colours.title,
            detail_style=self.detail_style,
            link=colours.link,
        )

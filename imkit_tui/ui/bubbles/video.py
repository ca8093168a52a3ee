"""The short-video bubble (``RC:SightMsg``): the thumbnail and ``▶ 0:08 · 1.2 MB``.

The content carries a base64 thumbnail (``content``), ``sightUrl``, ``duration``
(seconds), ``size`` and ``name``. ``■`` replaces ``▶`` while the video plays
(:attr:`VideoBubble.playing`, set by whoever plays it). A click plays it.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.media.probe import describe_size
from imkit_tui.ui.bubbles._fields import content_of, duration_text, size_field, text_field
from imkit_tui.ui.bubbles._picture import Thumbnail, inline_pictures
from imkit_tui.ui.bubbles._playable import PlayableBubble
from imkit_tui.ui.bubbles._progress import progress_text

MAX_WIDTH = 32
"""The widest the thumbnail is drawn, in columns."""
MAX_HEIGHT = 12
"""The tallest the thumbnail is drawn, in rows."""
PLACEHOLDER = "🎬 Video"
"""What shows instead of a thumbnail that is missing or does not decode."""


class VideoBubble(PlayableBubble):
    """A short video: thumbnail, play mark, duration and size.

    Raises :class:`ValueError` when the content is not a mapping, ``duration`` is
    missing or invalid, ``size`` is not a byte count, or ``sightUrl``/``content`` are not
    strings.
    """

    def read_content(self, message: Message) -> None:
        """Read the duration, size, URL and thumbnail (``name`` is checked, not shown)."""
        super().read_content(message)
        content = content_of(message.content)
        self._bytes = size_field(content, "size")
        self._url = text_field(content, "sightUrl")
        text_field(content, "name")
        encoded = text_field(content, "content")
        self._thumbnail = Thumbnail(encoded, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @property
    def sight_url(self) -> str | None:
        """Where the video is on the server."""
        return self._url

    def render_body(self) -> RenderableType:
        """The thumbnail, the play line and the transfer's progress while one runs."""
        line = Text()
        line.append(self.play_mark)
        line.append(f" {duration_text(self._seconds)}")
        if self._bytes is not None:
            line.append(f" · {describe_size(self._bytes)}", self.detail_style)
        picture = self._thumbnail.renderable(inline_pictures(self))
        parts: list[RenderableType] = [
            picture if picture is not None else Text(PLACEHOLDER, style=self.detail_style),
            line,
        ]
        if self.transfer is not None:
            parts.append(progress_text(*self.transfer, style=self.detail_style))
        return Group(*parts)

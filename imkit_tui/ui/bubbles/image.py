"""The image bubble (``RC:ImgMsg``): the thumbnail drawn inline (half blocks, or kitty).

The content's ``content`` is a base64 JPEG thumbnail and ``imageUri`` the full picture.
Without a thumbnail that decodes, the bubble shows "🖼 Image" (no preview is not an
error); once the full picture is local (:meth:`~Bubble.set_media_path`, or the
``localPath`` of an own message still being uploaded) and there is no thumbnail, the
local file is drawn instead. A click views the picture full-screen.
"""

from __future__ import annotations

from functools import cached_property

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, text_field
from imkit_tui.ui.bubbles._picture import LocalPicture, Thumbnail, inline_pictures
from imkit_tui.ui.bubbles._progress import with_progress
from imkit_tui.ui.bubbles.base import Bubble

MAX_WIDTH = 32
"""The widest a picture is drawn, in columns."""
MAX_HEIGHT = 12
"""The tallest a picture is drawn, in rows."""

PLACEHOLDER = "🖼 Image"
"""What shows when there is no picture to draw."""


class ImageBubble(Bubble):
    """A picture message: its thumbnail, at most 32 columns by 12 rows.

    Raises :class:`ValueError` when the content is not a mapping or ``content`` /
    ``imageUri`` hold something other than strings.
    """

    def read_content(self, message: Message) -> None:
        """Read the thumbnail (decoded when first drawn) and the full picture's URL."""
        content = content_of(message.content)
        encoded = text_field(content, "content")
        self._uri = text_field(content, "imageUri")
        self._thumbnail = Thumbnail(encoded, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @cached_property
    def _local(self) -> LocalPicture:
        """The local file's picture, read by a worker of this bubble (made on first use)."""
        return LocalPicture(self, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @property
    def image_uri(self) -> str | None:
        """The URL of the full picture, when the content has one."""
        return self._uri

    @property
    def has_preview(self) -> bool:
        """Whether a picture (thumbnail or local file) is drawn rather than the placeholder."""
        return self._thumbnail.available or self._local.drawn is not None

    def actions(self) -> list[tuple[str, str]]:
        """View full-screen and save."""
        return act.labelled(act.VIEW, act.SAVE)

    @property
    def default_action(self) -> str | None:
        """A click views the picture."""
        return act.VIEW

    def media_path_changed(self) -> None:
        """Read the local picture when there is no thumbnail to draw."""
        if not self._thumbnail.available:
            self._local.load(self.media_path)

    def render_body(self) -> RenderableType:
        """The picture (or the placeholder), and the transfer's progress while one runs."""
        picture = self._thumbnail.renderable(inline_pictures(self)) or self._local.drawn
        body: RenderableType = (
            picture if picture is not None else Text(PLACEHOLDER, style=self.detail_style)
        )
        return with_progress(body, self.transfer, style=self.detail_style)

"""The image bubble (``RC:ImgMsg``): the thumbnail drawn inline in half blocks.

The content's ``content`` is a base64 JPEG thumbnail and ``imageUri`` the full picture.
Without a thumbnail that decodes, the bubble shows "🖼 Image" (no preview is not an
error); once the full picture is local (:meth:`~Bubble.set_media_path`, or the
``localPath`` of an own message still being uploaded) and there is no thumbnail, the
local file is drawn instead. A click views the picture full-screen.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, text_field
from imkit_tui.ui.bubbles._picture import LocalPicture, Thumbnail
from imkit_tui.ui.bubbles._progress import progress_text
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

    def __init__(
        self,
        message: Message,
        *,
        me: str,
        show_sender: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the bubble; see :class:`~imkit_tui.ui.bubbles.base.Bubble`."""
        content = content_of(message.content)
        encoded = text_field(content, "content")
        self._uri = text_field(content, "imageUri")
        super().__init__(message, me=me, show_sender=show_sender, name=name, id=id, classes=classes)
        self._thumbnail = Thumbnail(encoded, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)
        self._local = LocalPicture(
            self, max_width=MAX_WIDTH, max_height=MAX_HEIGHT, on_loaded=self._loaded
        )

    @property
    def image_uri(self) -> str | None:
        """The URL of the full picture, when the content has one."""
        return self._uri

    @property
    def has_preview(self) -> bool:
        """Whether a picture (thumbnail or local file) is drawn rather than the placeholder."""
        return self._thumbnail.renderable() is not None or self._local.drawn is not None

    def actions(self) -> list[tuple[str, str]]:
        """View full-screen and save."""
        return act.labelled(act.VIEW, act.SAVE)

    @property
    def default_action(self) -> str | None:
        """A click views the picture."""
        return act.VIEW

    def media_path_changed(self) -> None:
        """Read the local picture when there is no thumbnail to draw."""
        if self._thumbnail.renderable() is None:
            self._local.load(self.media_path)

    def _loaded(self) -> None:
        self.refresh(layout=True)

    def render_body(self) -> RenderableType:
        """The picture (or the placeholder), and the transfer's progress while one runs."""
        picture = self._thumbnail.renderable() or self._local.drawn
        body: RenderableType = (
            picture if picture is not None else Text(PLACEHOLDER, style=self.detail_style)
        )
        if self.transfer is None:
            return body
        return Group(body, progress_text(*self.transfer, style=self.detail_style))

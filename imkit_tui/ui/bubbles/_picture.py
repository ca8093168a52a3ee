"""Private: pictures of media bubbles, from a base64 thumbnail or a local file.

A thumbnail is decoded on first use (not in ``read_content``: a chat view mounts many
bubbles at once and most are never drawn at every width). A local file is read in a
thread so the UI never waits on the disk; until it arrives the bubble shows what it
had.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PIL import Image
from rich.console import RenderableType
from textual.widget import Widget

from imkit_tui.media import limits
from imkit_tui.media.images import decode_base64_image, open_image
from imkit_tui.ui.images.halfblock import HalfBlockImage

MAX_PICTURE_BYTES = 64 * 1024 * 1024
"""Local files larger than this are not read to draw a preview."""


def read_picture(path: Path) -> Image.Image | None:
    """Read and decode a picture file; None when missing, too big or unreadable."""
    try:
        size = path.stat().st_size
        if size <= 0 or size > max(limits.IMAGE_MAX_BYTES, MAX_PICTURE_BYTES):
            return None
        return open_image(path.read_bytes(), name=path.name)
    except Exception:
        return None


class Thumbnail:
    """A base64 thumbnail, decoded on first use and drawn in half blocks."""

    def __init__(self, encoded: str | None, *, max_width: int, max_height: int) -> None:
        """Keep ``encoded`` (may be None or garbage) for drawing up to the given cells."""
        self._encoded = encoded
        self._max = (max_width, max_height)
        self._drawn: HalfBlockImage | None = None
        self._tried = encoded is None

    def renderable(self) -> HalfBlockImage | None:
        """The drawable thumbnail, or None when there is none or it does not decode."""
        if not self._tried:
            self._tried = True
            image = decode_base64_image(self._encoded)
            self._encoded = None
            if image is not None:
                self._drawn = HalfBlockImage(image, max_width=self._max[0], max_height=self._max[1])
        return self._drawn


class LocalPicture:
    """A picture read from a local file in a worker of ``owner``, then drawn.

    ``load`` may be called again with a new path; a late result for an old path is
    dropped. When the picture is in, the owner is repainted (and laid out again).
    """

    def __init__(self, owner: Widget, *, max_width: int, max_height: int) -> None:
        """Prepare to load pictures for ``owner`` (a mounted widget when loading)."""
        self._owner = owner
        self._max = (max_width, max_height)
        self._path: Path | None = None
        self.drawn: HalfBlockImage | None = None
        """The picture, once loaded and readable."""

    def load(self, path: Path | None) -> None:
        """Start reading ``path`` (None forgets the picture)."""
        if path == self._path:
            return
        self._path = path
        self.drawn = None
        if path is not None:
            self._owner.run_worker(self._read(path), group="picture", exclusive=True)

    async def _read(self, path: Path) -> None:
        image = await asyncio.to_thread(read_picture, path)
        if path != self._path or image is None:
            return
        self.drawn = HalfBlockImage(image, max_width=self._max[0], max_height=self._max[1])
        self._owner.refresh(layout=True)


def first_of(*renderables: RenderableType | None) -> RenderableType | None:
    """Return the first renderable that is not None."""
    for renderable in renderables:
        if renderable is not None:
            return renderable
    return None

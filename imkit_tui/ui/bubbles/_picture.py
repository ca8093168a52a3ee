"""Private: pictures of media bubbles, from a base64 thumbnail or a local file.

A thumbnail is decoded on first use (not in ``read_content``: a chat view makes many
bubbles at once and most are never drawn at every width). A local file is read in a
thread so the UI never waits on the disk; until it arrives the bubble shows what it
had.

Pictures are drawn in half blocks, or — when the app draws pictures inline with kitty
(:func:`inline_pictures`) — as kitty placeholder cells
(:class:`~imkit_tui.ui.images.kitty_inline.KittyPicture`), the same size either way.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from rich.console import RenderableType

from imkit_tui.media import limits
from imkit_tui.media.images import decode_base64_image, open_image
from imkit_tui.ui.images.halfblock import HalfBlockImage
from imkit_tui.ui.images.kitty_inline import KittyImages, KittyPicture

if TYPE_CHECKING:
    from imkit_tui.ui.bubbles.base import Bubble

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


def inline_pictures(owner: Any) -> KittyImages | None:
    """The kitty images of ``owner``'s app (a bubble's, a widget's) when it draws
    pictures inline with kitty.

    The app says so with an ``inline_pictures`` attribute (see ``IMKitApp``); any other
    app, or an owner outside an app, gets None: half blocks.
    """
    try:
        images = getattr(owner.app, "inline_pictures", None)
    except Exception:  # no active app
        return None
    return images if isinstance(images, KittyImages) else None


class Thumbnail:
    """A base64 thumbnail, decoded on first use and drawn in half blocks or with kitty."""

    def __init__(self, encoded: str | None, *, max_width: int, max_height: int) -> None:
        """Keep ``encoded`` (may be None or garbage) for drawing up to the given cells."""
        self._encoded = encoded
        self._max = (max_width, max_height)
        self._decoded: Image.Image | None = None
        self._failed = encoded is None
        self._half: HalfBlockImage | None = None
        self._kitty: KittyPicture | None = None

    def _image(self) -> Image.Image | None:
        if self._decoded is None and not self._failed:
            self._decoded = decode_base64_image(self._encoded)
            self._failed = self._decoded is None
        return self._decoded

    @property
    def available(self) -> bool:
        """Whether there is a thumbnail that decodes (decodes it on first call)."""
        return self._half is not None or self._kitty is not None or self._image() is not None

    def renderable(self, kitty: KittyImages | None = None) -> RenderableType | None:
        """The drawable thumbnail, or None when there is none or it does not decode.

        In half blocks, or as kitty placeholders among ``kitty`` when given.
        """
        if kitty is None:
            if self._half is None:
                image = self._image()
                if image is None:
                    return None
                self._half = HalfBlockImage(image, max_width=self._max[0], max_height=self._max[1])
                self._decoded = None
            return self._half
        if self._kitty is None:
            image = self._image()
            if image is None or self._encoded is None:
                return None
            digest = hashlib.sha256(self._encoded.encode("utf-8", "replace")).hexdigest()
            self._kitty = KittyPicture.from_image(
                image,
                key=f"thumbnail:{digest}",
                images=kitty,
                max_width=self._max[0],
                max_height=self._max[1],
            )
            self._decoded = None
        return self._kitty


def _prepare(
    path: Path, kitty: KittyImages | None, max_width: int, max_height: int
) -> RenderableType | None:
    """Read ``path`` and make it drawable (blocking: call it in a thread)."""
    image = read_picture(path)
    if image is None:
        return None
    if kitty is None:
        return HalfBlockImage(image, max_width=max_width, max_height=max_height)
    try:
        stat = path.stat()
        key = f"file:{path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        key = f"file:{path}"
    return KittyPicture.from_image(
        image, key=key, images=kitty, max_width=max_width, max_height=max_height
    )


class LocalPicture:
    """A picture read from a local file in a worker of the bubble ``owner``, then drawn.

    ``load`` may be called again with a new path; a late result for an old path is
    dropped. When the picture is in, the owner is drawn again (its height may change). It
    is drawn with kitty when the owner's app draws pictures inline
    (:func:`inline_pictures`), else in half blocks.
    """

    def __init__(self, owner: Bubble, *, max_width: int, max_height: int) -> None:
        """Prepare to load pictures for ``owner`` (attached to its host when loading)."""
        self._owner = owner
        self._max = (max_width, max_height)
        self._path: Path | None = None
        self.drawn: RenderableType | None = None
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
        kitty = inline_pictures(self._owner)
        drawn = await asyncio.to_thread(_prepare, path, kitty, *self._max)
        if path != self._path or drawn is None:
            return
        self.drawn = drawn
        self._owner.refresh()


def first_of(*renderables: RenderableType | None) -> RenderableType | None:
    """Return the first renderable that is not None."""
    for renderable in renderables:
        if renderable is not None:
            return renderable
    return None

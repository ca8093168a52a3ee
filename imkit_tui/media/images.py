"""Safe image decoding, thumbnails and GIF frames.

Every picture comes from someone else: a file picked by the user or a message off the
wire. So every decode here is bounded (:data:`~imkit_tui.media.limits.MAX_PIXELS`),
limited to formats Pillow decodes natively without helper programs, and turns every
failure into an :class:`ImageError` whose message can be shown to the user as is.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps

from imkit_tui.media import limits
from imkit_tui.media.limits import THUMBNAIL_MAX_SIDE

_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "WEBP", "BMP", "TIFF", "AVIF", "ICO")
"""Formats we decode. Not EPS (it runs Ghostscript), not the exotic ones."""


@functools.cache
def _allowed() -> tuple[str, ...]:
    """The formats of :data:`_FORMATS` this Pillow has (loading its plugins on first use)."""
    Image.init()
    return tuple(name for name in _FORMATS if name in Image.OPEN)


@functools.cache
def decodable_mime() -> frozenset[str]:
    """Return the MIME types :func:`open_image` can decode with this Pillow."""
    return frozenset({"image/jpeg"} | {m for name in _allowed() if (m := Image.MIME.get(name))})


DEFAULT_FRAME_MS = 100
"""The delay of a GIF frame that gives none (or zero), as browsers do."""

MIN_FRAME_MS = 20
"""The shortest delay of a GIF frame; shorter ones are raised to it."""

_QUALITIES = (85, 75, 65, 55, 45, 35, 25)
_WHITE = (255, 255, 255)
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


class ImageError(ValueError):
    """The bytes are not a readable image; the message is meant for the user.

    For example "notes.txt is not an image" or "photo.png is too large to open
    (100000×100000 pixels)".
    """


@dataclass(frozen=True)
class Frame:
    """One frame of an animation, composited onto the frames before it."""

    image: Image.Image
    """The whole frame, in RGBA."""
    duration_ms: int
    """How long the frame shows, in milliseconds (at least :data:`MIN_FRAME_MS`)."""


def _subject(name: str | None) -> str:
    return name if name else "The file"


def _open(data: bytes, name: str | None) -> Image.Image:
    """Open ``data`` lazily (header only) and check its pixel count."""
    try:
        image = Image.open(io.BytesIO(data), formats=_allowed())
    except Image.DecompressionBombError as error:
        raise ImageError(f"{_subject(name)} is too large to open") from error
    except Exception as error:  # Pillow raises many types on hostile input
        raise ImageError(f"{_subject(name)} is not an image") from error
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(f"{_subject(name)} is not a readable image (it is empty)")
    if width * height > limits.MAX_PIXELS:
        raise ImageError(f"{_subject(name)} is too large to open ({width}×{height} pixels)")
    return image


def _verified(data: bytes, name: str | None) -> Image.Image:
    """Open ``data``, verify it, and return it reopened and ready to load."""
    try:
        _open(data, name).verify()
        return _open(data, name)
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(f"{_subject(name)} is too large to open") from error
    except Exception as error:
        raise ImageError(f"{_subject(name)} is damaged or incomplete") from error


def open_image(data: bytes, *, name: str | None = None) -> Image.Image:
    """Decode ``data`` into a loaded image, upright according to its EXIF orientation.

    Args:
        data: The bytes of a PNG, JPEG, GIF, WebP, BMP, TIFF, AVIF or ICO picture.
        name: The file name to use in error messages ("The file" without one).

    Raises:
        ImageError: The bytes are not an image, are damaged or truncated, or have more
            than :data:`~imkit_tui.media.limits.MAX_PIXELS` pixels.

    For an animation this is its first frame; see :func:`gif_frames` for all of them.
    """
    image = _verified(data, name)
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise ImageError(f"{_subject(name)} is too large to open") from error
    except Exception as error:
        raise ImageError(f"{_subject(name)} is damaged or incomplete") from error
    width, height = image.size  # a few formats only know their true size once loaded
    if width * height > limits.MAX_PIXELS:
        raise ImageError(f"{_subject(name)} is too large to open ({width}×{height} pixels)")
    with contextlib.suppress(Exception):  # a malformed EXIF block: keep it as stored
        ImageOps.exif_transpose(image, in_place=True)
    return image


def image_size(data: bytes, *, name: str | None = None) -> tuple[int, int]:
    """Return the displayed ``(width, height)`` of an image from its header alone.

    The EXIF orientation is taken into account (a portrait photo stored sideways
    reports its portrait size). The pixels are not decoded.

    Raises:
        ImageError: The bytes are not an image or have too many pixels.
    """
    image = _open(data, name)
    width, height = image.size
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:
        orientation = None
    if orientation in (5, 6, 7, 8):
        return height, width
    return width, height


def _rgb(image: Image.Image) -> Image.Image:
    """Return ``image`` as RGB, transparent parts laid on white."""
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode == "RGB":
        return image
    try:
        return image.convert("RGB")
    except ValueError:  # modes without a direct path to RGB (some 16-bit ones)
        return image.convert("L").convert("RGB")


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """Return ``size`` scaled down (never up) so its longest side is at most ``side``."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def thumbnail_jpeg(image: Image.Image, max_side: int = THUMBNAIL_MAX_SIDE) -> bytes:
    """Return a JPEG thumbnail of ``image`` that fits inside message content.

    The longest side is at most ``max_side`` pixels (the image is never enlarged); the
    alpha channel is flattened onto white; the quality is lowered step by step, and
    the picture shrunk if even that is not enough, until the JPEG is at most
    :data:`~imkit_tui.media.limits.THUMBNAIL_MAX_BYTES` long.
    """
    side = max(1, max_side)
    picture = image.convert("RGBA") if image.mode in ("P", "1") else image
    target = _fit(picture.size, side)
    if target != picture.size:
        picture = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    picture = _rgb(picture)
    for quality in _QUALITIES:
        data = _jpeg(picture, quality)
        if len(data) <= limits.THUMBNAIL_MAX_BYTES:
            return data
    while picture.size != (1, 1):
        width, height = picture.size
        smaller = (max(1, width * 3 // 4), max(1, height * 3 // 4))
        picture = picture.resize(smaller, Image.Resampling.LANCZOS)
        data = _jpeg(picture, _QUALITIES[-1])
        if len(data) <= limits.THUMBNAIL_MAX_BYTES:
            break
    return data


def thumbnail_base64(data: bytes, *, name: str | None = None) -> str:
    """Return the base64 text (ASCII, no ``data:`` prefix) of a thumbnail of ``data``.

    Raises:
        ImageError: ``data`` is not a readable image.
    """
    return base64.b64encode(thumbnail_jpeg(open_image(data, name=name))).decode("ascii")


def decode_base64_image(text: object) -> Image.Image | None:
    """Decode a base64 image carried in message content; never raises.

    ``text`` may start with a ``data:image/...;base64,`` prefix, may contain line
    breaks, may use the URL-safe alphabet and may lack its padding. Returns None for
    anything that is not a string, not base64, or not a readable image.
    """
    if not isinstance(text, str):
        return None
    body = text.strip()
    if body.startswith("data:"):
        head, comma, body = body.partition(",")
        if not comma or not head.lower().endswith(";base64"):
            return None
    body = "".join(body.split()).translate({ord("-"): "+", ord("_"): "/"})
    if not body or len(body) > limits.IMAGE_MAX_BYTES * 4 // 3 + 4:
        return None
    body += "=" * (-len(body) % 4)
    try:
        data = base64.b64decode(body, validate=True)
        return open_image(data)
    except (binascii.Error, ValueError):  # ImageError is a ValueError
        return None


def _duration(value: object) -> int:
    """Return a frame delay in milliseconds from a GIF's ``duration`` info."""
    if isinstance(value, int | float) and math.isfinite(value) and value > 0:
        return max(MIN_FRAME_MS, int(value))
    return DEFAULT_FRAME_MS


def gif_frames(
    data: bytes,
    *,
    max_frames: int = 300,
    max_side: int | None = None,
    name: str | None = None,
) -> list[Frame]:
    """Decode the frames of an animated GIF (or APNG or WebP), each one complete.

    Pillow composites each frame onto the ones before according to their disposal
    methods, so every :class:`Frame` is the whole picture as it should show. A frame
    without a delay (or with zero) lasts :data:`DEFAULT_FRAME_MS`, and none lasts less
    than :data:`MIN_FRAME_MS`. A still image gives one frame.

    Args:
        data: The bytes of the animation.
        max_frames: Frames decoded at most; the rest are dropped.
        max_side: When given, each frame is scaled down to fit in this many pixels.
        name: The file name to use in error messages.

    Raises:
        ImageError: The bytes are not a readable image. A damaged tail after at least
            one good frame is dropped instead, as browsers do.

    The frames kept together hold at most :data:`~imkit_tui.media.limits.MAX_PIXELS`
    pixels (at least one frame is always kept), so pass ``max_side`` for big GIFs.
    """
    image = _verified(data, name)
    count = max(1, min(getattr(image, "n_frames", 1), max_frames))
    budget = limits.MAX_PIXELS
    frames: list[Frame] = []
    try:
        for index in range(count):
            image.seek(index)
            picture = image.convert("RGBA")
            if max_side is not None:
                picture.thumbnail(_fit(picture.size, max(1, max_side)), Image.Resampling.LANCZOS)
            budget -= picture.width * picture.height
            if frames and budget < 0:
                break
            frames.append(Frame(picture, _duration(image.info.get("duration"))))
    except Image.DecompressionBombError as error:
        raise ImageError(f"{_subject(name)} is too large to open") from error
    except Exception as error:
        if not frames:
            raise ImageError(f"{_subject(name)} is damaged or incomplete") from error
    return frames

"""Attachments: turn a file on disk into the content of an image, GIF, voice, video or file message.

Everything is checked before the message is queued, with a message a user can act on:
a missing or empty file, a file that is not what the command says ("notes.txt is not
an image"), too large, a voice message over 60 seconds, a video over 2 minutes. The
content carries what the bubble shows at once (a JPEG thumbnail, the duration, a
waveform, name and size) and ``localPath``; the outbox uploads the file and fills in
the URL field before sending. Blocking (Pillow, file reads): run in a thread.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imkit_tui import messages
from imkit_tui.core.message_files import LOCAL_PATH
from imkit_tui.media import images, limits, probe
from imkit_tui.media.probe import MediaKind


class AttachmentError(ValueError):
    """The file cannot be sent as asked; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file ready to queue: its message type and content (with ``localPath``)."""

    object_name: str
    content: dict[str, Any]
    size: int


def _too_large(path: Path, size: int, limit: int, what: str) -> AttachmentError:
    return AttachmentError(
        f"{path.name} is {probe.describe_size(size)}; {what} up to {probe.describe_size(limit)}"
    )


def _stat(path: Path) -> int:
    if not path.exists():
        raise AttachmentError(f"No such file: {path}")
    if not path.is_file():
        raise AttachmentError(f"{path} is not a file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise AttachmentError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise AttachmentError(f"{path.name} is empty")
    return size


def prepare(
    path: Path | str, kind: MediaKind | None = None, *, max_bytes: int | None = None
) -> Attachment:
    """Check ``path`` and build the content to send it as ``kind`` (detected when None).

    ``max_bytes`` is the server's upload limit when known. Raises AttachmentError.
    """
    path = Path(path).expanduser()
    size = _stat(path)
    detected = probe.guess_kind(path)
    kind = detected if kind is None else kind
    if kind == MediaKind.IMAGE and detected == MediaKind.GIF:
        kind = MediaKind.GIF
    limit = limits.FILE_MAX_BYTES if max_bytes is None else min(max_bytes, limits.FILE_MAX_BYTES)
    if size > limit:
        raise _too_large(path, size, limit, "files")
    if kind in (MediaKind.IMAGE, MediaKind.GIF):
        return _image(path, size, gif=kind == MediaKind.GIF)
    if kind == MediaKind.VOICE:
        return _voice(path, size, detected)
    if kind == MediaKind.VIDEO:
        return _video(path, size, detected)
    return _file(path, size)


def _image(path: Path, size: int, *, gif: bool) -> Attachment:
    limit = limits.GIF_MAX_BYTES if gif else limits.IMAGE_MAX_BYTES
    if size > limit:
        raise _too_large(path, size, limit, "GIFs" if gif else "images")
    data = path.read_bytes()
    try:
        picture = images.open_image(data)
    except images.ImageError:
        raise AttachmentError(f"{path.name} is not an image") from None
    width, height = picture.size
    if gif:
        content: dict[str, Any] = {
            "remoteUrl": "",
            "width": width,
            "height": height,
            "gifDataSize": size,
        }
        return Attachment(messages.GIF, {**content, LOCAL_PATH: str(path)}, size)
    thumbnail = base64.b64encode(images.thumbnail_jpeg(picture)).decode("ascii")
    content = {"content": thumbnail, "imageUri": "", "width": width, "height": height}
    return Attachment(messages.IMAGE, {**content, LOCAL_PATH: str(path)}, size)


def _voice(path: Path, size: int, detected: MediaKind) -> Attachment:
    if detected != MediaKind.VOICE:
        raise AttachmentError(f"{path.name} is not an audio file")
    seconds = probe.audio_duration(path)
    if seconds is None:
        raise AttachmentError(
            f"Cannot tell how long {path.name} is; try a WAV, MP3, M4A or OGG file"
        )
    if seconds > limits.VOICE_MAX_SECONDS:
        raise AttachmentError(
            f"{path.name} is {math.ceil(seconds)} s long; voice messages are at most "
            f"{limits.VOICE_MAX_SECONDS} s"
        )
    content: dict[str, Any] = {"remoteUrl": "", "duration": max(1, round(seconds))}
    bars = probe.waveform(path)
    if bars:
        content["waveform"] = bars
    return Attachment(messages.VOICE, {**content, LOCAL_PATH: str(path)}, size)


def _video(path: Path, size: int, detected: MediaKind) -> Attachment:
    if detected != MediaKind.VIDEO:
        raise AttachmentError(f"{path.name} is not a video")
    if size > limits.VIDEO_MAX_BYTES:
        raise _too_large(path, size, limits.VIDEO_MAX_BYTES, "videos")
    seconds = probe.video_duration(path)
    if seconds is None:
        raise AttachmentError(f"Cannot tell how long {path.name} is; send it with /file")
    if seconds > limits.VIDEO_MAX_SECONDS:
        raise AttachmentError(
            f"{path.name} is {math.ceil(seconds)} s long; videos are at most "
            f"{limits.VIDEO_MAX_SECONDS // 60} minutes"
        )
    frame = probe.video_thumbnail(path)
    thumbnail = ""
    if frame is not None:
        try:
            thumbnail = images.thumbnail_base64(frame)
        except images.ImageError:
            thumbnail = ""
    content: dict[str, Any] = {
        "sightUrl": "",
        "content": thumbnail,
        "duration": max(1, round(seconds)),
        "size": size,
        "name": path.name,
    }
    return Attachment(messages.SIGHT, {**content, LOCAL_PATH: str(path)}, size)


def _file(path: Path, size: int) -> Attachment:
    mime = probe.sniff_mime(_head(path)) or ""
    extension = path.suffix.lstrip(".").lower()
    content: dict[str, Any] = {
        "name": path.name,
        "size": size,
        "type": extension or mime,
        "fileUrl": "",
    }
    return Attachment(messages.FILE, {**content, LOCAL_PATH: str(path)}, size)


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(64)


def location_content(latitude: float, longitude: float, name: str = "") -> dict[str, Any]:
    """The content of a location message; raises AttachmentError for impossible coordinates."""
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise AttachmentError(f"Latitude {latitude} is not between -90 and 90")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise AttachmentError(f"Longitude {longitude} is not between -180 and 180")
    place = " ".join(name.split()) or f"{latitude:.5f}, {longitude:.5f}"
    return {"latitude": latitude, "longitude": longitude, "poi": place[:200], "content": ""}

"""What a file is and how long it plays: its type, durations, waveforms, sizes, icons.

Content is trusted over names: a text file called ``photo.png`` is a file, not a picture.
The `filetype` package reads the magic numbers.
WAV files are read with the standard library, the common compressed formats through
mutagen; ``ffprobe``/``ffmpeg`` are used when they are on the PATH and skipped cleanly
when they are not. The functions here block; the app calls them from a thread.
"""

from __future__ import annotations

import array
import functools
import math
import os
import shutil
import subprocess
import sys
import wave
from enum import StrEnum
from pathlib import Path
from typing import Any

from imkit_tui.media import limits

TOOL_TIMEOUT = 10.0
"""Seconds an ``ffprobe``/``ffmpeg`` run may take before it is abandoned."""

SNIFF_BYTES = 64
"""Bytes at the start of a file that :func:`sniff_mime` needs."""

_WAVEFORM_RATE = 8000
_WAVEFORM_SECONDS = 600


class MediaKind(StrEnum):
    """How an attachment is sent and shown."""

    IMAGE = "image"
    GIF = "gif"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"


# filetype's names where they differ from the ones this package has always sent.
_RENAMED = {
    "audio/x-wav": "audio/wav",
    "audio/x-flac": "audio/flac",
    "audio/x-aiff": "audio/aiff",
    "image/apng": "image/png",  # an animated PNG is a PNG to every decoder here
}
_BMP_HEADERS = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


@functools.cache
def _matchers() -> tuple[Any, ...]:
    """filetype's matchers, QuickTime's first.

    filetype tries MP4 before QuickTime, so a QuickTime movie that lists ``isom`` among
    its compatible brands would come out as ``video/mp4``.
    """
    from filetype.types import TYPES, video  # loaded on first use, not at start-up

    return (video.Mov(), *TYPES)


def _refine(head: bytes, mime: str) -> str | None:
    """Check or narrow what filetype found, where it reads too little of the head."""
    if mime == "image/bmp":  # filetype takes any "BM": a bitmap names its header's size
        size = int.from_bytes(head[14:18], "little")
        return mime if len(head) >= 18 and size in _BMP_HEADERS else None
    if mime == "audio/ogg" and b"\x80theora" in head:
        return "video/ogg"
    return _RENAMED.get(mime, mime)


def sniff_mime(head: bytes) -> str | None:
    """Return the MIME type told by the magic number at the start of a file, or None.

    ``head`` is the first bytes of the file (:data:`SNIFF_BYTES` are enough). The
    `filetype` package reads it: PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, AVIF; MP4, M4A
    (``audio/mp4``), QuickTime, 3GP (ISO ``ftyp`` boxes); WebM and Matroska; Ogg
    (``audio/ogg``, or ``video/ogg`` for Theora); WAV, AVI, AIFF; MP3 (ID3 tag or frame
    sync); AMR and AMR-WB; AAC (ADTS); FLAC; PDF; ZIP and the formats built on it;
    gzip; and the rest filetype knows. Content it cannot place, damaged or hostile
    included, gives None.
    """
    if head.startswith(b"#!AMR-WB\n"):  # filetype knows narrow-band AMR only
        return "audio/amr-wb"
    import filetype

    matchers = _matchers()
    try:
        found = filetype.match(bytes(head), matchers)
    except Exception:  # a matcher tripping on damaged bytes: the type is unknown
        return None
    return None if found is None else _refine(head, str(found.mime))


_AUDIO_EXTENSIONS = frozenset({".m4a", ".m4b", ".aac", ".weba", ".mka", ".opus", ".oga"})
_VIDEO_EXTENSIONS = frozenset({".ogv"})


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(SNIFF_BYTES)
    except OSError:
        return b""


def guess_kind(path: Path) -> MediaKind:
    """Return how the file at ``path`` should be sent, judged by its content first.

    A GIF is :attr:`MediaKind.GIF`, a picture Pillow can decode :attr:`MediaKind.IMAGE`,
    audio :attr:`MediaKind.VOICE` and video :attr:`MediaKind.VIDEO`; anything else —
    including content that does not match its extension, and unreadable files — is a
    :attr:`MediaKind.FILE`. The extension only chooses between the kinds a container
    allows: an MP4 or WebM named ``.m4a``/``.weba`` is a voice clip, an Ogg named
    ``.ogv`` a video.
    """
    mime = sniff_mime(_read_head(path))
    if mime is None:
        return MediaKind.FILE
    suffix = path.suffix.lower()
    if mime == "image/gif":
        return MediaKind.GIF
    if mime.startswith("image/"):
        from imkit_tui.media.images import decodable_mime  # Pillow: only when asked

        return MediaKind.IMAGE if mime in decodable_mime() else MediaKind.FILE
    if mime.startswith("audio/"):
        return MediaKind.VIDEO if suffix in _VIDEO_EXTENSIONS else MediaKind.VOICE
    if mime.startswith("video/"):
        return MediaKind.VOICE if suffix in _AUDIO_EXTENSIONS else MediaKind.VIDEO
    return MediaKind.FILE


def _seconds(value: object) -> float | None:
    """Return ``value`` as a duration in seconds if it is a sensible one."""
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def _tool_argument(path: Path) -> str:
    """Return ``path`` in a form ffmpeg cannot take for an option or a protocol."""
    return "file:" + os.path.abspath(path)


def _run_tool(arguments: list[str], *, timeout: float = TOOL_TIMEOUT) -> bytes | None:
    """Run ``ffprobe``/``ffmpeg`` when it is on the PATH; stdout, or None on any failure."""
    program = shutil.which(arguments[0])
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-v", "error", *arguments[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 and done.stdout else None


def _ffprobe_duration(path: Path) -> float | None:
    out = _run_tool(
        [
            "ffprobe",
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
            _tool_argument(path),
        ]
    )
    if out is None:
        return None
    try:
        return _seconds(float(out.decode("ascii", "replace").strip()))
    except ValueError:  # "N/A"
        return None


def _wave_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as reader:
            rate = reader.getframerate()
            return reader.getnframes() / rate if rate > 0 else None
    except (OSError, EOFError, wave.Error):
        return None


def _mutagen_duration(path: Path) -> float | None:
    import mutagen  # loaded on first use: most runs never measure a duration

    try:
        info = mutagen.File(path)
    except Exception:  # mutagen raises many types on damaged files
        return None
    length = _seconds(getattr(getattr(info, "info", None), "length", None))
    return length if length else None  # 0 means mutagen could not tell


def audio_duration(path: Path) -> float | None:
    """Return how many seconds the audio file at ``path`` plays, or None if unknown.

    WAV through the standard library, other formats (MP3, M4A, Ogg, FLAC, AAC…)
    through mutagen, and anything else through ``ffprobe`` when it is installed.
    """
    if sniff_mime(_read_head(path)) == "audio/wav":
        duration = _wave_duration(path)
        if duration is not None:
            return duration
    return _mutagen_duration(path) or _ffprobe_duration(path)


def video_duration(path: Path) -> float | None:
    """Return how many seconds the video at ``path`` plays, or None if unknown.

    MP4 and QuickTime through mutagen, anything else through ``ffprobe`` when it is
    installed.
    """
    return _mutagen_duration(path) or _ffprobe_duration(path)


def _samples(raw: bytes, width: int) -> tuple[array.array[int], int]:
    """Return PCM bytes as signed samples, and the full-scale amplitude."""
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        return array.array("b", raw.translate(_SIGNED_8)), 128
    if width == 3:  # keep the top two bytes of each 24-bit sample
        pairs = bytearray(len(raw) // 3 * 2)
        pairs[0::2] = raw[1 : len(raw) - len(raw) % 3 : 3]
        pairs[1::2] = raw[2 : len(raw) - len(raw) % 3 : 3]
        raw, width = bytes(pairs), 2
    code = {2: "h", 4: "i"}.get(width)
    if code is None or array.array(code).itemsize != width:
        raise ValueError(f"unsupported sample width {width}")
    samples = array.array(code)
    samples.frombytes(raw[: len(raw) - len(raw) % width])
    if sys.byteorder == "big":  # WAV and s16le are little-endian
        samples.byteswap()
    return samples, 1 << (8 * width - 1)


_SIGNED_8 = bytes((value - 128) & 0xFF for value in range(256))


def _level(peak: int, reference: float) -> int:
    return min(7, max(0, math.floor(7 * peak / reference + 0.5)))


def _levels(peaks: list[int], full_scale: int) -> list[int]:
    """Scale per-bar peaks to 0..7, relative to the loudest bar (quiet speech still shows).

    A recording whose loudest bar is under 5% of full scale is drawn as it is, not
    amplified, so the hiss of a silent clip stays flat.
    """
    reference = max(max(peaks, default=0), full_scale * 0.05)
    return [_level(peak, reference) for peak in peaks]


def _peak(samples: array.array[int]) -> int:
    return max(max(samples), -min(samples)) if samples else 0


def _wave_peaks(path: Path, bars: int) -> tuple[list[int], int] | None:
    try:
        with wave.open(str(path), "rb") as reader:
            total, width = reader.getnframes(), reader.getsampwidth()
            peaks: list[int] = []
            full_scale = 1
            done = 0
            for bar in range(bars):
                end = (bar + 1) * total // bars
                raw = reader.readframes(end - done)
                done = end
                samples, full_scale = _samples(raw, width)
                peaks.append(_peak(samples))
            return peaks, full_scale
    except (OSError, EOFError, ValueError, wave.Error):
        return None


def _decoded_peaks(path: Path, bars: int) -> tuple[list[int], int] | None:
    raw = _run_tool(
        [
            "ffmpeg",
            "-i",
            _tool_argument(path),
            "-t",
            str(_WAVEFORM_SECONDS),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(_WAVEFORM_RATE),
            "-f",
            "s16le",
            "pipe:1",
        ],
        timeout=TOOL_TIMEOUT * 3,
    )
    if raw is None:
        return None
    samples, full_scale = _samples(raw, 2)
    total = len(samples)
    bounds = [bar * total // bars for bar in range(bars + 1)]
    return [_peak(samples[bounds[i] : bounds[i + 1]]) for i in range(bars)], full_scale


def waveform(path: Path, bars: int = 32) -> list[int] | None:
    """Return ``bars`` loudness levels from 0 to 7 across the audio file at ``path``.

    Each bar is the peak amplitude of its stretch of the recording. WAV files (8, 16,
    24 or 32-bit integer PCM, any number of channels) are read directly; other formats
    are decoded with ``ffmpeg`` when it is installed. Returns None when the audio
    cannot be read.

    Raises:
        ValueError: ``bars`` is less than 1.
    """
    if bars < 1:
        raise ValueError("bars must be at least 1")
    found = None
    if sniff_mime(_read_head(path)) == "audio/wav":
        found = _wave_peaks(path, bars)
    if found is None:
        found = _decoded_peaks(path, bars)
    if found is None:
        return None
    return _levels(*found)


def video_thumbnail(path: Path) -> bytes | None:
    """Return a JPEG thumbnail of the frame at about one second into the video, or None.

    The frame is grabbed with ``ffmpeg`` (None when it is not installed or fails; a
    clip shorter than a second gives its first frame) and made into a thumbnail like
    :func:`~imkit_tui.media.images.thumbnail_jpeg`'s: at most
    :data:`~imkit_tui.media.limits.THUMBNAIL_MAX_SIDE` pixels and
    :data:`~imkit_tui.media.limits.THUMBNAIL_MAX_BYTES` bytes.
    """
    for seek in ("1", "0"):
        frame = _run_tool(
            [
                "ffmpeg",
                "-ss",
                seek,
                "-i",
                _tool_argument(path),
                "-frames:v",
                "1",
                "-an",
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "pipe:1",
            ]
        )
        if frame is None:
            continue
        from imkit_tui.media import images  # Pillow: only with a frame to read

        try:
            return images.thumbnail_jpeg(images.open_image(frame), limits.THUMBNAIL_MAX_SIDE)
        except images.ImageError:
            return None
    return None


_UNITS = ("KB", "MB", "GB", "TB")


def describe_size(size: int) -> str:
    """Return a byte count for people, 1024-based: "512 B", "1.5 KB", "12.3 MB", "1.2 GB"."""
    if size < 1024:
        return f"{max(0, size)} B"
    value = size / 1024
    for unit in _UNITS[:-1]:
        if round(value, 1) < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}"


_ICON_PDF = "📕"
_ICON_TEXT = "📄"
_ICON_ARCHIVE = "🗜\ufe0f"
_ICON_AUDIO = "🎵"
_ICON_VIDEO = "🎬"
_ICON_IMAGE = "🖼\ufe0f"
_ICON_SHEET = "📊"
_ICON_SLIDES = "📽\ufe0f"
_ICON_DEFAULT = "💾"

_ICON_BY_EXTENSION = {
    **dict.fromkeys(("pdf",), _ICON_PDF),
    **dict.fromkeys(
        ("txt", "md", "rst", "log", "doc", "docx", "odt", "rtf", "pages", "tex", "json", "xml"),
        _ICON_TEXT,
    ),
    **dict.fromkeys(
        ("zip", "gz", "tgz", "tar", "bz2", "xz", "7z", "rar", "zst", "lz", "lzma", "cab"),
        _ICON_ARCHIVE,
    ),
    **dict.fromkeys(
        ("mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "flac", "amr", "wma", "aiff", "weba"),
        _ICON_AUDIO,
    ),
    **dict.fromkeys(
        ("mp4", "m4v", "mov", "avi", "mkv", "webm", "wmv", "flv", "3gp", "ogv", "mpg", "mpeg"),
        _ICON_VIDEO,
    ),
    **dict.fromkeys(
        ("png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "heic", "avif", "svg", "ico"),
        _ICON_IMAGE,
    ),
    **dict.fromkeys(("xls", "xlsx", "ods", "csv", "tsv", "numbers"), _ICON_SHEET),
    **dict.fromkeys(("ppt", "pptx", "odp", "key"), _ICON_SLIDES),
}

_ICON_BY_MIME_WORD = (
    ("pdf", _ICON_PDF),
    ("spreadsheet", _ICON_SHEET),
    ("excel", _ICON_SHEET),
    ("csv", _ICON_SHEET),
    ("presentation", _ICON_SLIDES),
    ("powerpoint", _ICON_SLIDES),
    ("zip", _ICON_ARCHIVE),
    ("compressed", _ICON_ARCHIVE),
    ("x-tar", _ICON_ARCHIVE),
    ("x-7z", _ICON_ARCHIVE),
    ("x-rar", _ICON_ARCHIVE),
    ("x-bzip", _ICON_ARCHIVE),
    ("x-xz", _ICON_ARCHIVE),
    ("zstd", _ICON_ARCHIVE),
    ("msword", _ICON_TEXT),
    ("document", _ICON_TEXT),
    ("rtf", _ICON_TEXT),
    ("json", _ICON_TEXT),
)

_ICON_BY_MIME_TYPE = {
    "audio": _ICON_AUDIO,
    "video": _ICON_VIDEO,
    "image": _ICON_IMAGE,
    "text": _ICON_TEXT,
}


def file_icon(name: str, mime: str | None = None) -> str:
    """Return one emoji for a file, by its MIME type when told, else by its extension.

    📄 text and documents, 📕 PDF, 🗜️ archives, 🎵 audio, 🎬 video, 🖼️ pictures,
    📊 spreadsheets, 📽️ slides, 💾 anything else. Every icon is two cells wide: the
    three that default to text presentation carry the emoji variation selector.
    """
    if mime:
        lowered = mime.lower().split(";", 1)[0].strip()
        for word, icon in _ICON_BY_MIME_WORD:
            if word in lowered:
                return icon
        top = _ICON_BY_MIME_TYPE.get(lowered.partition("/")[0])
        if top is not None:
            return top
    _, dot, extension = name.rpartition(".")
    if dot:
        return _ICON_BY_EXTENSION.get(extension.lower(), _ICON_DEFAULT)
    return _ICON_DEFAULT

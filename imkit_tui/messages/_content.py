"""Content messages: sent between users and shown in the chat.

All of them are stored (history, local store, a sequence number), counted as
unread and pushed, as the "Content messages" table of SEED-FEATURES says.
Durations of voice and short-video messages are whole seconds, as in RongCloud.
"""

from __future__ import annotations

from . import _names as names
from . import _summaries as s
from ._types import MessageKind, MessageType, Summarizer


def _text(content: object) -> str:
    """The text itself."""
    return s.text(content, "content") or ""


def _voice(content: object) -> str:
    """``[Voice] 0:12`` when the duration (seconds) is valid, else ``[Voice]``."""
    return s.tagged("Voice", s.duration(s.get(content, "duration")))


def _image(content: object) -> str:
    """Always ``[Image]``; the thumbnail says nothing in text."""
    return "[Image]"


def _gif(content: object) -> str:
    """Always ``[GIF]``."""
    return "[GIF]"


def _rich_content(content: object) -> str:
    """``[Link] <title>``."""
    return s.tagged("Link", s.text(content, "title"))


def _file(content: object) -> str:
    """``[File] <name>``."""
    return s.tagged("File", s.text(content, "name"))


def _location(content: object) -> str:
    """``[Location] <poi>`` (the place name)."""
    return s.tagged("Location", s.text(content, "poi"))


def _sight(content: object) -> str:
    """``[Video] 0:08`` when the duration (seconds) is valid, else ``[Video]``."""
    return s.tagged("Video", s.duration(s.get(content, "duration")))


def _combine(content: object) -> str:
    """Always ``[Chat history]`` (a merged forward)."""
    return "[Chat history]"


def _article(content: object) -> str:
    """``[Article] <title of the first article>``.

    A top-level ``title`` is accepted too, for senders that flatten a single article.
    """
    for article in s.items(s.get(content, "articles")):
        title = s.text(article, "title")
        if title:
            return s.tagged("Article", title)
        break
    return s.tagged("Article", s.text(content, "title"))


def _content(
    object_name: str, label: str, fields: tuple[str, ...], summarizer: Summarizer
) -> MessageType:
    """Build a content type: stored, counted and pushed."""
    return MessageType(
        object_name=object_name,
        kind=MessageKind.CONTENT,
        stored=True,
        counted=True,
        pushed=True,
        label=label,
        fields=fields,
        summarizer=summarizer,
    )


CONTENT_TYPES: tuple[MessageType, ...] = (
    _content(names.TEXT, "Text", ("content", "extra", "mentionedInfo"), _text),
    _content(names.VOICE, "Voice", ("remoteUrl", "duration", "extra"), _voice),
    # Legacy AMR voice, carried inline as base64 in "content".
    _content(names.VOICE_LEGACY, "Voice", ("content", "duration", "extra"), _voice),
    _content(names.IMAGE, "Image", ("content", "imageUri", "full", "extra"), _image),
    _content(names.GIF, "GIF", ("remoteUrl", "width", "height", "gifDataSize", "extra"), _gif),
    _content(
        names.RICH_CONTENT, "Link", ("title", "content", "imageUri", "url", "extra"), _rich_content
    ),
    _content(names.FILE, "File", ("name", "size", "type", "fileUrl", "extra"), _file),
    _content(
        names.LOCATION,
        "Location",
        ("content", "latitude", "longitude", "poi", "extra"),
        _location,
    ),
    _content(
        names.SIGHT,
        "Video",
        ("sightUrl", "content", "duration", "size", "name", "extra"),
        _sight,
    ),
    _content(
        names.COMBINE,
        "Chat history",
        ("remoteUrl", "conversationType", "nameList", "summaryList", "extra"),
        _combine,
    ),
    _content(names.PS_ARTICLE, "Article", ("articles",), _article),
    _content(names.PS_MULTI_ARTICLE, "Article", ("articles",), _article),
)
"""Every built-in content type, in the order of the SEED-FEATURES table."""

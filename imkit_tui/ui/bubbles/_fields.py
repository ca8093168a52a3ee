"""Private readers of untrusted content fields for the bubbles' ``read_content``.

Content comes off the wire and may hold anything. A bubble reads its fields with these
helpers in its :meth:`~imkit_tui.ui.bubbles.base.Bubble.read_content`: a field that is
present with the wrong type raises :class:`ValueError` (the registry then shows the
unsupported bubble), a missing or ``null`` field is simply absent (None).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from imkit_tui.ui.bubbles._text import clean_text

MAX_SECONDS = 100 * 3600
"""Durations at or above this (100 hours) are invalid."""

_MAX_NUMBER_TEXT = 32


def content_of(content: object) -> Mapping[str, Any]:
    """Return the content as a mapping; raise ValueError when it is not one."""
    if not isinstance(content, Mapping):
        raise ValueError("content is not a mapping")
    return content


def text_field(content: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """Return a string field (None when missing, null or blank).

    Raises:
        ValueError: The field holds something other than a string, or is missing and
            ``required``.
    """
    value = content.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key!r} is not a string")
    if value is None or not value.strip():
        if required:
            raise ValueError(f"{key!r} is missing")
        return None
    return value


def number(value: object) -> float | None:
    """Return ``value`` as a finite float (numbers or short numeric strings), else None.

    Booleans are not numbers here.
    """
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str) and len(value) <= _MAX_NUMBER_TEXT:
            result = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def number_field(
    content: Mapping[str, Any],
    key: str,
    *,
    required: bool = False,
    low: float = -math.inf,
    high: float = math.inf,
) -> float | None:
    """Return a numeric field within ``[low, high]`` (None when missing or null).

    Raises:
        ValueError: The field is not a number, is out of range, or is missing and
            ``required``.
    """
    raw = content.get(key)
    if raw is None:
        if required:
            raise ValueError(f"{key!r} is missing")
        return None
    value = number(raw)
    if value is None or not low <= value <= high:
        raise ValueError(f"{key!r} is not a number in [{low}, {high}]")
    return value


def size_field(content: Mapping[str, Any], key: str) -> int | None:
    """Return a byte count (a whole number ≥ 0), None when missing; ValueError when bad."""
    value = number_field(content, key, low=0, high=2**63)
    return None if value is None else int(value)


def seconds_field(content: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    """Return a duration in seconds (0 up to 100 hours); ValueError when bad."""
    return number_field(content, key, required=required, low=0, high=MAX_SECONDS - 1)


def list_field(content: Mapping[str, Any], key: str) -> list[Any]:
    """Return a list field (empty when missing or null); ValueError for a non-list."""
    value = content.get(key)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key!r} is not a list")
    return list(value)


def duration_text(seconds: float) -> str:
    """Format seconds as ``m:ss`` (``h:mm:ss`` from an hour), rounded to the second."""
    total = max(0, math.floor(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def one_line(text: str, limit: int = 500) -> str:
    """Return ``text`` as one drawable line (no control characters, at most ``limit``)."""
    return " ".join(clean_text(text, keep_newlines=False, limit=limit).split())


def web_url(value: str | None) -> str | None:
    """Return ``value`` when it is an http(s) URL without blanks, else None."""
    if value is None:
        return None
    url = value.strip()
    lower = url.lower()
    if not lower.startswith(("http://", "https://")) or len(url) > 4096:
        return None
    if any(char.isspace() or ord(char) < 32 for char in url):
        return None
    return url

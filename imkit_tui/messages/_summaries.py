"""Defensive helpers for summarizers: read fields of untrusted content.

Content comes off the wire and may be anything. These helpers never raise on
odd input; they return ``None`` when a value is missing or has the wrong type,
so a summarizer reads as a few lines of "take this if it is usable".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

MAX_DURATION_SECONDS = 100 * 3600
"""Durations at or above this (100 hours) are treated as invalid."""

_MAX_NUMBER_TEXT = 32
_MAX_JSON_TEXT = 64 * 1024
_MAX_NAMES = 5


def get(content: object, key: str) -> object:
    """Return ``content[key]`` when ``content`` is a mapping, else ``None``."""
    if not isinstance(content, Mapping):
        return None
    try:
        return content.get(key)
    except Exception:
        return None


def text(content: object, key: str) -> str | None:
    """Return ``content[key]`` when it is a string with something besides blanks."""
    value = get(content, key)
    if isinstance(value, str) and value.strip():
        return value
    return None


def number(value: object) -> float | None:
    """Return ``value`` as a finite float (ints, floats, short numeric strings), else None.

    Booleans are not numbers here, even though Python says they are ints.
    """
    if isinstance(value, bool):
        return None
    result: float
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


def integer(value: object) -> int | None:
    """Return ``value`` as an int when it is a whole number, else ``None``."""
    result = number(value)
    if result is None or not result.is_integer():
        return None
    return int(result)


def duration(value: object, *, milliseconds: bool = False) -> str | None:
    """Format a duration as ``m:ss`` (or ``h:mm:ss``), or ``None`` when invalid.

    ``value`` is in seconds, or in milliseconds when ``milliseconds`` is true.
    Valid means a finite number from 0 up to (not including) 100 hours; it is
    rounded to the nearest second.
    """
    amount = number(value)
    if amount is None:
        return None
    seconds = amount / 1000 if milliseconds else amount
    if not 0 <= seconds < MAX_DURATION_SECONDS:
        return None
    total = math.floor(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def mapping(value: object) -> Mapping[str, object] | None:
    """Return ``value`` as a mapping; a string holding a JSON object is decoded.

    RongCloud sends some nested payloads (for example ``RC:GrpNtf.data``) as a
    JSON string. Strings over 64 KiB are not decoded.
    """
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or len(value) > _MAX_JSON_TEXT:
        return None
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def items(value: object) -> list[object]:
    """Return ``value`` as a list when it is a list or tuple, else an empty list."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        return list(value)
    return []


def names(value: object, limit: int = _MAX_NAMES) -> str | None:
    """Join a list of names (strings or numbers) as ``"a, b, c and 2 others"``.

    Blank and non-scalar entries are skipped; ``None`` when nothing usable remains.
    """
    usable: list[str] = []
    for item in items(value):
        if isinstance(item, bool):
            continue
        if isinstance(item, int | str):
            try:
                shown = str(item).strip()
            except ValueError:  # an int too long to print (sys.set_int_max_str_digits)
                continue
            if shown:
                usable.append(shown)
    if not usable:
        return None
    shown_names = ", ".join(usable[:limit])
    hidden = len(usable) - limit
    if hidden == 1:
        return f"{shown_names} and 1 other"
    if hidden > 1:
        return f"{shown_names} and {hidden} others"
    return shown_names


def person(user_id: object, shown: str, viewer: str | None, *, start: bool) -> str:
    """How a notice names someone: ``shown``, or "You" (``start``) / "you" when
    ``user_id`` is the ``viewer``, the user reading it."""
    if viewer is not None and user_id == viewer:
        return "You" if start else "you"
    return shown


def tagged(tag: str, detail: str | None) -> str:
    """Return ``"[tag] detail"``, or just ``"[tag]"`` when there is no detail."""
    return f"[{tag}] {detail}" if detail else f"[{tag}]"

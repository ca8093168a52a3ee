"""Private: find links and @mentions in message text.

URLs start with ``http://``, ``https://`` or ``www.`` and hold only the characters a
URL may hold (RFC 3986), so a link followed by Chinese text or a full-width comma ends
where a reader expects; trailing punctuation and unbalanced closing brackets are left
out. Mentions are ``@name`` tokens not preceded by a word character (so e-mail
addresses are not mentions), plus ``@<id>`` for the ids a message says it mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_URL = re.compile(
    r"(?<![\w@/.])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w@.])@[\w\-.]+")
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "["}
_MAX_SPANS = 500

ALL = "all"
"""The token of an @all mention."""


@dataclass(frozen=True, slots=True)
class Span:
    """A part of the text: a link (``url`` set) or a mention (``who`` set)."""

    start: int
    end: int
    url: str | None = None
    who: str | None = None


def _trim(candidate: str) -> str:
    """Drop trailing punctuation and closing brackets that have no opening one."""
    while candidate:
        last = candidate[-1]
        unbalanced = last in _PAIRS and candidate.count(last) > candidate.count(_PAIRS[last])
        if last in _TRAILING or unbalanced:
            candidate = candidate[:-1]
        else:
            break
    return candidate


def _links(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _URL.finditer(text):
        raw = _trim(match.group())
        lower = raw.lower()
        body = raw.split("://", 1)[1] if "://" in raw else raw[4:]
        if not body or (lower.startswith("www.") and "." not in body.strip(".")):
            continue
        url = raw if "://" in raw else f"https://{raw}"
        spans.append(Span(match.start(), match.start() + len(raw), url=url))
        if len(spans) >= _MAX_SPANS:
            break
    return spans


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    return any(span.start < end and start < span.end for span in spans)


def find_spans(text: str, mentioned_ids: Iterable[str] = ()) -> list[Span]:
    """Return the links and mentions of ``text``, in order, never overlapping.

    Args:
        text: The message text (already cleaned of control characters).
        mentioned_ids: User ids the message says it mentions; ``@<id>`` is marked
            even when the id holds characters a plain ``@name`` token would not.
    """
    spans = _links(text)
    found = list(spans)
    for user_id in mentioned_ids:
        token = f"@{user_id}"
        start = text.find(token)
        while start != -1 and len(found) < 2 * _MAX_SPANS:
            end = start + len(token)
            if not _overlaps(found, start, end):
                found.append(Span(start, end, who=user_id))
            start = text.find(token, end)
    for match in _MENTION.finditer(text):
        token = match.group().rstrip(".")
        start, end = match.start(), match.start() + len(token)
        if len(token) > 1 and not _overlaps(found, start, end):
            found.append(Span(start, end, who=token[1:]))
        if len(found) >= 2 * _MAX_SPANS:
            break
    return sorted(found, key=lambda span: span.start)

"""Media URLs: how a message's content points at a file stored on the server.

A file uploaded to the server is named by the sha256 of its bytes, so the same content
is stored once and a download can be checked end to end::

    url = media_url("9f86d0…")      # "imkit-media:9f86d0…"
    media_sha256(url)               # "9f86d0…"; None for http(s) and anything else
"""

from __future__ import annotations

import re

MEDIA_SCHEME = "imkit-media:"
"""The prefix of a URL naming a file stored on the IM server."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


def media_url(sha256: str) -> str:
    """The URL of the stored file whose content hashes to ``sha256``."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 digest: {sha256!r}")
    return MEDIA_SCHEME + sha256


def media_sha256(url: object) -> str | None:
    """The sha256 named by a media URL, or None when ``url`` is not one."""
    if not isinstance(url, str) or not url.startswith(MEDIA_SCHEME):
        return None
    digest = url[len(MEDIA_SCHEME) :]
    return digest if _SHA256.fullmatch(digest) else None


def media_in(content: object) -> set[str]:
    """The sha256 of every media URL anywhere in decoded message content.

    Walks iteratively, so content of any depth costs no recursion.
    """
    found: set[str] = set()
    pending: list[object] = [content]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            digest = media_sha256(value)
            if digest is not None:
                found.add(digest)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found

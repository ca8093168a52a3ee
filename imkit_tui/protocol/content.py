"""Bounds on a message's content, and the placeholder of a message nobody can read.

Content is free-form JSON, so its nesting is bounded here: a message nested hundreds of
levels deep would decode once and then break every encoder and decoder after it (both
are recursive). The sender is refused (33003) before anything is stored; a message that
is stored anyway (an older server let it in) travels as an UNREADABLE placeholder, so
the conversation's seqs stay gapless and every pull of it still works.
"""

from __future__ import annotations

from typing import Any

import msgspec

from imkit_tui.protocol.errors import ErrorCode, ProtocolError

#: Deepest nesting of objects and arrays a message's content may have (the content
#: object itself is level 1).
MAX_CONTENT_DEPTH = 32

#: The object name of the placeholder that stands for a message that cannot be read
#: (nested too deep, not JSON): its content keeps only `originalObjectName`. Unknown to
#: the catalogue, so apps show it as an unsupported message.
UNREADABLE = "imkit:Unreadable"

#: Why content nested too deep is refused.
CONTENT_TOO_DEEP = f"content nests more than {MAX_CONTENT_DEPTH} levels of objects and arrays"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def _brackets(text: bytes) -> int:
    """Opening brackets in JSON text: an upper bound of its nesting, counted in C."""
    return text.count(b"{") + text.count(b"[")


def depth_within(value: object, limit: int = MAX_CONTENT_DEPTH) -> bool:
    """True when `value` nests objects and arrays at most `limit` levels deep.

    Iterative, so a value too deep for a recursive walk is still measured; it stops at
    the first container past the limit.
    """
    if not isinstance(value, dict | list):
        return True
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return False
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return True


def checked_content(content: dict[str, Any], max_bytes: int, request_id: int = 0) -> str:
    """The content as the JSON text stores keep, once it is within the bounds.

    Raises ProtocolError: INVALID_PARAMETER (33003) when it nests deeper than
    MAX_CONTENT_DEPTH, MESSAGE_TOO_LARGE (30016) when its JSON exceeds `max_bytes`.
    """
    try:
        encoded = _encoder.encode(content)
    except RecursionError:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, CONTENT_TOO_DEEP, request_id) from None
    if _brackets(encoded) > MAX_CONTENT_DEPTH and not depth_within(content):
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, CONTENT_TOO_DEEP, request_id)
    if len(encoded) > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"content of {len(encoded)} bytes exceeds {max_bytes}",
            request_id,
        )
    return encoded.decode()


def readable_content(content_json: str | bytes) -> dict[str, Any] | None:
    """Stored content JSON as a dict; None when it is not a JSON object or nests deeper
    than MAX_CONTENT_DEPTH (then the message travels as an UNREADABLE placeholder)."""
    raw = content_json.encode() if isinstance(content_json, str) else content_json
    try:
        content = _decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if _brackets(raw) > MAX_CONTENT_DEPTH and not depth_within(content):
        return None
    return content


def unreadable_content(object_name: str) -> dict[str, Any]:
    """The content of the placeholder that stands for an unreadable `object_name` message."""
    return {"originalObjectName": object_name[:64]}

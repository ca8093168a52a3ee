"""Identifiers: time-ordered UUIDv7 strings for client message ids and server ids."""

from __future__ import annotations

import os
import uuid

from imkit_tui.protocol.clock import now_ms as wall_clock_ms


def new_uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    ms = wall_clock_ms() if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 68) & 0xFFF) << 64  # rand_a
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uuid_from_key(key: str, index: int, scope: str = "") -> str:
    """A deterministic id for the `index`-th message sent under an idempotency `key` in
    `scope` (the conversation's key).

    Running the same command again with the same key produces the same ids, so the
    server recognises messages it already has; the same key used for another
    conversation produces other ids (the server refuses an id reused elsewhere).
    """
    name = f"imkit:{key}:{index}" if not scope else f"imkit:{scope}:{key}:{index}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

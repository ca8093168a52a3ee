"""Private: the entries of the chat view (a message and its bubble) and their order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import Bubble

SortKey = tuple[int, int, int]
"""Stored messages by seq, then pending ones (no seq yet) by local id."""


def sort_key(message: Message) -> SortKey:
    """Stored messages by seq, then pending ones (no seq yet) by local id."""
    if message.seq is None:
        return (1, message.id, 0)
    return (0, message.seq, message.id)


def ordered(messages: Iterable[Message]) -> list[Message]:
    """Deduplicate by id (the last one given wins) and sort for display."""
    by_id = {message.id: message for message in messages}
    return sorted(by_id.values(), key=sort_key)


@dataclass(eq=False)
class Entry:
    """One shown message and its bubble (which also draws the dividers above it)."""

    message: Message
    key: SortKey
    bubble: Bubble

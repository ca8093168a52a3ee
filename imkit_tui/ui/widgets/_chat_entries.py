"""Private: the entries of the chat view (a message, its bubble and the height it is
drawn at), their order, and what their neighbours decide: dividers and runs of one
sender."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from imkit_tui.core import Message, display_order
from imkit_tui.ui.bubbles import Bubble, NoticeBubble
from imkit_tui.ui.bubbles.divider import continues_run, divider_spec

SortKey = tuple[int, int, int, int]
"""Where an entry stands in the conversation (core.display_order)."""

sort_key = display_order
"""Stored messages by seq, each failed one of ours after the one it follows, then those
still sending: the order the store's pages give too."""


def pending(message: Message) -> bool:
    """Whether `message` goes after the newest: still sending (or failed unplaced)."""
    return message.seq is None and message.place_seq is None


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
    height: int = -1
    """Lines the bubble takes at the list's width; -1 until measured."""


def decorate(previous: Entry | None, entry: Entry, *, unread: bool, show_senders: bool) -> None:
    """Set the dividers above ``entry``, whether it starts a run (its head shows: the
    sender in groups, the time) and whether ``previous`` ends one (its status shows)."""
    before = previous.message if previous is not None else None
    dividers = divider_spec(before, entry.message, unread=unread)
    entry.bubble.dividers = dividers
    notice = isinstance(entry.bubble, NoticeBubble) or (
        previous is not None and isinstance(previous.bubble, NoticeBubble)
    )
    continued = not notice and continues_run(before, entry.message, dividers)
    entry.bubble.run_head = not continued
    entry.bubble.show_sender = show_senders and not continued
    if previous is not None:
        previous.bubble.run_tail = not continued


def redecorate(
    entries: list[Entry], index: int, decorate: Callable[[Entry | None, Entry], None]
) -> None:
    """Decorate ``entries[index]`` from the entry above, and the entry below from it (the
    last one ends its run)."""
    if 0 <= index < len(entries):
        entry = entries[index]
        decorate(entries[index - 1] if index > 0 else None, entry)
        if index + 1 < len(entries):
            decorate(entry, entries[index + 1])
        else:
            entry.bubble.run_tail = True

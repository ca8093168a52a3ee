"""The rules of ultra group messages, decided without I/O: who may edit what and what an
edit event holds, and where a member's view of a channel starts.

A member's view of a channel starts at the latest of: the first message after they
joined (unless the group keeps pre-join history), the channel's `floor_at` (the owner
deleted what came before, for everyone), their own `cleared_at` for the group and for
the channel, and the retention of cloud history. Their unread count runs from the later
of their read position and that start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import ErrorCode


def edit_refusal(original_sender: str, object_name: str, editor: str) -> ErrorCode | None:
    """Why `editor` may not edit a stored message (None: they may). Only the sender
    edits, and only content messages (not a recalled one, not an event)."""
    kind = messages.lookup(object_name)
    if original_sender != editor or kind.kind != messages.MessageKind.CONTENT:
        return ErrorCode.MESSAGE_NOT_MODIFIABLE
    return None


def edit_event_content(uid: str, seq: int, content: dict[str, Any]) -> dict[str, Any]:
    """The content of the edit event (``imkit:EditCmd``) that gives message `uid` (seq
    `seq` in its channel) its new `content`."""
    return {"messageUId": uid, "seq": seq, "content": content}


@dataclass(frozen=True, slots=True)
class ViewStart:
    """What bounds a member's view of one channel: the channel's max seq when they
    joined (`join_seq`, ignored when the group keeps pre-join history) and the times
    (ms; 0: no bound) of the owner's deletion, their own, and retention."""

    join_seq: int
    pre_join_history: bool
    floor_at: int
    cleared_group: int
    cleared_channel: int
    retention_from: int

    @property
    def not_before(self) -> int:
        """The earliest send time the member may read."""
        return max(self.floor_at, self.cleared_group, self.cleared_channel, self.retention_from)

    def first_seq(self, first_at_time: int) -> int:
        """The lowest seq the member may read, given `first_at_time`, the first seq sent
        at :attr:`not_before` or later."""
        joined = 1 if self.pre_join_history else self.join_seq + 1
        return max(joined, first_at_time)


def count_after(read_seq: int, first_visible_seq: int) -> int:
    """The seq after which a member's unread messages are counted: their read position,
    or just before the first message they may see when that is later."""
    return max(read_seq, first_visible_seq - 1)

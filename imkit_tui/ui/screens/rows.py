"""What the main screen reads from a conversation's list row when it opens the chat."""

from __future__ import annotations

from collections.abc import Sequence

from imkit_tui import messages as catalogue
from imkit_tui.core import Conversation, Direction, Message
from imkit_tui.protocol import ConversationType, ConvRef


def unread_after(row: Conversation | None) -> int | None:
    """The seq after which the unread messages start: this user's read position.

    Not counted back from the end by the unread count: notices and other messages that
    are shown but not counted would put the divider below the first unread one.
    """
    if row is None or row.unread <= 0:
        return None
    return row.read_seq


def peer_read(row: Conversation | None) -> int:
    """Up to which seq own messages show as read: the peer's position, in private chats."""
    if row is None or row.ref.type != ConversationType.PRIVATE:
        return 0
    return row.peer_read_seq


def placeholder_row(conv: ConvRef) -> Conversation:
    """A list row for a conversation that has nothing stored yet (a new chat)."""
    return Conversation(
        ref=conv,
        last_at=0,
        preview="",
        last_sender="",
        unread=0,
        pinned=False,
        muted=False,
        draft="",
        max_seq=0,
        sort_at=2**62,
    )


def newest_notified(messages: Sequence[Message]) -> Message | None:
    """The newest of `messages` the app announces: sent by someone else, of a type the
    chat shows (not an edit or a recall command: the message they are about was
    announced once). None when there is none."""
    return next(
        (
            m
            for m in reversed(messages)
            if m.direction == Direction.RECEIVED and catalogue.lookup(m.object_name).shown
        ),
        None,
    )

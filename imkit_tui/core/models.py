"""What the client core hands to its users: messages and conversations."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgspec

from imkit_tui.protocol import ConvRef


class Direction(enum.IntEnum):
    """Whether a message was received or sent by this user (from any of their devices)."""

    RECEIVED = 0
    SENT = 1


class SendStatus(enum.IntEnum):
    """Where a message stands. Received messages are always RECEIVED."""

    SENDING = 0
    SENT = 1
    FAILED = 2
    RECEIVED = 3


class Message(msgspec.Struct, frozen=True, gc=False):
    """One message of a conversation, as the local store holds it.

    An immutable struct (change a copy with ``msgspec.structs.replace``): it is built
    for every message stored or read, so it is cheap to build (no garbage-collector
    tracking: a message never takes part in a reference cycle).

    `seq` and `uid` are None until the server acknowledged the message; `sent_at` is
    the server time then (the local time before). `error` is the code of a failed send.
    `listened` is this device's note that a voice or video message was played.
    `mentioned`: someone else's message in a group that @mentions this user (by id or
    @all), as the local store flagged it; a recall or a deletion clears it.
    `to` names the members a targeted group message was sent to (empty: everyone).
    `receipt_asked`: its sender asked for group read receipts.
    `edited_at`: when its sender last edited it (ultra groups; 0: never): the content is
    the newest edit's, and the app marks it "(edited)".
    `place_seq`: where a failed message of ours is shown, after the stored message of
    this seq (None: at the end, after the newest, as one still sending).
    """

    id: int
    conv: ConvRef
    seq: int | None
    uid: str | None
    cmid: str
    sender: str
    object_name: str
    content: dict[str, Any]
    sent_at: int
    direction: Direction
    status: SendStatus
    error: int | None = None
    listened: bool = False
    mentioned: bool = False
    to: tuple[str, ...] = ()
    receipt_asked: bool = False
    edited_at: int = 0
    place_seq: int | None = None


DisplayOrder = tuple[int, int, int, int]
"""Where a message stands in its conversation as shown (:func:`display_order`)."""


def display_order(message: Message) -> DisplayOrder:
    """The order a conversation shows its messages in, for the store's pages and the
    chat view alike: stored ones by seq, each failed one of ours right after the stored
    message it follows (`place_seq`, then as written), then those still sending (or
    failed with no place) as written."""
    if message.seq is not None:
        return (0, message.seq, 0, message.id)
    if message.place_seq is not None:
        return (0, message.place_seq, 1, message.id)
    return (1, message.id, 0, 0)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A row of the conversation list, with everything needed to draw it.

    `sort_at` is the later of the last message's time and the draft's time; the list is
    ordered pinned first, then by `sort_at`, newest first. `read_seq` is this user's read
    position, `peer_read_seq` the other member's in a private chat (read receipts);
    `marked_unread` is the user's "mark as unread", cleared when the chat is read.
    `mentions` counts the unread messages that @mention this user (by id or @all).
    `title` is a group's or a public service account's name, when this device knows it
    ("" otherwise). `failed`: the message the row shows is one of ours that failed.
    """

    ref: ConvRef
    last_at: int
    preview: str
    last_sender: str
    unread: int
    pinned: bool
    muted: bool
    draft: str
    max_seq: int
    sort_at: int = 0
    read_seq: int = 0
    peer_read_seq: int = 0
    marked_unread: bool = False
    mentions: int = 0
    title: str = ""
    failed: bool = False

    @property
    def sort_key(self) -> tuple[bool, int]:
        """Larger sorts first: pinned, then the later of last message and draft."""
        return (self.pinned, self.sort_at)


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """Who may message this user: whom they block, their whitelist, and whether
    whitelist mode is on (then only whitelisted users may write, and the block list is
    not consulted)."""

    blocked: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    whitelist_mode: bool = False

    def accepts(self, user_id: str) -> bool:
        """Whether the server lets `user_id` message this user."""
        if self.whitelist_mode:
            return user_id in self.allowed
        return user_id not in self.blocked

"""Conversation identity on the wire: (type, target, channel)."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

#: The account that posts into every user's system conversation, ConvRef(6, SYSTEM_ACCOUNT).
SYSTEM_ACCOUNT = "system"


class ConversationType(enum.IntEnum):
    """Conversation types, numbered as RongCloud numbers them."""

    PRIVATE = 1
    GROUP = 3
    CHATROOM = 4
    CUSTOMER_SERVICE = 5
    SYSTEM = 6
    APP_PUBLIC_SERVICE = 7
    PUBLIC_SERVICE = 8
    ULTRA_GROUP = 10


class ConvRef(msgspec.Struct, frozen=True, omit_defaults=True):
    """A conversation as one user sees it.

    For a private chat `target` is the other user; the server maps both members' views to
    one stored conversation. `channel` is only used by ultra groups.
    """

    type: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
    target: Annotated[str, msgspec.Meta(max_length=64)]
    channel: Annotated[str, msgspec.Meta(max_length=64)] = ""

    @classmethod
    def private(cls, peer: str) -> ConvRef:
        """The private conversation with `peer`."""
        return cls(type=ConversationType.PRIVATE, target=peer)

    @classmethod
    def group(cls, group_id: str) -> ConvRef:
        """The conversation of group `group_id`."""
        return cls(type=ConversationType.GROUP, target=group_id)

    @property
    def key(self) -> str:
        """A stable text key, unique per conversation for one user."""
        return f"{self.type}:{self.target}:{self.channel}"

"""What the ultra group store hands out: a group as it is now, its channels, a member's
own rows, and the refusal of an operation with the service's code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imkit_tui.protocol import ConversationType, ErrorCode
from imkit_tui.server.group_store import Voices

ULTRA_TYPE = int(ConversationType.ULTRA_GROUP)


class UltraRefused(Exception):
    """An ultra group operation was refused: `code` is the service's error code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel: its id, name, the key of the conversation holding its messages, when
    it was made, and the time before which the owner deleted everything."""

    channel: str
    name: str
    conv_key: str
    created_at: int
    floor_at: int = 0


@dataclass(frozen=True, slots=True)
class UltraGroup:
    """An ultra group as it is now (never its members: only how many there are)."""

    group_id: str
    name: str
    owner: str
    created_at: int
    default_level: str
    pre_join_history: bool
    member_count: int
    voices: Voices
    channels: dict[str, Channel] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member's own settings for a whole group, and each channel's max seq when they
    joined (by conversation key)."""

    joined_at: int
    level: str
    dnd: bool
    cleared_at: int
    join_seqs: dict[str, int]


@dataclass(frozen=True, slots=True)
class MemberChannel:
    """A member's own view of one channel (absent until they read it or set something)."""

    read_seq: int = 0
    level: str = "default"
    dnd: bool = False
    cleared_at: int = 0


def channel_key(group_id: str, channel: str, incarnation: str) -> str:
    """The conversation key of one incarnation of a channel (`incarnation`: unique to
    it): a channel deleted and made again under the same id starts a new conversation."""
    return f"{ULTRA_TYPE}:{group_id}:{channel}:{incarnation}"


def member_changes(
    channel: str | None,
    *,
    level: str | None,
    dnd: bool | None,
    cleared_at: int | None,
    read_seq: int | None,
) -> list[tuple[str, str, Any]]:
    """What a change of a member's own settings sets, as (column, comparison, value),
    for both stores: a column is set only where it differs (`<>`); `cleared_at` and
    `read_seq` (a channel's only) only where they move forward (`<`)."""
    changes: list[tuple[str, str, Any]] = []
    if level is not None:
        changes.append(("level", "<>", level))
    if dnd is not None:
        changes.append(("dnd", "<>", dnd))
    if cleared_at is not None:
        changes.append(("cleared_at", "<", cleared_at))
    if read_seq is not None and channel is not None:
        changes.append(("read_seq", "<", read_seq))
    return changes

"""Notification levels, decided without I/O: which level is in force for a member in a
channel, whether a message notifies them (toast, offline push), and whether it counts
as a mention for them.

The level in force: the member's level for the channel, else theirs for the group, else
the group's default set by its owner, else ``all`` (protocol/ultra_frames.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from imkit_tui.protocol import NotificationLevel

DEFAULT: Final = "default"
LEVELS: Final = ("default", "all", "mentions", "mentions_me", "none")


def effective_level(
    channel_level: str, group_level: str, default_level: str = "all"
) -> NotificationLevel:
    """The level in force: the first of the channel's, the group's and the owner's
    default that is set (``all`` when none is)."""
    for level in (channel_level, group_level, default_level):
        if level != DEFAULT and level in LEVELS:
            return level  # type: ignore[return-value]
    return "all"


@dataclass(frozen=True, slots=True)
class Mention:
    """How a message mentions one member: by their id (`me`) or everyone (`everyone`)."""

    me: bool = False
    everyone: bool = False


def counts_as_mention(level: str, mention: Mention) -> bool:
    """Whether a message counts in the member's mention count at `level` (in force)."""
    if level in ("all", "mentions"):
        return mention.me or mention.everyone
    if level == "mentions_me":
        return mention.me
    return False


def notifies(level: str, dnd: bool, mention: Mention) -> bool:
    """Whether a counted message toasts and is pushed offline to the member: never under
    DND; at ``all`` always; otherwise when it counts as a mention at that level."""
    if dnd or level == "none":
        return False
    if level == "all":
        return True
    return counts_as_mention(level, mention)


def mention_of(user_id: str, mention_all: bool, mentioned: str) -> Mention:
    """How a stored counted message (its @all flag and its ``,a,b,`` list of ids)
    mentions `user_id`."""
    return Mention(me=f",{user_id}," in mentioned, everyone=mention_all)

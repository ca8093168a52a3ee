"""Ultra groups' conversations and rows as the client hands them out: the list row of a
group, a channel's conversation, a channel and a group as `store.ultra` reads them.

Plain values and functions of a conversation reference, light enough for the app's
first frame (nothing of the store or the wire's frames is imported here).
"""

from __future__ import annotations

from dataclasses import dataclass

from imkit_tui.messages import read_mentions
from imkit_tui.protocol.conversation import ConversationType, ConvRef

ULTRA_ROW = "*"
"""The channel of an ultra group's list row: no channel can have it (channel ids are
letters, digits, ``_`` and ``-``)."""


def ultra_row(group_id: str) -> ConvRef:
    """The conversation list's row of ultra group `group_id`."""
    return ConvRef(type=ConversationType.ULTRA_GROUP, target=group_id, channel=ULTRA_ROW)


def channel_ref(group_id: str, channel: str = "") -> ConvRef:
    """The conversation of one channel of an ultra group (``""``: the default one)."""
    return ConvRef(type=ConversationType.ULTRA_GROUP, target=group_id, channel=channel)


def list_ref(conv: ConvRef) -> ConvRef:
    """The list row that shows `conv`: an ultra group's channel is shown by the group's."""
    if conv.type == ConversationType.ULTRA_GROUP:
        return ultra_row(conv.target)
    return conv


def is_ultra_row(conv: ConvRef) -> bool:
    """True for an ultra group's list row (not a channel of it)."""
    return conv.type == ConversationType.ULTRA_GROUP and conv.channel == ULTRA_ROW


@dataclass(frozen=True, slots=True)
class UltraChannelRow:
    """One channel as the sidebar shows it: name, counts and the user's settings."""

    group: str
    channel: str
    name: str
    unread: int = 0
    mentions: int = 0
    dnd: bool = False
    level: str = "default"
    effective_level: str = "all"

    @property
    def ref(self) -> ConvRef:
        """The channel's conversation."""
        return channel_ref(self.group, self.channel)

    @property
    def label(self) -> str:
        """The channel's name for people: its name, else its id, "general" for the
        default channel."""
        return self.name or self.channel or "general"


@dataclass(frozen=True, slots=True)
class UltraGroupRow:
    """An ultra group as this device last heard of it, with the user's settings."""

    group: str
    name: str
    owner: str
    level: str = "default"
    default_level: str = "all"
    dnd: bool = False
    pre_join_history: bool = False
    member_count: int = 0
    last_channel: str = ""


def counts_as_mention(level: str, content: object, me: str) -> bool:
    """Whether a message of someone else counts as an @mention of `me` at `level` (the
    level in force): @ `me` or @ all at ``all`` and ``mentions``; @ `me` by id at
    ``mentions_me``; nothing at ``none``."""
    if level == "none":
        return False
    ids, everyone = read_mentions(content)
    return me in ids or (everyone and level != "mentions_me")


def notifies(channel: UltraChannelRow, content: object, me: str) -> bool:
    """Whether a message of someone else in `channel` should notify `me` (a toast, a
    bell): never under do-not-disturb; at ``all`` any message, else one that counts as
    an @mention of `me` at the channel's level."""
    if channel.dnd:
        return False
    level = channel.effective_level
    return level in ("all", "default") or counts_as_mention(level, content, me)

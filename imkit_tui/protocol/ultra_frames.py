"""Ultra group frames (protocol version 3): groups without a member limit, their
channels, the user's notification levels, edits and deletion by time.

An ultra group is conversation type 10. Its messages travel in the frames every
conversation uses, with ``ConvRef(type=10, target=GROUP, channel=CHANNEL)`` (``""`` is
the default channel every ultra group has):

- ``send`` (SendMessage) posts into a channel; answered by ``ack``; the online members
  get a ``push``. Offline members get nothing then: they learn of it by UltraSync.
- ``pull`` / ``pulls`` read a channel by seq, exactly as any conversation. Each channel
  numbers its messages with its own gapless seq. A member reads only seq >= the
  channel's ``first_seq`` for them (messages after joining, unless the group keeps
  pre-join history) and, of those, only messages after ``floor_at`` and ``cleared_at``.
- ``read`` (MarkRead) moves the user's read position in one channel; answered by an
  UltraUpdate holding that channel, which also reaches the user's other devices.
- ``recall`` (Recall) works as in groups: an RC:RcCmd with its own seq in the channel.

Storage is by read diffusion: a message is stored once per channel, never per member,
and never moves the user's change cursor (``sync``/``synced`` do not list ultra groups).
A client learns its ultra groups, each channel's ``max_seq``, its read position and its
unread and mention counts from UltraSync, at login and whenever it wants fresh counts;
between syncs it keeps the counts itself from the pushes it gets.

An **edit** is an event with its own seq in the channel: a stored, uncounted message of
type :data:`EDIT_OBJECT_NAME` whose content names the original (``messageUId``, ``seq``)
and carries the new ``content``. Online members get it as a ``push``; a device that was
away finds it when it pulls the channel forward, like any message. The server also keeps
the original's newest content, so a pull of history returns the edited message with
``edited_at`` and ``edit_seq`` set (MessageRecord). The newest edit wins: an edit event
applies to a message only when its seq is higher than the message's ``edit_seq``
(:func:`edit_applies`); an older event arriving late changes nothing.

A client sends these frames only to a server that negotiated version 3
(:data:`~imkit_tui.protocol.version.ULTRA_VERSION`) or later.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from imkit_tui.protocol.conversation import ConvRef
from imkit_tui.protocol.frame_base import MAX_INT, ClientMessageId, Frame, UserId

UltraGroupId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ChannelId = Annotated[str, msgspec.Meta(max_length=64, pattern="^[A-Za-z0-9_-]*$")]
"""A channel's id: letters, digits, ``_`` and ``-``; ``""`` is the default channel."""
UltraName = Annotated[str, msgspec.Meta(max_length=64)]
Timestamp = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
"""Milliseconds since the epoch, as every time on the wire."""

EDIT_OBJECT_NAME = "imkit:EditCmd"
"""The object name of an edit event (stored, not counted, not pushed offline)."""
DEFAULT_CHANNEL = ""
"""The channel every ultra group has from its creation; it cannot be deleted."""
MAX_ULTRA_IDS = 500
"""The most user ids one UltraRequest names (mute, unmute, allow_speak, …)."""

NotificationLevel = Literal["default", "all", "mentions", "mentions_me", "none"]
"""How much of an ultra group (or one channel of it) notifies a user.

- ``all``: every counted message is a toast, an offline push, and @ of the user or of
  all counts as a mention.
- ``mentions``: only messages that @ the user or @ all notify; both count as mentions.
- ``mentions_me``: only messages that @ the user by id notify and count as mentions;
  @all counts for nothing.
- ``none``: nothing notifies and nothing counts as a mention (unread still counts).
- ``default``: not set here: the channel's level falls back to the user's level for the
  whole group, that to the group's default level set by its owner, that to ``all``.

RongCloud's push levels -1, 1, 2 and 5 are ``all``, ``mentions``, ``mentions_me`` and
``none``; 0 (not set) is ``default``.
"""
UltraOperation = Literal[
    "create",
    "join",
    "quit",
    "dismiss",
    "rename",
    "info",
    "configure",
    "channel_create",
    "channel_rename",
    "channel_delete",
    "mute",
    "unmute",
    "mute_all",
    "unmute_all",
    "allow_speak",
    "disallow_speak",
]


def edit_applies(message_edit_seq: int, event_seq: int) -> bool:
    """Whether an edit event with seq `event_seq` replaces the content of a message
    whose newest applied edit has seq `message_edit_seq` (0: never edited). The newest
    edit wins, whatever order the events arrive in."""
    return event_seq > message_edit_seq


# ---------------------------------------------------------------- shared payloads


class UltraChannel(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One channel of an ultra group: its id and name (the default channel's id is "")."""

    channel: str
    name: str = ""
    created_at: int = 0


class UltraChannelState(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One channel as one member sees it, computed by read diffusion.

    `max_seq` and `last_at` are the channel's newest message; `read_seq` the member's
    read position; `unread` the counted messages of others after it that the member may
    see; `mentions` those of them that count as a mention at the member's level. `level`
    and `dnd` are the member's own settings of this channel (``default``: not set);
    `effective_level` is the level in force after falling back (never ``default``).
    `first_seq` is the lowest seq the member may read (their join point, 1 when the
    group keeps pre-join history); `floor_at` is the time before which the owner deleted
    everything for everyone, `cleared_at` the time before which the member deleted it
    for themself (0: none).
    """

    channel: str
    name: str = ""
    max_seq: int = 0
    last_at: int = 0
    read_seq: int = 0
    unread: int = 0
    mentions: int = 0
    level: NotificationLevel = "default"
    effective_level: NotificationLevel = "all"
    dnd: bool = False
    first_seq: int = 1
    floor_at: int = 0
    cleared_at: int = 0


class UltraState(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One ultra group as one member sees it: the member's group-wide `level` and
    `dnd`, the owner's `default_level`, and per channel its state. In an UltraUpdate,
    `channels` holds only the channels that changed; `unread` and `mentions` sum them."""

    group: str
    name: str = ""
    owner: str = ""
    level: NotificationLevel = "default"
    default_level: NotificationLevel = "all"
    dnd: bool = False
    joined_at: int = 0
    channels: list[UltraChannelState] = []
    unread: int = 0
    mentions: int = 0


# ---------------------------------------------------------------- client → server


class UltraRequest(Frame, tag="ultra"):
    """Manage an ultra group. Answered by an UltraInfo (or an error frame).

    - ``create``: the caller creates `group` named `name` and owns it (and joins it);
      `level` and `pre_join_history` set its options. Refused with 24412 if the caller
      is in the most ultra groups allowed already.
    - ``join``: the caller joins (24412 past the cap, 100 by default: the 101st join is
      refused); ``quit``: the caller leaves (the owner dismisses instead).
    - ``info``: read it (members only).
    - Owner only: ``dismiss``; ``rename`` (`name`); ``configure`` (`level`, the group's
      default notification level for everyone who set none, and `pre_join_history`,
      whether new members may read what was sent before they joined); ``channel_create``
      (`channel`, `name`; 24413 past 50 channels), ``channel_rename``,
      ``channel_delete`` (its messages go; the default channel "" cannot go; 24414 for
      a channel that does not exist); ``mute`` / ``unmute`` `members`; ``mute_all`` /
      ``unmute_all``; ``allow_speak`` / ``disallow_speak`` `members` (who may still speak
      while all are muted).

    A group change (rename, configure, channels, mutes, dismiss) is also pushed as an
    UltraInfo (`re` 0) to the members online; members away learn it at their next
    UltraSync or ``info``. Joins and quits are not pushed to anyone but the user.
    Errors: 24410 no such ultra group, 24406 not a member, 33003 not the owner or a bad
    field.
    """

    group: UltraGroupId
    op: UltraOperation
    channel: ChannelId = DEFAULT_CHANNEL
    name: UltraName = ""
    members: Annotated[list[UserId], msgspec.Meta(max_length=MAX_ULTRA_IDS)] = []
    level: NotificationLevel | None = None
    pre_join_history: bool | None = None


class UltraSettings(Frame, tag="ultra_settings"):
    """Change the user's own notification `level` and do-not-disturb `dnd` for a whole
    ultra group (`channel` left out) or for one channel of it (`channel` set; ``""`` is
    the default channel). Fields left out stay as they are; ``default`` clears a level.
    Answered by an UltraUpdate, which also reaches the user's other devices.
    DND silences toasts and offline pushes whatever the level; counts go on."""

    group: UltraGroupId
    channel: ChannelId | None = None
    level: NotificationLevel | None = None
    dnd: bool | None = None


class UltraSync(Frame, tag="ultra_sync"):
    """Which ultra groups is the user in, and how does each channel stand for them?
    `groups` narrows the answer to those groups (empty: all of them). Answered by an
    UltraSynced. Its cost grows with the user's groups and channels and with their
    unread messages, never with a channel's history or its member count."""

    groups: Annotated[list[UltraGroupId], msgspec.Meta(max_length=100)] = []


class EditMessage(Frame, tag="edit"):
    """Replace the content of one of the user's own messages (by server id `uid`) in
    `conv`, an ultra group's channel (other conversations: 33003). `cmid` is the
    client's id of the edit, the same on every retry. The object name stays the
    original's. Answered by a SendAck for the edit event (its uid, seq and time); every
    member online gets the event as a Push. Errors: 20116 the message cannot be edited
    (not the caller's, recalled, or not a content message), 24406 not a member, 24408
    muted."""

    conv: ConvRef
    uid: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    content: dict[str, Any]
    cmid: ClientMessageId


class DeleteBefore(Frame, tag="delete_before"):
    """Delete the messages sent before `before` (ms) in `conv`'s channel (an ultra
    group's; other conversations: 33003), or in every channel of the group with
    `all_channels`. For the user alone (their `cleared_at`
    moves forward), or with `for_everyone` for every member, on the server too (owner
    only; the channel's `floor_at` moves forward). A mark only moves forward. Answered
    by an UltraDeleted; the same is pushed to the user's other devices, and, for
    everyone, to every member online."""

    conv: ConvRef
    before: Timestamp
    all_channels: bool = False
    for_everyone: bool = False


# ---------------------------------------------------------------- server → client


class UltraInfo(Frame, tag="ultra_info"):
    """An ultra group as it is now: the answer to an UltraRequest, and a push (`re` 0)
    to the members online when the group changes. It never lists the members (there is
    no limit to them), only how many there are. `member` says whether the receiver is
    one; `dismissed` that the group is gone (then the receiver drops it)."""

    group: str
    name: str = ""
    owner: str = ""
    channels: list[UltraChannel] = []
    member_count: int = 0
    member: bool = False
    dismissed: bool = False
    muted: list[str] = []
    all_muted: bool = False
    speakers: list[str] = []
    default_level: NotificationLevel = "all"
    pre_join_history: bool = False


class UltraSynced(Frame, tag="ultra_synced"):
    """The answer to an UltraSync: the user's ultra groups (those asked for), each with
    every channel's state."""

    groups: list[UltraState] = []


class UltraUpdate(Frame, tag="ultra_update"):
    """The user's view of an ultra group changed: the answer to UltraSettings and to a
    MarkRead in an ultra group, and a push (`re` 0) to the user's other devices.
    `state.channels` holds the channels that changed."""

    state: UltraState


class UltraDeleted(Frame, tag="ultra_deleted"):
    """Messages before `before` are gone from `channel` (every channel when `channel`
    is None) of `group`: for every member (`for_everyone`) or for the user alone; `by`
    is who deleted them. The answer to DeleteBefore and its push."""

    group: str
    before: int
    channel: str | None = None
    for_everyone: bool = False
    by: str = ""


ULTRA_CLIENT_FRAMES = (UltraRequest, UltraSettings, UltraSync, EditMessage, DeleteBefore)
"""Every client frame of this module."""
ULTRA_SERVER_FRAMES = (UltraInfo, UltraSynced, UltraUpdate, UltraDeleted)
"""Every server frame of this module."""

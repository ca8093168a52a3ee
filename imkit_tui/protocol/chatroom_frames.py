"""Chatroom frames: joining, leaving and reading live rooms, their attributes, and the
events the server pushes about them.

A chatroom's messages travel in the ordinary frames: a member sends a SendMessage whose
`conv` is ConvRef(4, room) (ConversationType.CHATROOM); the server answers a SendAck, or an
ErrorFrame when the send is refused (23406 not in the room, 23408 muted, 23409 kicked,
23410 no such room) or dropped under load (CHATROOM_MESSAGE_DROPPED: the message reached
no one, and retrying the same message will not help while the room stays busy). Online
members get each message as a Push; nothing is kept for members who are offline. Cloud
history, when the server keeps it, is read with a backward PullRequest (`before_seq`) on
ConvRef(4, room); a server without it answers 23414. Recall works as in other
conversations (Recall with the room's ConvRef); the RC:RcCmd notice reaches the online
members. Rooms never appear in a SyncReply.

Every request here is answered by the frame its docstring names, carrying the request's
`id` in `re`, or by an ErrorFrame with the code said there. ChatroomEvent is a push
(`re` 0). All times are milliseconds since the epoch.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from imkit_tui.protocol.frame_base import Frame, MessageRecord, UserId

RoomId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RoomName = Annotated[str, msgspec.Meta(max_length=64)]
AttrKey = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_+=\-]{1,128}$")]
AttrValue = Annotated[str, msgspec.Meta(max_length=4096)]

DEFAULT_JOIN_HISTORY = 10
"""Recent messages a join returns when the request does not say (RongCloud's default)."""
MAX_JOIN_HISTORY = 50
"""The most recent messages a join may ask for."""
MAX_ROOM_MEMBERS_LISTED = 500
"""The most members one ChatroomQuery returns."""
MAX_ROOM_ATTRIBUTES = 100
"""The most attributes (keys) one room holds."""
KV_NOTICE = "RC:chrmKVNotiMsg"
"""The object name of the notice posted to the room on every attribute change; its
content is {"type": 1 (set) or 2 (removed), "key", "value", "extra": setter}."""

JoinHistory = Annotated[int, msgspec.Meta(ge=-1, le=MAX_JOIN_HISTORY)]
MemberCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_ROOM_MEMBERS_LISTED)]


# ---------------------------------------------------------------- shared payloads


class ChatroomMember(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One member of a room and when they joined it."""

    user: str
    joined_at: int


class ChatroomSummary(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A room as anyone may read it: id, name, creation time and the exact member count."""

    room: str
    name: str = ""
    created_at: int
    member_count: int


class ChatroomAttr(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One attribute (key and value) of a room: who set it and when; `auto_delete` ones
    are removed when their setter leaves the room."""

    key: str
    value: str
    setter: str
    set_at: int
    auto_delete: bool = False


class AttrSet(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One key to set in a ChatroomAttrs request.

    A key the user set before is updated; a key someone else set is replaced only with
    `overwrite` (else 23424). `auto_delete` removes the key when this user leaves the
    room.
    """

    key: AttrKey
    value: AttrValue
    auto_delete: bool = False
    overwrite: bool = False


# ---------------------------------------------------------------- client → server


class ChatroomJoin(Frame, tag="room_join"):
    """Join a room (the client sends; the server answers a ChatroomJoined).

    `create` True joins the room or creates it first when it does not exist (RongCloud's
    joinChatRoom; `name` names a room made so); False joins only an existing room
    (joinExistChatRoom) and is answered 23410 when there is none. `history` is how many of
    the room's latest messages come back in the answer: -1 none, up to MAX_JOIN_HISTORY,
    DEFAULT_JOIN_HISTORY when left out. A banned user is answered 23409; a full room
    23411. Joining a room one is already in answers the same as a first join.
    """

    room: RoomId
    create: bool = True
    history: JoinHistory = DEFAULT_JOIN_HISTORY
    name: RoomName = ""


class ChatroomLeave(Frame, tag="room_leave"):
    """Leave a room (the client sends; the server answers a ChatroomInfo of the room as
    it is after the leave). The user's auto_delete attributes go with them. Leaving a
    room one is not in answers the same; a room that does not exist answers 23410."""

    room: RoomId


class ChatroomQuery(Frame, tag="room_query"):
    """Read a room (any user sends; the server answers a ChatroomInfo, or 23410).

    `members` asks for that many of its members (at most MAX_ROOM_MEMBERS_LISTED), in
    join-time `order`: "asc" the earliest first, "desc" the latest first.
    """

    room: RoomId
    members: MemberCount = 0
    order: Literal["asc", "desc"] = "asc"


class ChatroomAttrs(Frame, tag="room_attrs"):
    """Set, remove or list a room's attributes (a member sends; the server answers a
    ChatroomAttrState). Refusals: 23406 not in the room (set, remove), 23410 no such
    room.

    `op` "set": each of `set` is written (23423 when the room would hold more than
    MAX_ROOM_ATTRIBUTES keys; 23424 for a key someone else set, unless its entry says
    `overwrite`). "remove": each of `keys` goes (23427 a key that does not exist; 23424 a
    key someone else set, unless `force`). "list": the attributes named by `keys`, or all
    when `keys` is empty (any user may list; no membership needed). Each key set or
    removed posts a KV_NOTICE message to the room, sent as the user who changed it. A set
    or remove applies all its keys or, when one is refused, none.
    """

    room: RoomId
    op: Literal["set", "remove", "list"]
    set: Annotated[list[AttrSet], msgspec.Meta(max_length=MAX_ROOM_ATTRIBUTES)] = []
    keys: Annotated[list[AttrKey], msgspec.Meta(max_length=MAX_ROOM_ATTRIBUTES)] = []
    force: bool = False


class ChatroomList(Frame, tag="room_list"):
    """Which public rooms the server offers (any user sends; the server answers a
    ChatroomDirectory)."""


# ---------------------------------------------------------------- server → client


class ChatroomJoined(Frame, tag="room_joined"):
    """The answer to ChatroomJoin: the room, when this user joined it, and its latest
    messages (oldest first; as many as the join asked for, fewer when the room has
    fewer). From now on the room's messages arrive as Pushes while this connection is
    online."""

    info: ChatroomSummary
    joined_at: int
    messages: list[MessageRecord] = []


class ChatroomInfo(Frame, tag="room_info"):
    """A room as it is now: the answer to ChatroomQuery and ChatroomLeave. `members` holds
    the members asked for, in the order asked; `all_muted` says only whitelisted users may
    speak."""

    info: ChatroomSummary
    members: list[ChatroomMember] = []
    all_muted: bool = False


class ChatroomAttrState(Frame, tag="room_attr_state"):
    """A room's attributes: the answer to ChatroomAttrs. For "list", those asked for; for
    "set" and "remove", the keys the request changed as they are now (removed keys are
    not included)."""

    room: str
    attrs: list[ChatroomAttr] = []


class ChatroomDirectory(Frame, tag="room_directory"):
    """The public rooms the server offers: the answer to ChatroomList. A public room is
    kept alive (never destroyed for being idle)."""

    rooms: list[ChatroomSummary] = []


ChatroomEventKind = Literal[
    "destroyed",
    "kicked",
    "banned",
    "auto_exit",
    "muted",
    "unmuted",
    "all_muted",
    "all_unmuted",
    "distribution_stopped",
    "distribution_resumed",
]


class ChatroomEvent(Frame, tag="room_event"):
    """Something happened to a room, or to this user in it (the server pushes; `re` 0;
    nothing answers it).

    - "destroyed": the room is gone; the user is out of it (sent to members online).
    - "kicked": removed from the room by the service; may join again.
    - "banned": removed and may not join again until `until` (0: until lifted).
    - "auto_exit": removed because this connection was away while the room moved on
      (after going offline; a reconnecting client sees it on its next join).
    - "muted" / "unmuted": this user may (not) speak here until `until` (0: until lifted).
    - "all_muted" / "all_unmuted": the whole room is (no longer) muted.
    - "distribution_stopped" / "distribution_resumed": the room's messages stop (resume)
      reaching members; sends are still accepted.
    """

    room: str
    kind: ChatroomEventKind
    until: int = 0
    user: UserId | None = None


CHATROOM_CLIENT_FRAMES = (ChatroomJoin, ChatroomLeave, ChatroomQuery, ChatroomAttrs, ChatroomList)
CHATROOM_SERVER_FRAMES = (
    ChatroomJoined,
    ChatroomInfo,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomEvent,
)

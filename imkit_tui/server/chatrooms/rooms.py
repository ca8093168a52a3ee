"""A chatroom's state: members by join time, the members online, the recent messages,
the attributes and whether its messages are distributed. No I/O."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable

from imkit_tui.protocol import ConversationType, MessageRecord
from imkit_tui.protocol.chatroom_frames import (
    MAX_JOIN_HISTORY,
    ChatroomMember,
    ChatroomSummary,
)
from imkit_tui.server.chatrooms.attributes import RoomAttributes
from imkit_tui.server.chatrooms.naming import room_conv, room_key
from imkit_tui.server.routing import Route


class Room:
    """One chatroom. `members` holds each member's join time, in join order."""

    __slots__ = (
        "_route",
        "attributes",
        "conv",
        "created_at",
        "distributing",
        "empty_since",
        "id",
        "members",
        "name",
        "online",
        "recent",
        "seq",
    )

    def __init__(self, room_id: str, name: str, created_at: int, seq: int = 0) -> None:
        self.id = room_id
        self.name = name
        self.created_at = created_at
        self.conv = room_conv(room_id)
        self.members: dict[str, int] = {}
        self.online: set[str] = set()
        self.distributing = True
        self.empty_since = created_at
        self.seq = seq
        self.recent: deque[MessageRecord] = deque(maxlen=MAX_JOIN_HISTORY)
        self.attributes = RoomAttributes()
        self._route: Route | None = None

    def summary(self) -> ChatroomSummary:
        """The room as anyone may read it."""
        return ChatroomSummary(
            room=self.id, name=self.name, created_at=self.created_at, member_count=len(self.members)
        )

    def add(self, user: str, now_ms: int, online: bool) -> int:
        """`user` joins (a member already keeps their join time); their join time."""
        joined = self.members.setdefault(user, now_ms)
        self.set_online(user, online)
        return joined

    def remove(self, user: str, now_ms: int) -> bool:
        """`user` leaves; False when they were not a member."""
        if self.members.pop(user, None) is None:
            return False
        self.set_online(user, False)
        if not self.members:
            self.empty_since = now_ms
        return True

    def set_online(self, user: str, online: bool) -> None:
        """Whether member `user` has a device online."""
        if online and user in self.members:
            if user not in self.online:
                self.online.add(user)
                self._route = None
        elif user in self.online:
            self.online.discard(user)
            self._route = None

    def route(self) -> Route:
        """The route of the room's messages: every member online (kept until that changes)."""
        if self._route is None:
            conv = self.conv
            self._route = Route(
                conv_type=ConversationType.CHATROOM,
                conv_key=room_key(self.id),
                members=(),
                deliveries=tuple((user, conv) for user in self.online),
            )
        return self._route

    def listed(self, count: int, descending: bool) -> list[ChatroomMember]:
        """The first `count` members by join time (the latest first when `descending`)."""
        items: Iterable[tuple[str, int]] = self.members.items()
        if descending:
            items = reversed(self.members.items())
        return [ChatroomMember(user=u, joined_at=t) for u, t in itertools.islice(items, count)]

    def latest(self, count: int) -> list[MessageRecord]:
        """The room's latest `count` messages, oldest first."""
        if count <= 0:
            return []
        recent = self.recent
        return list(itertools.islice(recent, max(0, len(recent) - count), None))

    def find(self, uid: str) -> MessageRecord | None:
        """A recent message by its id."""
        return next((m for m in self.recent if m.uid == uid), None)

    def sent_before(self, sender: str, cmid: str) -> MessageRecord | None:
        """A recent message `sender` sent with client id `cmid` (a retry's original)."""
        return next((m for m in self.recent if m.cmid == cmid and m.sender == sender), None)

"""The chatroom service: rooms, membership, who may speak, what a busy room accepts, and
what happens by itself as time passes (mutes and bans end, away members leave, idle
rooms go). No I/O: what must reach users or the app's backend is handed to a
:class:`RoomSink`, and every time is an argument (ms), so tests use a fake clock.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from imkit_tui.protocol import ErrorCode, MessageRecord, ProtocolError
from imkit_tui.protocol.chatroom_frames import (
    KV_NOTICE,
    AttrSet,
    ChatroomAttr,
    ChatroomEvent,
    ChatroomEventKind,
)
from imkit_tui.server.chatrooms.auto_exit import AutoExitPlanner
from imkit_tui.server.chatrooms.budget import RoomBudget
from imkit_tui.server.chatrooms.expiry import FOREVER, Expiring, until_from_minutes
from imkit_tui.server.chatrooms.policy import RoomPolicy
from imkit_tui.server.chatrooms.rooms import Room
from imkit_tui.server.chatrooms.settings import ChatroomSettings

KV_SET, KV_REMOVED = 1, 2
"""The `type` of an RC:chrmKVNotiMsg: a key set, a key removed."""


class RoomStatus(enum.IntEnum):
    """A change reported to the app's backend (chatroom status sync), as numbered there."""

    CREATED = 0
    DESTROYED = 1
    JOINED = 2
    LEFT = 3


class RoomSink(Protocol):
    """Where the service's consequences go (the server's I/O side)."""

    def event(self, user: str, frame: ChatroomEvent) -> None:
        """Push `frame` to `user`'s devices online."""

    def status(self, room: str, status: RoomStatus, users: Sequence[str], at_ms: int) -> None:
        """Report a change of `room` to the app's backend."""

    def notice(
        self, room: Room, sender: str, object_name: str, content: dict[str, Any]
    ) -> MessageRecord:
        """Post a message from `sender` into `room` (as if they had sent it); the message."""


class ChatroomService:
    """Every room of the server. `online(user)` says whether a user has a device online."""

    def __init__(
        self, settings: ChatroomSettings, sink: RoomSink, online: Callable[[str], bool]
    ) -> None:
        self.settings = settings
        self._sink = sink
        self._online = online
        self.rooms: dict[str, Room] = {}
        self._user_rooms: dict[str, set[str]] = {}
        self._budgets: dict[str, RoomBudget] = {}
        self._periods: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.policy = RoomPolicy(settings.max_low_priority)
        """Message whitelist, low-priority names, user whitelists."""
        self.mutes: Expiring[tuple[str, str]] = Expiring()
        """(room, user) muted in that room (/chatroom/user/gag)."""
        self.global_mutes: Expiring[str] = Expiring()
        """Users muted in every room (/chatroom/user/ban)."""
        self.bans: Expiring[tuple[str, str]] = Expiring()
        """(room, user) kept out of that room (/chatroom/user/block)."""
        self.room_mutes: Expiring[str] = Expiring()
        """Rooms where only whitelisted users speak (/chatroom/ban)."""
        self.keepalive: set[str] = {p.room for p in settings.public_rooms}
        """Rooms never destroyed for being idle."""
        self.counts: Counter[str] = Counter()
        """Sends accepted and dropped, by priority ("accepted_low", "dropped_low", …)."""
        self._planner = AutoExitPlanner(settings.auto_exit)

    # ------------------------------------------------------------------ rooms

    def get(self, room_id: str, request_id: int = 0) -> Room:
        """The room `room_id`; 23410 when there is none."""
        room = self.rooms.get(room_id)
        if room is None:
            raise ProtocolError(ErrorCode.CHATROOM_NOT_FOUND, "no such chatroom", request_id)
        return room

    def create(self, room_id: str, name: str, now_ms: int, seq: int = 0) -> Room:
        """Create `room_id` (an existing room is kept as it is); the room. `seq`: the
        last seq its history already holds."""
        room = self.rooms.get(room_id)
        if room is None:
            room = Room(room_id, name, now_ms, seq)
            self.rooms[room_id] = room
            self._budgets[room_id] = RoomBudget(self.settings.budget)
            self._sink.status(room_id, RoomStatus.CREATED, (), now_ms)
        return room

    def destroy(self, room_id: str, now_ms: int) -> bool:
        """Destroy `room_id`: its members are out (those online told so), its attributes
        and settings go; False when there was no such room."""
        room = self.rooms.pop(room_id, None)
        if room is None:
            return False
        for user in room.members:
            self._user_rooms.get(user, set()).discard(room_id)
            self._close_period(room, user)
        for user in room.online:
            self._sink.event(user, ChatroomEvent(room=room_id, kind="destroyed"))
        self._budgets.pop(room_id, None)
        self._planner.forget_room(room_id)
        self.policy.forget_room(room_id)
        self.room_mutes.remove(room_id)
        self.keepalive.discard(room_id)
        self._sink.status(room_id, RoomStatus.DESTROYED, (), now_ms)
        return True

    def public(self) -> list[Room]:
        """The public rooms the server offers (created at start)."""
        return [self.rooms[p.room] for p in self.settings.public_rooms if p.room in self.rooms]

    # ------------------------------------------------------------------ membership

    def join(
        self,
        user: str,
        room_id: str,
        now_ms: int,
        *,
        create: bool,
        name: str = "",
        seq: int = 0,
        request_id: int = 0,
    ) -> tuple[Room, int]:
        """`user` joins `room_id` (made first when missing and `create`); the room and
        the join time. Refused: 23409 banned, 23410 no such room, 23411 full."""
        until = self.bans.until((room_id, user), now_ms)
        if until is not None:
            ends = "until lifted" if until == FOREVER else f"until {until} (ms)"
            raise ProtocolError(
                ErrorCode.KICKED_FROM_CHATROOM, f"you are banned from this room {ends}", request_id
            )
        room = self.rooms.get(room_id)
        if room is None:
            if not create:
                raise ProtocolError(ErrorCode.CHATROOM_NOT_FOUND, "no such chatroom", request_id)
            room = self.create(room_id, name, now_ms, seq)
        cap = self.settings.max_members
        if user not in room.members and cap and len(room.members) >= cap:
            raise ProtocolError(ErrorCode.CHATROOM_FULL, "the chatroom is full", request_id)
        new = user not in room.members
        joined = room.add(user, now_ms, self._online(user))
        self._planner.back(room_id, user)
        if new:
            self._user_rooms.setdefault(user, set()).add(room_id)
            self._periods.setdefault((room_id, user), []).append((room.seq + 1, 0))
            self._sink.status(room_id, RoomStatus.JOINED, (user,), now_ms)
        return room, joined

    def leave(
        self, user: str, room_id: str, now_ms: int, reason: ChatroomEventKind | None = None
    ) -> bool:
        """`user` leaves `room_id` (`reason`: why the service removed them, told to
        them); their auto_delete attributes go. False when they were not in it."""
        room = self.rooms.get(room_id)
        if room is None:
            return False
        was_online = user in room.online
        if not room.remove(user, now_ms):
            return False
        rooms = self._user_rooms.get(user)
        if rooms is not None:
            rooms.discard(room_id)
            if not rooms:
                del self._user_rooms[user]
        self._planner.back(room_id, user)
        self._close_period(room, user)
        for attr in room.attributes.leave(user):
            self._kv_notice(room, user, KV_REMOVED, attr)
        if reason is not None and was_online:
            until = self.bans.until((room_id, user), now_ms) if reason == "banned" else None
            self._sink.event(user, ChatroomEvent(room=room_id, kind=reason, until=until or 0))
        self._sink.status(room_id, RoomStatus.LEFT, (user,), now_ms)
        return True

    def restore_member(self, room: Room, user: str, joined_at: int) -> None:
        """Put `user` back into `room` as a snapshot kept them (no one is told)."""
        online = self._online(user)
        room.add(user, joined_at, online)
        self._user_rooms.setdefault(user, set()).add(room.id)
        if not online and not self.policy.whitelisted(room.id, user):
            self._planner.away(room.id, user)

    def rooms_of(self, user: str) -> set[str]:
        """The rooms `user` is a member of."""
        return set(self._user_rooms.get(user, ()))

    def periods(self, room_id: str, user: str) -> list[tuple[int, int]]:
        """The seqs of `room_id` sent while `user` was a member: (first, last) pairs,
        last 0 while they are in (the latest 20 memberships)."""
        return list(self._periods.get((room_id, user), ()))

    def _close_period(self, room: Room, user: str) -> None:
        periods = self._periods.get((room.id, user))
        if periods and periods[-1][1] == 0:
            periods[-1] = (periods[-1][0], room.seq)
            del periods[:-20]  # what one pull filters by stays small

    def user_online(self, user: str) -> None:
        """A device of `user` logged in: in their rooms they receive again, and stay."""
        for room_id in self._user_rooms.get(user, ()):
            self.rooms[room_id].set_online(user, True)
            self._planner.back(room_id, user)

    def user_offline(self, user: str) -> None:
        """`user`'s last device went: they receive nothing, and auto-exit is planned
        (whitelisted users never auto-exit)."""
        for room_id in self._user_rooms.get(user, ()):
            self.rooms[room_id].set_online(user, False)
            if not self.policy.whitelisted(room_id, user):
                self._planner.away(room_id, user)

    # ------------------------------------------------------------------ messages

    def admit(
        self, user: str, room_id: str, object_name: str, now_ms: int, request_id: int
    ) -> Room:
        """May `user` send `object_name` into `room_id` now? The room, or refused: 23410
        no such room, 23406 not in it, 23408 muted, 90020 dropped (the room is over its
        budget; low priority goes first, whitelisted messages never)."""
        room = self.get(room_id, request_id)
        if user not in room.members:
            raise ProtocolError(
                ErrorCode.NOT_IN_CHATROOM, "you are not in this chatroom", request_id
            )
        if self.muted(room_id, user, now_ms):
            raise ProtocolError(
                ErrorCode.MUTED_IN_CHATROOM, "you are muted in this chatroom", request_id
            )
        priority = self.policy.priority(room_id, user, object_name)
        label = priority.name.lower()
        if not self._budgets[room_id].admit(priority, now_ms):
            self.counts[f"dropped_{label}"] += 1
            raise ProtocolError(
                ErrorCode.CHATROOM_MESSAGE_DROPPED,
                "the chatroom is busy: this message was dropped",
                request_id,
            )
        self.counts[f"accepted_{label}"] += 1
        return room

    def muted(self, room_id: str, user: str, now_ms: int) -> bool:
        """Whether `user` may not speak in `room_id` now."""
        if self.global_mutes.active(user, now_ms) or self.mutes.active((room_id, user), now_ms):
            return True
        return self.room_mutes.active(room_id, now_ms) and not self.policy.whitelisted(
            room_id, user
        )

    def posted(
        self,
        room: Room,
        record: MessageRecord,
        now_ms: int,
        decide: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        """`record` went into `room` (kept among its latest when stored, seq > 0); away
        members whose count is up leave (`decide`: who leaves, given who would)."""
        if record.seq:
            room.recent.append(record)
        leaving = self._planner.message(room.id, now_ms)
        if decide is not None:
            leaving = decide(leaving)
        for user in leaving:
            self.leave(user, room.id, now_ms, "auto_exit")

    def next_seq(self, room: Room) -> int:
        """The seq of the next message stored in `room`."""
        room.seq += 1
        return room.seq

    # ------------------------------------------------------------------ attributes

    def set_attributes(
        self, user: str, room_id: str, entries: Sequence[AttrSet], now_ms: int, request_id: int = 0
    ) -> list[ChatroomAttr]:
        """Write attributes as `user` (see attributes.py); each posts a notice."""
        room = self.get(room_id, request_id)
        written = room.attributes.set(user, entries, now_ms, request_id)
        for attr in written:
            self._kv_notice(room, user, KV_SET, attr)
        return written

    def remove_attributes(
        self, user: str, room_id: str, keys: Sequence[str], *, force: bool, request_id: int = 0
    ) -> list[ChatroomAttr]:
        """Remove attributes as `user`; each posts a notice."""
        room = self.get(room_id, request_id)
        removed = room.attributes.remove(user, keys, force=force, request_id=request_id)
        for attr in removed:
            self._kv_notice(room, user, KV_REMOVED, attr)
        return removed

    def _kv_notice(self, room: Room, user: str, kind: int, attr: ChatroomAttr) -> None:
        content = {"type": kind, "key": attr.key, "value": attr.value, "extra": ""}
        self._sink.notice(room, user, KV_NOTICE, content)

    # ------------------------------------------------------------------ moderation

    def gag(self, room_id: str, users: Sequence[str], minutes: int, now_ms: int) -> None:
        """Mute `users` in `room_id` for `minutes` (0: until lifted)."""
        until = until_from_minutes(minutes, now_ms)
        for user in users:
            self.mutes.set((room_id, user), until)
            self._tell_member(room_id, user, "muted", until)

    def ungag(self, room_id: str, users: Sequence[str]) -> None:
        """Lift the mutes of `users` in `room_id`."""
        for user in users:
            if self.mutes.remove((room_id, user)):
                self._tell_member(room_id, user, "unmuted", 0)

    def mute_everywhere(self, users: Sequence[str], minutes: int, now_ms: int) -> None:
        """Mute `users` in every room for `minutes` (0: until lifted)."""
        until = until_from_minutes(minutes, now_ms)
        for user in users:
            self.global_mutes.set(user, until)
            for room_id in self._user_rooms.get(user, ()):
                self._tell_member(room_id, user, "muted", until)

    def unmute_everywhere(self, users: Sequence[str]) -> None:
        """Lift the global mutes of `users`."""
        for user in users:
            if self.global_mutes.remove(user):
                for room_id in self._user_rooms.get(user, ()):
                    self._tell_member(room_id, user, "unmuted", 0)

    def ban(self, room_id: str, users: Sequence[str], minutes: int, now_ms: int) -> None:
        """Ban `users` from `room_id` for `minutes` (0: until lifted): they are out now
        and cannot join until then."""
        until = until_from_minutes(minutes, now_ms)
        for user in users:
            self.bans.set((room_id, user), until)
            self.leave(user, room_id, now_ms, "banned")

    def unban(self, room_id: str, users: Sequence[str]) -> None:
        """Lift the bans of `users` from `room_id`."""
        for user in users:
            self.bans.remove((room_id, user))

    def mute_room(self, room_id: str, minutes: int, now_ms: int) -> None:
        """Mute the whole room for `minutes` (0: until lifted); whitelisted users speak."""
        room = self.get(room_id)
        until = until_from_minutes(minutes, now_ms)
        self.room_mutes.set(room_id, until)
        self._tell_room(room, "all_muted", until)

    def unmute_room(self, room_id: str) -> None:
        """Lift the whole-room mute of `room_id`."""
        if self.room_mutes.remove(room_id) and room_id in self.rooms:
            self._tell_room(self.rooms[room_id], "all_unmuted", 0)

    def set_distribution(self, room_id: str, on: bool) -> None:
        """Stop (or resume) delivering `room_id`'s messages to its members; sends are
        still accepted and still reach the app's backend."""
        room = self.get(room_id)
        if room.distributing != on:
            room.distributing = on
            self._tell_room(room, "distribution_resumed" if on else "distribution_stopped", 0)

    def _tell_member(self, room_id: str, user: str, kind: ChatroomEventKind, until: int) -> None:
        room = self.rooms.get(room_id)
        if room is not None and user in room.online:
            self._sink.event(user, ChatroomEvent(room=room_id, kind=kind, until=until))

    def _tell_room(self, room: Room, kind: ChatroomEventKind, until: int) -> None:
        frame = ChatroomEvent(room=room.id, kind=kind, until=until)
        for user in room.online:
            self._sink.event(user, frame)

    # ------------------------------------------------------------------ time

    def sweep(self, now_ms: int) -> None:
        """What time does: away members whose time is up leave; ended mutes and bans
        are lifted (those online told so); rooms idle past the limit are destroyed."""
        self.expire(self.due_exits(now_ms), self.idle_rooms(now_ms), now_ms)
        self.lift_marks(now_ms)

    def due_exits(self, now_ms: int) -> list[tuple[str, str]]:
        """(room, user) of the away members whose time is up at `now_ms`."""
        return self._planner.due(now_ms)

    def idle_rooms(self, now_ms: int) -> list[str]:
        """The rooms idle past the limit at `now_ms`."""
        return list(self._idle(now_ms))

    def expire(self, exits: Sequence[Sequence[str]], idle: Sequence[str], now_ms: int) -> None:
        """Away members in `exits` ((room, user) pairs) leave, `idle` rooms go."""
        for room_id, user in exits:
            self.leave(user, room_id, now_ms, "auto_exit")
        for room_id in idle:
            self.destroy(room_id, now_ms)

    def lift_marks(self, now_ms: int) -> None:
        """Mutes and bans that ended are lifted (the members online told so)."""
        for room_id, user in self.mutes.due(now_ms):
            self._tell_member(room_id, user, "unmuted", 0)
        for user in self.global_mutes.due(now_ms):
            for room_id in self._user_rooms.get(user, ()):
                self._tell_member(room_id, user, "unmuted", 0)
        self.bans.due(now_ms)
        for room_id in self.room_mutes.due(now_ms):
            if room_id in self.rooms:
                self._tell_room(self.rooms[room_id], "all_unmuted", 0)

    def _idle(self, now_ms: int) -> Iterator[str]:
        idle = self.settings.idle_destroy_ms
        if not idle:
            return
        for room_id, room in self.rooms.items():
            if (
                not room.members
                and room_id not in self.keepalive
                and now_ms - room.empty_since >= idle
            ):
                yield room_id

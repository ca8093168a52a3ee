"""Every change of the chatrooms as an act: a name and JSON-ready arguments, run against
the chatroom service at a given time. No I/O of its own.

One node runs an act; with several nodes the room log (pg/act_log.py) keeps it, and
every other node runs the same act, at the same time and in the same order, on its own
copy of the rooms, so all copies agree. An act decides only from the rooms' state, its
arguments and its time; what it decides otherwise (message ids, who auto-exits) is
recorded by the first run and repeated by the others (script.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from imkit_tui import messages
from imkit_tui.protocol import ErrorCode, MessageRecord, ProtocolError
from imkit_tui.protocol.chatroom_frames import AttrSet, ChatroomAttr
from imkit_tui.server.chatrooms.rooms import Room
from imkit_tui.server.session import Session

if TYPE_CHECKING:
    from imkit_tui.server.chatrooms.live import ChatroomLive

Act = Callable[..., Any]
"""An act: (live, at_ms, skip, *args) → its result."""


def member_room(live: ChatroomLive, user: str, room_id: str, request_id: int = 0) -> Room:
    """The room `room_id`, which `user` must be in: 23410, 23406 otherwise."""
    room = live.service.get(room_id, request_id)
    if user not in room.members:
        raise ProtocolError(ErrorCode.NOT_IN_CHATROOM, "you are not in this chatroom", request_id)
    return room


def _join(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    user: str,
    room: str,
    create: bool,
    name: str,
    seq: int,
    request_id: int,
) -> tuple[Room, int]:
    return live.service.join(
        user, room, at, create=create, name=name, seq=seq, request_id=request_id
    )


def _leave(live: ChatroomLive, at: int, skip: Session | None, user: str, room: str) -> bool:
    return live.service.leave(user, room, at)


def _send(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    user: str,
    room_id: str,
    object_name: str,
    content: dict[str, Any],
    cmid: str,
    request_id: int,
) -> MessageRecord:
    """A member's message: its original when it is a retry."""
    room = member_room(live, user, room_id, request_id)
    original = room.sent_before(user, cmid)
    if original is not None:
        return original
    live.service.admit(user, room.id, object_name, at, request_id)
    stored = messages.lookup(object_name).stored
    record = live.record(room, user, object_name, content, cmid, stored=stored)
    live.publish(room, record, skip)
    return record


def _recall(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    user: str,
    room_id: str,
    content: dict[str, Any],
    seq: int,
    request_id: int,
) -> MessageRecord:
    """`user` recalls their message of `seq` (content: the RC:RcCmd's)."""
    room = member_room(live, user, room_id, request_id)
    original = room.find(str(content["messageUId"]))
    if original is not None:
        room.recent.remove(original)
    if live.settings.history and not live.replaying:
        live.effect(lambda: live.write(live.history().remove(room.id, seq)))
    return live.notice(room, user, messages.RECALL, content, skip)


def _post(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    rooms: list[str],
    sender: str,
    object_name: str,
    content: dict[str, Any],
) -> None:
    """A message from the app (no membership needed) into each of `rooms` there is."""
    for room_id in rooms:
        room = live.service.rooms.get(room_id)
        if room is not None:
            live.notice(room, sender, object_name, content)


def _attrs_set(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    user: str,
    room: str,
    entries: list[dict[str, Any]],
    request_id: int,
) -> list[ChatroomAttr]:
    sets = [AttrSet(**entry) for entry in entries]
    return live.service.set_attributes(user, room, sets, at, request_id)


def _attrs_remove(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    user: str,
    room: str,
    keys: list[str],
    force: bool,
    request_id: int,
) -> list[ChatroomAttr]:
    return live.service.remove_attributes(user, room, keys, force=force, request_id=request_id)


def _online(live: ChatroomLive, at: int, skip: Session | None, user: str, node: str) -> None:
    if live.presence.up(user, node):
        live.service.user_online(user)


def _offline(live: ChatroomLive, at: int, skip: Session | None, user: str, node: str) -> None:
    if live.presence.down(user, node):
        live.service.user_offline(user)


def _node_gone(live: ChatroomLive, at: int, skip: Session | None, node: str) -> None:
    """`node` stopped without saying so: its users' devices there are gone."""
    for user in live.presence.node_gone(node):
        live.service.user_offline(user)


def _expire(
    live: ChatroomLive,
    at: int,
    skip: Session | None,
    exits: list[list[str]],
    idle: list[str],
) -> None:
    live.service.expire(exits, idle, at)


def _policy(change: Callable[[ChatroomLive, list[str]], None]) -> Act:
    def act(live: ChatroomLive, at: int, skip: Session | None, names: list[str]) -> None:
        change(live, names)

    return act


def _room_users(change: Callable[[ChatroomLive, str, list[str]], None]) -> Act:
    def act(live: ChatroomLive, at: int, skip: Session | None, room: str, users: list[str]) -> None:
        change(live, room, users)

    return act


def _timed(change: Callable[[ChatroomLive, str, list[str], int, int], None]) -> Act:
    def act(
        live: ChatroomLive, at: int, skip: Session | None, room: str, users: list[str], minutes: int
    ) -> None:
        change(live, room, users, minutes, at)

    return act


ACTS: dict[str, Act] = {
    "create": lambda live, at, skip, room, name, seq: live.service.create(room, name, at, seq),
    "destroy": lambda live, at, skip, room: live.service.destroy(room, at),
    "join": _join,
    "leave": _leave,
    "send": _send,
    "recall": _recall,
    "post": _post,
    "attrs_set": _attrs_set,
    "attrs_remove": _attrs_remove,
    "online": _online,
    "offline": _offline,
    "node_gone": _node_gone,
    "expire": _expire,
    "gag": _timed(
        lambda live, room, users, minutes, at: live.service.gag(room, users, minutes, at)
    ),
    "ungag": _room_users(lambda live, room, users: live.service.ungag(room, users)),
    "ban": _timed(
        lambda live, room, users, minutes, at: live.service.ban(room, users, minutes, at)
    ),
    "unban": _room_users(lambda live, room, users: live.service.unban(room, users)),
    "mute_all": lambda live, at, skip, users, minutes: live.service.mute_everywhere(
        users, minutes, at
    ),
    "unmute_all": lambda live, at, skip, users: live.service.unmute_everywhere(users),
    "mute_room": lambda live, at, skip, room, minutes: live.service.mute_room(room, minutes, at),
    "unmute_room": lambda live, at, skip, room: live.service.unmute_room(room),
    "distribution": lambda live, at, skip, room, on: live.service.set_distribution(room, on),
    "keepalive_add": lambda live, at, skip, room: live.service.keepalive.add(room),
    "keepalive_remove": lambda live, at, skip, room: live.service.keepalive.discard(room),
    "types_add": _policy(lambda live, names: live.service.policy.whitelisted_types.update(names)),
    "types_remove": _policy(
        lambda live, names: live.service.policy.whitelisted_types.difference_update(names)
    ),
    "low_add": _policy(lambda live, names: live.service.policy.add_low_priority(names)),
    "low_remove": _policy(
        lambda live, names: live.service.policy.low_priority.difference_update(names)
    ),
    "users_allow": _room_users(
        lambda live, room, users: live.service.policy.allow_users(room, users)
    ),
    "users_disallow": _room_users(
        lambda live, room, users: live.service.policy.disallow_users(room, users)
    ),
}
"""Every act, by name."""

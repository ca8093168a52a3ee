"""The Server API's chatroom paths: create, destroy and query rooms, their members,
their attributes (entries), and messages into rooms, as the service shapes them.

Moderation (gags, bans, blocks, whole-room mutes, keep-alive, whitelists, priorities,
distribution) is in chatroom_moderation_routes.py. Both act through the server's
chatroom service (server/chatrooms/), so members see what they would see had a client
done it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec

from imkit_tui.protocol import SYSTEM_ACCOUNT, ProtocolError, checked_content
from imkit_tui.protocol.chatroom_frames import MAX_ROOM_MEMBERS_LISTED, AttrSet
from imkit_tui.server.api.context import ApiContext, Handler, api_error, service_time
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params, check_id
from imkit_tui.server.api.message_routes import message_content
from imkit_tui.server.chatrooms.live import ChatroomLive
from imkit_tui.server.chatrooms.rooms import Room

MAX_ROOMS = 50
"""The most rooms one call names."""
_CREATE_KEY = re.compile(r"chatroom\[(.+)\]")


def rooms_of(ctx: ApiContext) -> ChatroomLive:
    """The server's chatrooms."""
    return ctx.operator.server.chatrooms


def caught_up_first(handler: Handler) -> Handler:
    """`handler`, run once this node has applied every chatroom act any node committed
    (with several nodes; alone, at once)."""

    @functools.wraps(handler)  # the OpenAPI description reads the handler's docstring
    async def caught_up(ctx: ApiContext, p: Params) -> dict[str, Any]:
        await rooms_of(ctx).caught_up()
        return await handler(ctx, p)

    return caught_up


def room_of(ctx: ApiContext, p: Params) -> Room:
    """The room `chatroomId` names; 23410 when there is none."""
    try:
        return rooms_of(ctx).service.get(p.ident("chatroomId"))
    except ProtocolError as exc:
        raise api_error(exc) from None


async def create(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/create`: rooms named `chatroom[ID]=NAME` (or `chatroomId`), kept as
    they are when they exist."""
    wanted = [(m.group(1), value) for key, value in p.pairs() if (m := _CREATE_KEY.fullmatch(key))]
    wanted += [(room, room) for room in p.all("chatroomId", required=False, limit=MAX_ROOMS)]
    if not wanted:
        raise bad_parameter("chatroom[ID]=NAME is required")
    if len(wanted) > MAX_ROOMS:
        raise bad_parameter(f"at most {MAX_ROOMS} rooms a call")
    live = rooms_of(ctx)
    for room, name in wanted:
        check_id("chatroomId", room)
        if room not in live.service.rooms:
            await live.act("create", room, name[:128], await live.last_seq(room))
    return {}


async def destroy(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/destroy`: destroy each `chatroomId` (members online are told)."""
    live = rooms_of(ctx)
    for room in p.idents("chatroomId", limit=MAX_ROOMS):
        await live.act("destroy", room)
    return {}


async def query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/query`: id, name and creation time of each `chatroomId` that exists."""
    rooms = rooms_of(ctx).service.rooms
    found = [rooms[r] for r in p.idents("chatroomId", limit=MAX_ROOMS) if r in rooms]
    return {
        "chatRooms": [
            {"chrmId": r.id, "name": r.name, "time": service_time(r.created_at)} for r in found
        ]
    }


async def user_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/query`: `count` members (at most 500) by join time, `order` 1
    the earliest first, 2 the latest first; `total` is the exact member count."""
    room = room_of(ctx, p)
    count = p.integer("count", low=1, high=MAX_ROOM_MEMBERS_LISTED)
    order = p.integer("order", 1, low=1, high=2)
    listed = room.listed(count, order == 2)
    return {
        "total": len(room.members),
        "users": [{"id": m.user, "time": service_time(m.joined_at)} for m in listed],
    }


async def user_exist(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/exist`: whether `userId` is in the room."""
    room = room_of(ctx, p)
    return {"isInChrm": p.ident("userId") in room.members}


async def users_exist(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/users/exist`: for each `userId`, whether they are in the room."""
    room = room_of(ctx, p)
    users = p.idents("userId", limit=1000)
    return {"result": [{"userId": u, "isInChrm": int(u in room.members)} for u in users]}


# ---------------------------------------------------------------- attributes


async def entry_set(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/entry/set`: set `key` to `value` as `userId` (the app may replace
    anyone's key); `autoDelete` 1 removes it when that user leaves."""
    live = rooms_of(ctx)
    room = room_of(ctx, p)
    entry = AttrSet(
        key=p.text("key", limit=128),
        value=p.text("value", limit=4096),
        auto_delete=p.flag("autoDelete"),
        overwrite=True,
    )
    try:
        await live.act("attrs_set", p.ident("userId"), room.id, [msgspec.to_builtins(entry)], 0)
    except ProtocolError as exc:
        raise api_error(exc) from None
    return {}


async def entry_remove(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/entry/remove`: remove `key` (whoever set it) as `userId`."""
    live = rooms_of(ctx)
    room = room_of(ctx, p)
    try:
        await live.act("attrs_remove", p.ident("userId"), room.id, [p.one("key")], True, 0)
    except ProtocolError as exc:
        raise api_error(exc) from None
    return {}


async def entry_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/entry/query`: the entries named by `keys`, or all of them."""
    room = room_of(ctx, p)
    attrs = room.attributes.listed(p.all("keys", required=False, limit=100))
    return {
        "keys": [
            {
                "key": a.key,
                "value": a.value,
                "userId": a.setter,
                "autoDelete": int(a.auto_delete),
                "lastSetTime": service_time(a.set_at),
            }
            for a in attrs
        ]
    }


# ---------------------------------------------------------------- messages


async def publish(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/chatroom/publish`: a message from `fromUserId` into each
    `toChatroomId`, delivered to the members online (no membership needed)."""
    sender = _sender(p)
    object_name, content = message_content(p)
    live = rooms_of(ctx)
    rooms = []
    for room_id in p.idents("toChatroomId", limit=MAX_ROOMS):
        room = live.service.rooms.get(room_id)
        if room is None:
            raise bad_parameter(f"toChatroomId {room_id!r} is not a chatroom")
        rooms.append(room)
    await _post(ctx, [room.id for room in rooms], sender, object_name, content)
    return {}


async def broadcast(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/chatroom/broadcast`: a message from `fromUserId` into every room."""
    sender = _sender(p)
    object_name, content = message_content(p)
    await _post(ctx, list(rooms_of(ctx).service.rooms), sender, object_name, content)
    return {}


def _sender(p: Params) -> str:
    sender = p.ident("fromUserId")
    if sender == SYSTEM_ACCOUNT:
        raise bad_parameter(f"fromUserId: '{SYSTEM_ACCOUNT}' is the server's own account")
    return sender


async def _post(
    ctx: ApiContext, rooms: list[str], sender: str, object_name: str, content: dict[str, Any]
) -> None:
    try:
        checked_content(content, ctx.operator.server.config.max_content_bytes)
    except ProtocolError as exc:
        raise api_error(exc) from None
    await rooms_of(ctx).act("post", rooms, sender, object_name, content)


_ROUTES: dict[str, Handler] = {
    "/chatroom/create.json": create,
    "/chatroom/destroy.json": destroy,
    "/chatroom/query.json": query,
    "/chatroom/user/query.json": user_query,
    "/chatroom/user/exist.json": user_exist,
    "/chatroom/users/exist.json": users_exist,
    "/chatroom/entry/set.json": entry_set,
    "/chatroom/entry/remove.json": entry_remove,
    "/chatroom/entry/query.json": entry_query,
    "/message/chatroom/publish.json": publish,
    "/message/chatroom/broadcast.json": broadcast,
}
ROUTES = {path: caught_up_first(handler) for path, handler in _ROUTES.items()}
"""The chatroom paths of rooms, members, entries and messages, by path."""

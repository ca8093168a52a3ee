"""The Server API's chatroom moderation paths: gags (mute in a room), global mutes
(`user/ban`), blocks (bans out of a room), whole-room mutes (`ban`), keep-alive,
message and user whitelists, low-priority messages, and stopping distribution. Every
limit in minutes is lifted by the server itself when it ends."""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import ProtocolError
from imkit_tui.server.api.chatroom_routes import caught_up_first, room_of, rooms_of
from imkit_tui.server.api.context import ApiContext, Handler, api_error, service_time
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params
from imkit_tui.server.chatrooms.expiry import FOREVER, Expiring

MAX_MINUTES = 43200
"""The longest gag, ban or block, in minutes (30 days)."""
MAX_USERS = 20
"""The most users one call names."""
MAX_NAMES = 20
"""The most object names one call names."""


def _minutes(p: Params) -> int:
    return p.integer("minute", low=1, high=MAX_MINUTES)


def _users(p: Params) -> list[str]:
    return p.idents("userId", limit=MAX_USERS)


def _ends(until: int) -> str:
    return "" if until == FOREVER else service_time(until)


def _in_room(marks: Expiring[tuple[str, str]], room: str, now_ms: int) -> dict[str, Any]:
    """The users marked in `room` and when each mark ends, as the service lists them."""
    return {
        "users": [{"userId": u, "time": _ends(t)} for (r, u), t in marks.items(now_ms) if r == room]
    }


# ---------------------------------------------------------------- gags


async def gag_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/gag/add`: mute `userId` in the room for `minute` minutes."""
    live = rooms_of(ctx)
    room = room_of(ctx, p)
    await live.act("gag", room.id, _users(p), _minutes(p))
    return {}


async def gag_rollback(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/gag/rollback`: lift the mutes of `userId` in the room."""
    await rooms_of(ctx).act("ungag", p.ident("chatroomId"), _users(p))
    return {}


async def gag_list(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/gag/list`: who is muted in the room, and until when."""
    live = rooms_of(ctx)
    return _in_room(live.service.mutes, p.ident("chatroomId"), live.clock())


# ---------------------------------------------------------------- global mutes


async def ban_user_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/ban/add`: mute `userId` in every room for `minute` minutes."""
    live = rooms_of(ctx)
    await live.act("mute_all", _users(p), _minutes(p))
    return {}


async def ban_user_remove(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/ban/remove`: lift the global mutes of `userId`."""
    await rooms_of(ctx).act("unmute_all", _users(p))
    return {}


async def ban_user_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/ban/query`: who is muted in every room, and until when."""
    live = rooms_of(ctx)
    marks = live.service.global_mutes.items(live.clock())
    return {"users": [{"userId": u, "time": _ends(t)} for u, t in marks]}


# ---------------------------------------------------------------- blocks (bans)


async def block_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/block/add`: put `userId` out of the room; they cannot join for
    `minute` minutes."""
    live = rooms_of(ctx)
    room = room_of(ctx, p)
    await live.act("ban", room.id, _users(p), _minutes(p))
    return {}


async def block_rollback(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/block/rollback`: let `userId` join the room again."""
    await rooms_of(ctx).act("unban", p.ident("chatroomId"), _users(p))
    return {}


async def block_list(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/block/list`: who is kept out of the room, and until when."""
    live = rooms_of(ctx)
    return _in_room(live.service.bans, p.ident("chatroomId"), live.clock())


# ---------------------------------------------------------------- whole-room mutes


async def room_ban_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/ban/add`: mute the whole room (only whitelisted users speak), for
    `minute` minutes when given."""
    live = rooms_of(ctx)
    room = room_of(ctx, p)
    await live.act("mute_room", room.id, p.integer("minute", 0, high=MAX_MINUTES))
    return {}


async def room_ban_rollback(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/ban/rollback`: lift the room's mute."""
    await rooms_of(ctx).act("unmute_room", p.ident("chatroomId"))
    return {}


async def room_ban_check(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/ban/check`: `status` 1 when the room is muted."""
    live = rooms_of(ctx)
    return {"status": int(live.service.room_mutes.active(p.ident("chatroomId"), live.clock()))}


async def room_ban_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/ban/query`: the muted rooms."""
    live = rooms_of(ctx)
    return {"chatroomIdList": [r for r, _ in live.service.room_mutes.items(live.clock())]}


# ---------------------------------------------------------------- keep-alive


async def keepalive_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/keepalive/add`: never destroy the room for being idle."""
    room = room_of(ctx, p)
    await rooms_of(ctx).act("keepalive_add", room.id)
    return {}


async def keepalive_remove(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/keepalive/remove`: the room may be destroyed when idle again."""
    await rooms_of(ctx).act("keepalive_remove", p.ident("chatroomId"))
    return {}


async def keepalive_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/keepalive/query`: the rooms kept alive."""
    return {"chatrooms": sorted(rooms_of(ctx).service.keepalive)}


# ---------------------------------------------------------------- whitelists, priority


async def whitelist_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/whitelist/add`: messages of `objectnames` are never dropped."""
    await rooms_of(ctx).act("types_add", p.all("objectnames", limit=MAX_NAMES))
    return {}


async def whitelist_delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/whitelist/delete`: `objectnames` leave the message whitelist."""
    names = p.all("objectnames", limit=MAX_NAMES)
    await rooms_of(ctx).act("types_remove", names)
    return {}


async def whitelist_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/whitelist/query`: the message whitelist (the service's spelling)."""
    return {"whitlistMsgType": sorted(rooms_of(ctx).service.policy.whitelisted_types)}


async def user_whitelist_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/whitelist/add`: `userId` are never dropped nor auto-exited in
    the room, and speak while it is muted."""
    room = room_of(ctx, p)
    await rooms_of(ctx).act("users_allow", room.id, _users(p))
    return {}


async def user_whitelist_remove(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/whitelist/remove`: `userId` leave the room's user whitelist."""
    await rooms_of(ctx).act("users_disallow", p.ident("chatroomId"), _users(p))
    return {}


async def user_whitelist_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/user/whitelist/query`: the room's user whitelist."""
    return {"users": sorted(rooms_of(ctx).service.policy.users(p.ident("chatroomId")))}


async def priority_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/message/priority/add`: messages of `objectName` are low priority
    (dropped first when a room is busy); at most 20 names."""
    try:
        await rooms_of(ctx).act("low_add", p.all("objectName", limit=MAX_NAMES))
    except ProtocolError as exc:
        raise bad_parameter(exc.message) from None
    return {}


async def priority_remove(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/message/priority/remove`: `objectName` are no longer low priority."""
    names = p.all("objectName", limit=MAX_NAMES)
    await rooms_of(ctx).act("low_remove", names)
    return {}


async def priority_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/message/priority/query`: the low-priority object names."""
    return {"objectNames": sorted(rooms_of(ctx).service.policy.low_priority)}


# ---------------------------------------------------------------- distribution


async def stop_distribution(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/message/stopDistribution`: the room's messages reach the app's
    backend (routing) but no member."""
    return await _distribution(ctx, p, False)


async def resume_distribution(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/chatroom/message/resumeDistribution`: members receive the room's messages again."""
    return await _distribution(ctx, p, True)


async def _distribution(ctx: ApiContext, p: Params, on: bool) -> dict[str, Any]:
    room = room_of(ctx, p)
    try:
        await rooms_of(ctx).act("distribution", room.id, on)
    except ProtocolError as exc:
        raise api_error(exc) from None
    return {}


_ROUTES: dict[str, Handler] = {
    "/chatroom/user/gag/add.json": gag_add,
    "/chatroom/user/gag/rollback.json": gag_rollback,
    "/chatroom/user/gag/list.json": gag_list,
    "/chatroom/user/ban/add.json": ban_user_add,
    "/chatroom/user/ban/remove.json": ban_user_remove,
    "/chatroom/user/ban/query.json": ban_user_query,
    "/chatroom/user/block/add.json": block_add,
    "/chatroom/user/block/rollback.json": block_rollback,
    "/chatroom/user/block/list.json": block_list,
    "/chatroom/ban/add.json": room_ban_add,
    "/chatroom/ban/rollback.json": room_ban_rollback,
    "/chatroom/ban/check.json": room_ban_check,
    "/chatroom/ban/query.json": room_ban_query,
    "/chatroom/keepalive/add.json": keepalive_add,
    "/chatroom/keepalive/remove.json": keepalive_remove,
    "/chatroom/keepalive/query.json": keepalive_query,
    "/chatroom/whitelist/add.json": whitelist_add,
    "/chatroom/whitelist/delete.json": whitelist_delete,
    "/chatroom/whitelist/query.json": whitelist_query,
    "/chatroom/user/whitelist/add.json": user_whitelist_add,
    "/chatroom/user/whitelist/remove.json": user_whitelist_remove,
    "/chatroom/user/whitelist/query.json": user_whitelist_query,
    "/chatroom/message/priority/add.json": priority_add,
    "/chatroom/message/priority/remove.json": priority_remove,
    "/chatroom/message/priority/query.json": priority_query,
    "/chatroom/message/stopDistribution.json": stop_distribution,
    "/chatroom/message/resumeDistribution.json": resume_distribution,
}
ROUTES = {path: caught_up_first(handler) for path, handler in _ROUTES.items()}
"""The chatroom moderation paths, by path."""

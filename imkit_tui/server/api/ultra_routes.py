"""The Server API's ultra group paths, as the service names them: create, join, quit,
dismiss and refresh groups; create, delete and list channels; edit a message; mute
members, mute all, and the whitelist of who may speak while all are muted.

The app server is trusted: no owner's say is needed. Every change goes through the
same operations as a client's (server/ultra/operations.py), so the members online see
the same pushes and the caps hold (24412 past the groups a user may join, 24413 past the
channels). Several users are named as `userIds`, comma-separated, or as repeated
`userId`.
"""

from __future__ import annotations

import json
from typing import Any

from imkit_tui.protocol import ConvRef, ProtocolError
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.context import ApiContext, Handler, api_error
from imkit_tui.server.api.errors import ApiError, bad_parameter
from imkit_tui.server.api.forms import Params, check_id
from imkit_tui.server.handlers.ultra_messages import edit_by_app
from imkit_tui.server.ultra.operations import MUTED, SPEAKER, UltraOps
from imkit_tui.server.ultra.records import ULTRA_TYPE, UltraGroup, UltraRefused

MAX_NAME_CHARS = 64
"""The longest ultra group or channel name."""
MAX_USERS = 20
"""The most users one mute or whitelist call names (as the service)."""


def _ops(ctx: ApiContext) -> UltraOps:
    server = ctx.operator.server
    store = ctx.operator.store
    return UltraOps(store.ultra, server.ultra_online, server.fanout, server.config.ultra)


def _refused(exc: UltraRefused) -> ApiError:
    return api_error(ProtocolError(exc.code, exc.message))


def _users(p: Params) -> list[str]:
    """`userIds` ("a,b,c") or repeated `userId`."""
    if "userIds" in p.names():
        users = [u.strip() for v in p.all("userIds") for u in v.split(",") if u.strip()]
    else:
        users = p.all("userId")
    if not users or len(users) > MAX_USERS:
        raise bad_parameter(f"name 1 to {MAX_USERS} users")
    for user in users:
        check_id("userId", user)
    return list(dict.fromkeys(users))


def _channel(p: Params) -> str:
    channel = p.text("busChannel", limit=MAX_NAME_CHARS).strip()
    if not channel or not all(c.isascii() and (c.isalnum() or c in "_-") for c in channel):
        raise bad_parameter("busChannel: letters, digits, _ and -")
    return channel


async def _run(ctx: ApiContext, work: Any) -> Any:
    """Await an operation, its refusal as the API's error."""
    try:
        return await work
    except UltraRefused as exc:
        raise _refused(exc) from None
    except ProtocolError as exc:
        raise api_error(exc) from None


async def _group(ctx: ApiContext, p: Params) -> UltraGroup:
    """The group `groupId` (24410 when there is none)."""
    group: UltraGroup = await _run(ctx, _ops(ctx).store.require(p.ident("groupId")))
    return group


async def create(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/create`: group `groupId` named `groupName`, owned by `userId`."""
    owner, group_id = p.ident("userId"), p.ident("groupId")
    name = p.text("groupName", limit=MAX_NAME_CHARS).strip()
    await ctx.operator.store.ensure_user(owner, now_ms())
    await _run(ctx, _ops(ctx).create(group_id, name, owner))
    return {}


async def join(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/join`: `userId` joins `groupId` (24412 past the cap)."""
    user, group_id = p.ident("userId"), p.ident("groupId")
    await ctx.operator.store.ensure_user(user, now_ms())
    await _run(ctx, _ops(ctx).join(group_id, user))
    return {}


async def quit_group(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/quit`: `userId` leaves `groupId`."""
    await _run(ctx, _ops(ctx).quit(p.ident("groupId"), p.ident("userId")))
    return {}


async def dismiss(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/dis`: dismiss `groupId`."""
    await _run(ctx, _ops(ctx).dismiss(p.ident("groupId"), None))
    return {}


async def refresh(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/refresh`: rename `groupId` to `groupName`."""
    name = p.text("groupName", limit=MAX_NAME_CHARS).strip()
    if not name:
        raise bad_parameter("groupName is required")
    await _run(ctx, _ops(ctx).update(p.ident("groupId"), None, name=name))
    return {}


async def channel_create(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/channel/create`: channel `busChannel` in `groupId` (24413 past the cap)."""
    channel = _channel(p)
    await _run(ctx, _ops(ctx).add_channel(p.ident("groupId"), None, channel, channel))
    return {}


async def channel_delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/channel/del`: delete channel `busChannel` and its messages."""
    await _run(ctx, _ops(ctx).delete_channel(p.ident("groupId"), None, _channel(p)))
    return {}


async def channel_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/channel/get`: the channels of `groupId` (the default one left out)."""
    group = await _group(ctx, p)
    return {
        "channelList": [
            {"channelId": c.channel, "createTime": c.created_at, "name": c.name}
            for c in group.channels.values()
            if c.channel
        ]
    }


async def modify(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/msg/modify`: `fromUserId`'s message `msgUID` in `groupId` (channel
    `busChannel`, default "") takes `content` (a JSON object): an edit event every
    member's devices receive."""
    editor, group_id = p.ident("fromUserId"), p.ident("groupId")
    uid = p.one("msgUID")
    check_id("msgUID", uid)
    channel = _channel(p) if p.one("busChannel", "") else ""
    try:
        content = json.loads(p.text("content", limit=128 * 1024))
    except json.JSONDecodeError:
        raise bad_parameter("content must be a JSON object") from None
    if not isinstance(content, dict):
        raise bad_parameter("content must be a JSON object")
    conv = ConvRef(type=ULTRA_TYPE, target=group_id, channel=channel)
    await _run(ctx, edit_by_app(ctx.operator.server, editor, conv, uid, content))
    return {}


def _voices(kind: str, on: bool) -> Handler:
    async def change(ctx: ApiContext, p: Params) -> dict[str, Any]:
        await _run(ctx, _ops(ctx).voices(p.ident("groupId"), None, kind, _users(p), on))
        return {}

    change.__doc__ = f"Add members to (or remove them from) the {kind} of an ultra group."
    return change


def _all_muted(on: bool | None) -> Handler:
    async def change(ctx: ApiContext, p: Params) -> dict[str, Any]:
        status = p.flag("status") if on is None else on
        await _run(ctx, _ops(ctx).update(p.ident("groupId"), None, all_muted=status))
        return {}

    change.__doc__ = "Mute or unmute a whole ultra group (`status` 1 or 0)."
    return change


async def banned_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/userbanned/get`: the muted members."""
    group = await _group(ctx, p)
    return {"users": [{"id": user} for user in sorted(group.voices.muted)]}


async def globalbanned_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/globalbanned/get`: whether the whole group is muted."""
    group = await _group(ctx, p)
    return {"status": group.voices.all_muted}


async def whitelist_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/ultragroup/banned/whitelist/get`: who may speak while the group is muted."""
    group = await _group(ctx, p)
    return {"users": [{"id": user} for user in sorted(group.voices.speakers)]}


ROUTES: dict[str, Handler] = {
    "/ultragroup/create.json": create,
    "/ultragroup/join.json": join,
    "/ultragroup/quit.json": quit_group,
    "/ultragroup/dis.json": dismiss,
    "/ultragroup/refresh.json": refresh,
    "/ultragroup/channel/create.json": channel_create,
    "/ultragroup/channel/del.json": channel_delete,
    "/ultragroup/channel/get.json": channel_get,
    "/ultragroup/msg/modify.json": modify,
    "/ultragroup/userbanned/add.json": _voices(MUTED, True),
    "/ultragroup/userbanned/del.json": _voices(MUTED, False),
    "/ultragroup/userbanned/get.json": banned_get,
    "/ultragroup/globalbanned/set.json": _all_muted(None),
    "/ultragroup/globalbanned/get.json": globalbanned_get,
    "/ultragroup/banned/whitelist/add.json": _voices(SPEAKER, True),
    "/ultragroup/banned/whitelist/del.json": _voices(SPEAKER, False),
    "/ultragroup/banned/whitelist/get.json": whitelist_get,
}
"""The ultra group paths, by path."""

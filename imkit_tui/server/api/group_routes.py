"""The Server API's group paths: create, join, quit, dismiss, rename and sync groups,
list members, gag members, mute whole groups and keep a speak whitelist.

The app server is trusted: it needs no member's consent and no owner's say. Each change
goes through the server's own group operations (server/group_requests.py), so members
see the same notices ("alice added bob") as when a client makes it, and the member cap
holds. A group's owner is the first user it was created with; an owner cannot quit (the
group is dismissed instead), as in the app.
"""

from __future__ import annotations

import re
from typing import Any

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.context import ApiContext, Handler, service_time
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params, check_id
from imkit_tui.server.group_gags import FOREVER
from imkit_tui.server.group_store import GroupRecord
from imkit_tui.server.operator import Operator

MAX_GAG_MINUTES = 43200
"""The longest gag, in minutes (30 days); 0 gags until rolled back."""
MAX_NAME_CHARS = 128
"""The longest group name."""

_SYNC_KEY = re.compile(r"group\[(.+)\]")


async def _group(op: Operator, group_id: str) -> GroupRecord:
    group = await op.store.groups.get(group_id)
    if group is None:
        raise bad_parameter(f"groupId {group_id!r} is not a group")
    return group


def _name(p: Params, required: bool) -> str:
    name = p.text("groupName", None if required else "", limit=MAX_NAME_CHARS).strip()
    if required and not name:
        raise bad_parameter("groupName is required")
    return name


def _check_size(op: Operator, size: int) -> None:
    cap = op.server.config.max_group_members
    if size > cap:
        raise bad_parameter(f"a group has at most {cap} members")


async def _create_or_join(op: Operator, group_id: str, name: str, users: list[str]) -> None:
    """Create `group_id` with `users` (the first owns it), or add them to it."""
    group = await op.store.groups.get(group_id)
    if group is None:
        _check_size(op, len(users))
        for user in users:
            await op.store.ensure_user(user, now_ms())
        if await op.create_group(group_id, name or group_id, users[0], users[1:]):
            return
        group = await _group(op, group_id)  # made meanwhile: join it
    new = [u for u in users if u not in group.members]
    for user in new:
        await op.store.ensure_user(user, now_ms())
    if new:
        await op.add_members(group, group.owner, new)


async def create(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/create`: a group with the users `userId` (joined when it exists)."""
    users = p.idents("userId")
    group_id = p.ident("groupId")
    await _create_or_join(ctx.operator, group_id, _name(p, True), users)
    return {}


async def join(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/join`: add the users `userId` to a group (created when it does not exist)."""
    users = p.idents("userId")
    group_id = p.ident("groupId")
    await _create_or_join(ctx.operator, group_id, _name(p, False), users)
    return {}


async def quit_group(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/quit`: the users `userId` leave a group."""
    users = p.idents("userId")
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    if group.owner in users:
        raise bad_parameter(f"{group.owner} owns the group: dismiss it instead")
    leaving = [u for u in users if u in group.members]
    if leaving:
        await op.remove_members(group, leaving[0], leaving, "quit")
    return {}


async def dismiss(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/dismiss`: end a group; nobody receives its messages any more."""
    operator = p.ident("userId")
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    await op.remove_members(group, operator, list(group.members), "dismiss")
    await op.store.gags.forget(group.group_id, list(group.members))
    return {}


async def refresh(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/refresh`: rename a group (its members see the notice)."""
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    name = _name(p, True)
    if name != group.name:
        await op.rename_group(group, name)
    return {}


async def sync(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/sync`: the groups a user is in, from the app's own data (`group[ID]=name`):
    each is created when new, the user added, and the app's name taken."""
    user = p.ident("userId")
    wanted: dict[str, str] = {}
    for key, value in p.pairs():
        found = _SYNC_KEY.fullmatch(key)
        if found is not None:
            check_id("group id", found.group(1))
            wanted[found.group(1)] = value.strip()[:MAX_NAME_CHARS]
    if not wanted:
        raise bad_parameter("group[ID]=name is required")
    op = ctx.operator
    for group_id, name in wanted.items():
        await _create_or_join(op, group_id, name, [user])
        group = await _group(op, group_id)
        if name and name != group.name:
            await op.rename_group(group, name)
    return {}


async def members(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/user/query`: the members of a group."""
    group = await _group(ctx.operator, p.ident("groupId"))
    return {"users": [{"id": user} for user in group.members]}


async def gag_add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/user/gag/add`: members cannot send in the group for `minute` minutes
    (0: until rolled back); they still read."""
    users = p.idents("userId", limit=20)
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    minutes = p.integer("minute", low=0, high=MAX_GAG_MINUTES)
    gagged = [u for u in users if u in group.members and u != group.owner]
    if gagged:
        await op.store.groups.set_voices(group.group_id, "muted", gagged, True)
        ends = FOREVER if minutes == 0 else now_ms() + minutes * 60_000
        await op.store.gags.set_ends(group.group_id, gagged, ends)
    return {}


async def gag_rollback(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/user/gag/rollback`: lift the gags of members."""
    users = p.idents("userId", limit=20)
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    await op.store.groups.set_voices(group.group_id, "muted", users, False)
    await op.store.gags.forget(group.group_id, users)
    return {}


async def gag_list(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/user/gag/list`: the gagged members, with when each gag ends ("" never)."""
    op = ctx.operator
    group = await _group(op, p.ident("groupId"))
    ends = await op.store.gags.ends(group.group_id)
    users = []
    for user in sorted(group.voices.muted):
        end = ends.get(user, FOREVER)
        users.append({"userId": user, "time": "" if end == FOREVER else service_time(end)})
    return {"users": users}


def _ban(on: bool) -> Handler:
    async def change(ctx: ApiContext, p: Params) -> dict[str, Any]:
        op = ctx.operator
        for group_id in p.idents("groupId", limit=20):
            await _group(op, group_id)
            await op.store.groups.set_all_muted(group_id, on)
        return {}

    return change


async def ban_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/ban/query`: the groups muted as a whole (of those named, or all)."""
    op = ctx.operator
    named = p.idents("groupId", required=False, limit=20)
    if named:
        info = []
        for group_id in named:
            voices = await op.store.groups.voices(group_id)
            if voices is not None:
                info.append({"groupId": group_id, "stat": int(voices.all_muted)})
        return {"groupinfo": info}
    muted = await op.store.gags.all_muted_groups()
    return {"groupinfo": [{"groupId": group_id, "stat": 1} for group_id in muted]}


def _speakers(on: bool) -> Handler:
    async def change(ctx: ApiContext, p: Params) -> dict[str, Any]:
        users = p.idents("userId", limit=20)
        op = ctx.operator
        group = await _group(op, p.ident("groupId"))
        await op.store.groups.set_voices(group.group_id, "speaker", users, on)
        return {}

    return change


async def speakers_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/group/user/ban/whitelist/query`: who may still speak while the group is muted."""
    group = await _group(ctx.operator, p.ident("groupId"))
    return {"userids": sorted(group.voices.speakers)}


ROUTES: dict[str, Handler] = {
    "/group/create.json": create,
    "/group/join.json": join,
    "/group/quit.json": quit_group,
    "/group/dismiss.json": dismiss,
    "/group/refresh.json": refresh,
    "/group/sync.json": sync,
    "/group/user/query.json": members,
    "/group/user/gag/add.json": gag_add,
    "/group/user/gag/rollback.json": gag_rollback,
    "/group/user/gag/list.json": gag_list,
    "/group/ban/add.json": _ban(True),
    "/group/ban/rollback.json": _ban(False),
    "/group/ban/query.json": ban_query,
    "/group/user/ban/whitelist/add.json": _speakers(True),
    "/group/user/ban/whitelist/rollback.json": _speakers(False),
    "/group/user/ban/whitelist/query.json": speakers_query,
}
"""The group paths, by path."""

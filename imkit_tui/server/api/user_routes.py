"""The Server API's user paths: tokens, profiles, presence, blocks, blacklists and
whitelists, each done on the running server.

A block ends the user's devices at once (error 31009, which tells a client not to
reconnect) and refuses their logins until it ends. A blacklist or whitelist change is
the user's own privacy rules changing: their devices are told, and the next private
send it concerns is refused with 405 as if the user had set it in the app.
"""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.context import ApiContext, Handler, service_time
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params
from imkit_tui.server.handlers.profiles import (
    announce,
    name_problem,
    portrait_problem,
    profile_of,
)
from imkit_tui.server.privacy_store import MAX_LIST, PrivacyChange

MAX_BLOCK_MINUTES = 43200
"""The longest block, in minutes (30 days, as the service)."""
from imkit_tui.protocol.profile_frames import MAX_NAME_CHARS, MAX_PORTRAIT_CHARS  # noqa: E402

LIST_CHANGE_LIMIT = 20
"""The most users one blacklist or whitelist call names (as the service)."""


def _user(p: Params, name: str = "userId") -> str:
    user_id = p.ident(name)
    if user_id == SYSTEM_ACCOUNT:
        raise bad_parameter(f"{name}: '{SYSTEM_ACCOUNT}' is the server's own account")
    return user_id


async def get_token(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/getToken`: a login token for `userId` (recorded with its `name` and
    `portraitUri` when given)."""
    user_id = _user(p)
    name, portrait = _profile_params(p)
    store = ctx.operator.store
    await _set_profile(ctx, user_id, name, portrait)
    version = await store.tokens.current(user_id)
    token = ctx.operator.token(user_id, version, ctx.token_ttl_seconds)
    return {"userId": user_id, "token": token}


async def refresh(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/refresh`: change the name or portrait of a user."""
    user_id = _user(p)
    name, portrait = _profile_params(p)
    if name is None and portrait is None:
        raise bad_parameter("name or portraitUri is required")
    await _set_profile(ctx, user_id, name, portrait)
    return {}


def _profile_params(p: Params) -> tuple[str | None, str | None]:
    """The `name` and `portraitUri` given (None when absent or empty), checked."""
    name = p.text("name", "", limit=MAX_NAME_CHARS).strip() or None
    portrait = p.text("portraitUri", "", limit=MAX_PORTRAIT_CHARS).strip() or None
    problem = (name_problem(name) if name else None) or (
        portrait_problem(portrait) if portrait else None
    )
    if problem is not None:
        raise bad_parameter(problem)
    return name, portrait


async def _set_profile(
    ctx: ApiContext, user_id: str, name: str | None, portrait: str | None
) -> None:
    """Record the user with the name and portrait given; when either changed, every
    device showing the user is told (an RC:UIUMsg push, server/handlers/profiles.py)."""
    store = ctx.operator.store
    before = await profile_of(store, user_id)
    await store.users.set_profile(user_id, name, portrait, now_ms())
    if name is None and portrait is None:
        return
    after = await profile_of(store, user_id)
    if (after.name, after.portrait) != (before.name, before.portrait):
        await announce(store, ctx.operator.server.fanout, after)


async def info(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/info`: a user's name, portrait and creation time."""
    user_id = _user(p)
    profile = await ctx.operator.store.users.profile(user_id)
    if profile is None:
        raise bad_parameter(f"userId {user_id!r} is not a user of this app")
    return {
        "userName": profile.name,
        "userPortrait": profile.portrait,
        "createTime": service_time(profile.created_at),
    }


async def check_online(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/checkOnline`: "1" when a device of the user is connected (to any node,
    when the hooks keep that truth across nodes), else "0"."""
    user = _user(p)
    online = await ctx.operator.server.hooks.user_online(user)
    if online is None:
        online = ctx.operator.online_devices(user) > 0
    return {"status": "1" if online else "0"}


async def block(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/block`: refuse the users' logins for `minute` minutes and end their
    devices now."""
    users = [u for u in p.idents("userId", limit=20) if u != SYSTEM_ACCOUNT]
    minutes = p.integer("minute", low=1, high=MAX_BLOCK_MINUTES)
    ends = now_ms() + minutes * 60_000
    await ctx.operator.store.users.block(users, ends)
    for user_id in users:
        ctx.operator.block_devices(user_id, ends)
    return {}


async def unblock(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/unblock`: let the users log in again."""
    users = p.idents("userId", limit=20)
    await ctx.operator.store.users.unblock(users)
    for user_id in users:
        ctx.operator.unblock_devices(user_id)
    return {}


async def block_query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/block/query`: the users blocked now, with the end of each block."""
    blocked = await ctx.operator.store.users.blocked(now_ms())
    return {"users": [{"userId": u, "blockEndTime": service_time(e)} for u, e in blocked]}


def _list_change(field: str, add: bool) -> Handler:
    """A handler changing the user's block list ("block") or whitelist ("allow")."""

    async def change(ctx: ApiContext, p: Params) -> dict[str, Any]:
        user_id = _user(p)
        name = "blackUserId" if field == "block" else "whiteUserId"
        others = p.idents(name, limit=LIST_CHANGE_LIMIT)
        if add and field == "block" and user_id in others:
            raise bad_parameter("a user cannot block themself")
        if field == "block":
            wanted = PrivacyChange(block=others) if add else PrivacyChange(unblock=others)
        else:
            wanted = PrivacyChange(allow=others) if add else PrivacyChange(disallow=others)
        store = ctx.operator.store
        await store.ensure_user(user_id, now_ms())
        update = await store.privacy.update(user_id, wanted, now_ms())
        if update.too_long:
            raise bad_parameter(f"a blacklist or whitelist holds at most {MAX_LIST} users")
        if update.changed:
            ctx.operator.push_privacy(user_id, update.rules)
        return {}

    return change


MAX_TAGS = 20
"""The most tags a user has (as the service)."""
MAX_TAG_BYTES = 40
"""The longest tag, in UTF-8 bytes (as the service)."""


def _tags(p: Params) -> list[str]:
    tags = p.all("tags", required=False, limit=MAX_TAGS)
    for tag in tags:
        if (
            not tag
            or len(tag.encode()) > MAX_TAG_BYTES
            or not tag.isprintable()
            or tag != tag.strip()
        ):
            raise bad_parameter(f"a tag has 1 to {MAX_TAG_BYTES} bytes, no spaces around")
    if "tags" not in p.names():
        raise bad_parameter("tags is required")
    return tags


async def tag_set(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/tag/set`: the user's tags, replacing those they had (JSON body)."""
    user_id = _user(p)
    await ctx.operator.store.users.set_tags([user_id], _tags(p))
    return {}


async def tag_batch_set(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/tag/batch/set`: the same tags for many users (JSON body)."""
    users = p.idents("userIds", limit=1000)
    await ctx.operator.store.users.set_tags(users, _tags(p))
    return {}


async def tags_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/tags/get`: the tags of each user named."""
    users = p.idents("userIds", limit=50)
    return {"result": await ctx.operator.store.users.tags(users)}


async def groups_of(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/group/query`: the groups the user is in."""
    groups = await ctx.operator.store.users.groups_of(_user(p))
    return {"groups": [{"id": group_id, "name": name} for group_id, name in groups]}


def _list_query(field: str) -> Handler:
    async def query(ctx: ApiContext, p: Params) -> dict[str, Any]:
        rules = await ctx.operator.store.privacy.rules(_user(p))
        users = rules.blocked if field == "block" else rules.allowed
        return {"users": sorted(users)}

    return query


ROUTES: dict[str, Handler] = {
    "/user/getToken.json": get_token,
    "/user/refresh.json": refresh,
    "/user/info.json": info,
    "/user/info/get.json": info,
    "/user/checkOnline.json": check_online,
    "/user/block.json": block,
    "/user/unblock.json": unblock,
    "/user/block/query.json": block_query,
    "/user/blacklist/add.json": _list_change("block", True),
    "/user/blacklist/remove.json": _list_change("block", False),
    "/user/blacklist/query.json": _list_query("block"),
    "/user/whitelist/add.json": _list_change("allow", True),
    "/user/whitelist/remove.json": _list_change("allow", False),
    "/user/whitelist/query.json": _list_query("allow"),
    "/user/tag/set.json": tag_set,
    "/user/tag/batch/set.json": tag_batch_set,
    "/user/tags/get.json": tags_get,
    "/user/group/query.json": groups_of,
}
"""The user paths, by path."""

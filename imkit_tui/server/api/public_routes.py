"""The Server API's public service paths: make, change and remove an account, set its
menu, post a message to its followers, and list them.

An account is named by `type` (7: an account of this app, the default; 8: one of the
public service platform) and `publicServiceId`. A message posted is stored once in the
account's conversation and reaches every follower (counted and pushed as other
messages); the answer says how many followers it reached.
"""

from __future__ import annotations

from typing import Any

import msgspec

from imkit_tui.protocol import checked_content
from imkit_tui.protocol.public_frames import MenuError, MenuItem, PublicAccount, check_menu
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params
from imkit_tui.server.api.message_routes import message_content
from imkit_tui.server.handlers.public_service import post_to_followers
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account

MAX_FOLLOWERS_LISTED = 1000
"""The most followers one `/publicservice/followers/query` answers."""
_menu_decoder = msgspec.json.Decoder(list[MenuItem])


def _kind(p: Params) -> int:
    kind = p.integer("type", 7, low=7, high=8)
    return kind


def _id(p: Params) -> str:
    value = p.ident("publicServiceId")
    if not all(c.isalnum() or c in "_-." for c in value):
        raise bad_parameter("publicServiceId may hold letters, digits, '_', '-' and '.'")
    return value


def _menu(text: str) -> tuple[MenuItem, ...]:
    try:
        return tuple(check_menu(_menu_decoder.decode(text or "[]")))
    except (msgspec.ValidationError, msgspec.DecodeError, MenuError) as exc:
        raise bad_parameter(f"menu: {exc}") from None


async def _existing(ctx: ApiContext, p: Params) -> PublicAccount:
    account = await ctx.operator.store.public.get(_kind(p), _id(p))
    if account is None:
        raise bad_parameter("no such public service account")
    return account


def _spec(p: Params, kind: int, account_id: str, old: PublicAccount | None) -> AccountSpec:
    return AccountSpec(
        type=kind,
        id=account_id,
        name=p.text("name", old.name if old else None, limit=64),
        portrait=p.text("portraitUri", old.portrait if old else "", limit=1024),
        description=p.text("introduction", old.description if old else "", limit=1024),
        menu=_menu(p.one("menu", "")) if "menu" in p.names() else tuple(old.menu if old else ()),
        accepts_text=p.flag("acceptsText", old.accepts_text if old else False),
    )


async def create(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/create`: make an account (`name`, `portraitUri`, `introduction`,
    `menu` as JSON, `acceptsText` 0/1); 1002 when it exists."""
    kind, account_id = _kind(p), _id(p)
    spec = _spec(p, kind, account_id, None)
    if await ctx.operator.store.public.get(kind, account_id) is not None:
        raise bad_parameter("the public service account exists: update it")
    await save_account(ctx.operator.store, spec)
    return {}


async def update(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/update`: change what is given of an account."""
    old = await _existing(ctx, p)
    await save_account(ctx.operator.store, _spec(p, old.type, old.id, old))
    return {}


async def delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/delete`: remove an account; its followers keep what they read."""
    if not await ctx.operator.store.public.delete(_kind(p), _id(p)):
        raise bad_parameter("no such public service account")
    return {}


async def set_menu(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/menu/set`: replace an account's menu (`menu`: a JSON array of
    {id, name, kind: click|view|group, url, items}; at most 3 items, 5 in a sub-menu)."""
    account = await _existing(ctx, p)
    menu = _menu(p.one("menu"))
    await ctx.operator.store.public.set_menu(account.type, account.id, list(menu))
    return {}


async def query(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/query`: every account (or those whose name holds `keyword`)."""
    keyword = p.text("keyword", "", limit=64)
    found = await ctx.operator.store.public.search("", keyword, 0, False, 1000)
    return {"publicServices": [_listed(account) for account in found]}


def _listed(account: PublicAccount) -> dict[str, Any]:
    return {
        "type": account.type,
        "publicServiceId": account.id,
        "name": account.name,
        "portraitUri": account.portrait,
        "introduction": account.description,
        "menu": msgspec.to_builtins(account.menu),
        "acceptsText": int(account.accepts_text),
    }


async def publish(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/message/publish`: post a message (`objectName`, `content`; an
    article is RC:PSImgTxtMsg or RC:PSMultiImgTxtMsg) from the account to its followers;
    answers the message's UID and how many followers it reached."""
    account = await _existing(ctx, p)
    object_name, content = message_content(p)
    checked_content(content, ctx.operator.server.config.max_content_bytes)
    try:
        record, reached = await post_to_followers(
            ctx.operator.server, account, object_name, content
        )
    except ValueError as exc:
        raise bad_parameter(str(exc)) from None
    return {"messageUID": record.uid, "followers": reached}


async def followers(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/publicservice/followers/query`: the account's followers by id, `count` of them
    after `after`, and how many there are in all."""
    account = await _existing(ctx, p)
    count = p.integer("count", 100, low=1, high=MAX_FOLLOWERS_LISTED)
    after = p.one("after", "")
    store = ctx.operator.store.public
    users = await store.followers(account.type, account.id, after, count)
    total = await store.follower_count(account.type, account.id)
    return {"users": users, "total": total}


ROUTES: dict[str, Handler] = {
    "/publicservice/create.json": create,
    "/publicservice/update.json": update,
    "/publicservice/delete.json": delete,
    "/publicservice/menu/set.json": set_menu,
    "/publicservice/query.json": query,
    "/publicservice/message/publish.json": publish,
    "/publicservice/followers/query.json": followers,
}
"""The public service paths, by path."""

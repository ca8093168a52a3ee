"""The Server API's push paths, answered by the hooks when `imkit serve` runs them
(else 1009, not enabled, as before):

- `/user/push/url/set` (`userId`, `url`): where the user's offline pushes go, an Apprise
  URL (ntfy://, gotify://, json://, mailto://, ...); an empty `url` removes it, and the
  user's pushes go to the operator's `push_url` again (if any). 1002 for a URL Apprise
  does not speak. `/user/push/url/get` (`userId`) answers `url` (the user's own, or "").
- `/push` (JSON: `audience` with `userid`, `tag` or `is_to_all`; `notification` with
  `alert`): a notification only, nothing stored, to every chosen user: a Notice frame
  to those with a device online (the app shows it), a push to the others with a URL.
- `/push/user` (JSON: `userIds`; `notification` with `title` and `pushContent`).
"""

from __future__ import annotations

import json
from typing import Any

from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import BAD_PARAMETER, NOT_ENABLED, ApiError
from imkit_tui.server.api.forms import Params
from imkit_tui.server.hooks.hub import BackendHooks, speaks

MAX_URL_CHARS = 2048


def _hooks(ctx: ApiContext) -> BackendHooks:
    hooks = ctx.operator.server.hooks
    if not isinstance(hooks, BackendHooks) or not hooks.config.pushes:
        raise ApiError(NOT_ENABLED, "pushes are not enabled: start imkit serve with --push")
    return hooks


def _object(p: Params, name: str) -> dict[str, Any]:
    try:
        value = json.loads(p.one(name, "{}"))
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(BAD_PARAMETER, f"{name} must be a JSON object")
    return value


def _strings(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(BAD_PARAMETER, f"{name} must be a list of strings")
    return value


async def push_url_set(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/push/url/set`: the user's own push URL ("" removes it)."""
    user = p.ident("userId")
    url = p.text("url", "", limit=MAX_URL_CHARS).strip()
    hooks = _hooks(ctx)
    if url and not speaks(url):
        raise ApiError(BAD_PARAMETER, "url is not a push URL Apprise speaks")
    await hooks.set_push_url(user, url)
    return {}


async def push_url_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/user/push/url/get`: the user's own push URL ("" when they set none)."""
    user = p.ident("userId")
    return {"url": _hooks(ctx).own_push_url(user)}


async def push(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/push`: a notification to the chosen users (by id, tag, or everyone)."""
    hooks = _hooks(ctx)
    audience = _object(p, "audience")
    alert = str(_object(p, "notification").get("alert", "")).strip()
    if not alert:
        raise ApiError(BAD_PARAMETER, "notification.alert is required")
    if audience.get("is_to_all") is True:
        users = await hooks.everyone()
    else:
        users = _strings(audience.get("userid"), "audience.userid")
        tags = _strings(audience.get("tag"), "audience.tag")
        if tags:
            users = [*users, *await hooks.users_tagged(tags)]
    if not users:
        raise ApiError(BAD_PARAMETER, "audience names nobody")
    await hooks.notify_each(list(dict.fromkeys(users)), "", alert)
    return {"id": new_uuid7()}


async def push_user(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/push/user`: a notification (`title`, `pushContent`) to `userIds`."""
    hooks = _hooks(ctx)
    users = p.idents("userIds", limit=100)
    notification = _object(p, "notification")
    text = str(notification.get("pushContent", "")).strip()
    if not text:
        raise ApiError(BAD_PARAMETER, "notification.pushContent is required")
    await hooks.notify_each(list(dict.fromkeys(users)), str(notification.get("title", "")), text)
    return {"id": new_uuid7()}


ROUTES: dict[str, Handler] = {
    "/user/push/url/set.json": push_url_set,
    "/user/push/url/get.json": push_url_get,
    "/push.json": push,
    "/push/user.json": push_user,
}
"""The push paths, by path."""

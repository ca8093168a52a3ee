"""The Server API's broadcast: one message into every user's system conversation, or
into those of the users with any of the `tag`s given (/user/tag/set). Offline users find
it in their next sync (and get an offline push when pushes are on). At most 2 an hour
and 3 a day by default (1008 past it), as the service limits broadcasts."""

from __future__ import annotations

import asyncio
from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import TOO_FREQUENT, ApiError
from imkit_tui.server.api.forms import Params
from imkit_tui.server.api.limits import DAY_MS
from imkit_tui.server.api.message_routes import message_content

PAGE = 500
"""Users posted to at once."""


async def broadcast(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/broadcast`: a message from `fromUserId` to every user of the app, or to
    those with any of the `tag`s given."""
    sender = p.ident("fromUserId")
    object_name, content = message_content(p)
    tags = p.idents("tag", required=False, limit=20)
    limit = ctx.broadcasts
    now = now_ms()
    if not limit.take(now):
        raise ApiError(
            TOO_FREQUENT,
            f"at most {limit.per_hour} broadcasts an hour and {limit.per_day} a day",
        )
    op = ctx.operator
    await op.store.broadcasts.record(now, forget_before=now - DAY_MS)
    if tags:
        await _post_each(ctx, await op.store.users.tagged(tags), sender, object_name, content)
        return {"id": new_uuid7()}
    last = ""
    while True:
        page = await op.store.users.ids_after(last, PAGE)
        await _post_each(ctx, page, sender, object_name, content)
        if len(page) < PAGE:
            break
        last = page[-1]
    return {"id": new_uuid7()}


async def _post_each(
    ctx: ApiContext, users: list[str], sender: str, object_name: str, content: dict[str, Any]
) -> None:
    """Post the broadcast into the system conversation of each of `users`, PAGE at once."""
    op = ctx.operator
    users = [u for u in users if u != SYSTEM_ACCOUNT]
    for start in range(0, len(users), PAGE):
        await asyncio.gather(
            *(
                op.post(op.system_route(u), sender, object_name, content)
                for u in users[start : start + PAGE]
            )
        )


ROUTES: dict[str, Handler] = {"/message/broadcast.json": broadcast}
"""The broadcast path."""

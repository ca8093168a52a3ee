"""The Server API's broadcast: one message into every user's system conversation
(offline users find it in their next sync), at most 2 an hour and 3 a day (1008 past
it), as the service limits broadcasts."""

from __future__ import annotations

import asyncio
from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import TOO_FREQUENT, ApiError
from imkit_tui.server.api.forms import Params
from imkit_tui.server.api.limits import DAY_MS, CallLimit
from imkit_tui.server.api.message_routes import message_content

PAGE = 500
"""Users posted to at once."""


async def broadcast(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/broadcast`: a message from `fromUserId` to every user of the app."""
    sender = p.ident("fromUserId")
    object_name, content = message_content(p)
    now = now_ms()
    op = ctx.operator
    if not await op.store.broadcasts.take(now, now - DAY_MS, _allows):
        raise ApiError(TOO_FREQUENT, "at most 2 broadcasts an hour and 3 a day")
    last = ""
    while True:
        page = await op.store.users.ids_after(last, PAGE)
        route = op.system_route
        await asyncio.gather(
            *(op.post(route(u), sender, object_name, content) for u in page if u != SYSTEM_ACCOUNT)
        )
        if len(page) < PAGE:
            break
        last = page[-1]
    return {"id": new_uuid7()}


def _allows(times: list[int], now: int) -> bool:
    """Whether one more broadcast may go at `now`, after those at `times`."""
    return CallLimit(times=times).take(now)


ROUTES: dict[str, Handler] = {"/message/broadcast.json": broadcast}
"""The broadcast path."""

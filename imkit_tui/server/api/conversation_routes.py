"""The Server API's conversation paths: do-not-disturb per conversation, set for a user
and synced to that user's devices (they get the conversation's new state at once, or
in their next sync)."""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT, ConversationType, ConvRef
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params

_TYPES = {
    ConversationType.PRIVATE: "private",
    ConversationType.GROUP: "group",
    ConversationType.SYSTEM: "system",
}


def _conversation(p: Params) -> tuple[str, ConvRef]:
    user = p.ident("requestId")
    kind = p.integer("conversationType", low=1, high=10)
    if kind not in _TYPES:
        raise bad_parameter("conversationType must be 1 (private), 3 (group) or 6 (system)")
    target = p.ident("targetId")
    if kind == ConversationType.SYSTEM:
        target = SYSTEM_ACCOUNT
    return user, ConvRef(type=ConversationType(kind), target=target)


async def notification_set(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/conversation/notification/set`: `isMuted=1` mutes the conversation for the
    user (no notification), 0 lets it notify again."""
    user, conv = _conversation(p)
    muted = p.flag("isMuted", None)
    if not await ctx.operator.set_muted(user, conv, muted):
        raise bad_parameter(f"{user} is not in that conversation")
    return {}


async def notification_get(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/conversation/notification/get`: whether the user muted the conversation."""
    user, conv = _conversation(p)
    muted = await ctx.operator.muted(user, conv)
    if muted is None:
        raise bad_parameter(f"{user} is not in that conversation")
    return {"isMuted": int(muted)}


ROUTES: dict[str, Handler] = {
    "/conversation/notification/set.json": notification_set,
    "/conversation/notification/get.json": notification_get,
}
"""The conversation paths, by path."""

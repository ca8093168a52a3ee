"""Paths of services this server does not offer yet: answered as the service answers
for a feature not enabled for the app (1009, HTTP 430), so a backend sees a clear
"not enabled" rather than a 404. Chatrooms arrive with their own work."""

from __future__ import annotations

from typing import Any

from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import NOT_ENABLED, ApiError
from imkit_tui.server.api.forms import Params

CHATROOM_PATHS = (
    "/chatroom/create",
    "/chatroom/destroy",
    "/chatroom/query",
    "/chatroom/user/query",
    "/chatroom/user/exist",
    "/chatroom/users/exist",
    "/chatroom/user/gag/add",
    "/chatroom/user/gag/rollback",
    "/chatroom/user/gag/list",
    "/chatroom/user/ban/add",
    "/chatroom/user/ban/remove",
    "/chatroom/user/ban/query",
    "/chatroom/user/block/add",
    "/chatroom/user/block/rollback",
    "/chatroom/user/block/list",
    "/chatroom/keepalive/add",
    "/chatroom/keepalive/remove",
    "/chatroom/keepalive/query",
    "/chatroom/message/priority/add",
    "/chatroom/message/priority/remove",
    "/chatroom/message/priority/query",
    "/chatroom/whitelist/add",
    "/chatroom/whitelist/delete",
    "/chatroom/whitelist/query",
    "/chatroom/user/whitelist/add",
    "/chatroom/user/whitelist/remove",
    "/chatroom/user/whitelist/query",
    "/chatroom/message/stopDistribution",
    "/chatroom/message/resumeDistribution",
    "/message/chatroom/publish",
    "/message/chatroom/broadcast",
)
"""The chatroom paths (without `.json`)."""


def _off(service: str) -> Handler:
    async def not_enabled(ctx: ApiContext, p: Params) -> dict[str, Any]:
        """Not enabled on this server (1009)."""
        raise ApiError(NOT_ENABLED, f"{service} are not enabled on this server")

    return not_enabled


PUSH_PATHS = ("/push", "/push/user")
"""The push paths (remote notifications without a message): answered by
server/hooks/api_routes.py, which says 1009 itself while pushes are off."""

ROUTES: dict[str, Handler] = {
    **{f"{path}.json": _off("chatrooms") for path in CHATROOM_PATHS},
    **{f"{path}.json": _off("pushes") for path in PUSH_PATHS},
}
"""The paths of services that are off, by path."""

"""Paths of services this server does not offer yet: answered as the service answers
for a feature not enabled for the app (1009, HTTP 430), so a backend sees a clear
"not enabled" rather than a 404."""

from __future__ import annotations

from typing import Any

from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import NOT_ENABLED, ApiError
from imkit_tui.server.api.forms import Params


def _off(service: str) -> Handler:
    async def not_enabled(ctx: ApiContext, p: Params) -> dict[str, Any]:
        """Not enabled on this server (1009)."""
        raise ApiError(NOT_ENABLED, f"{service} are not enabled on this server")

    return not_enabled


PUSH_PATHS = ("/push", "/push/user")
"""The push paths (remote notifications without a message): answered by
server/hooks/api_routes.py, which says 1009 itself while pushes are off."""

ROUTES: dict[str, Handler] = {
    **{f"{path}.json": _off("pushes") for path in PUSH_PATHS},
}
"""The paths of services that are off, by path."""

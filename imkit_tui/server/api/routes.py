"""The route table of the Server API: every path it answers and its handler.

Its own module so that the server (`runner.py`) and the OpenAPI document
(`openapi.py`) both read it without importing each other.
"""

from __future__ import annotations

from imkit_tui.server.api.context import Handler


def all_routes() -> dict[str, Handler]:
    """Every path the API answers, by path."""
    from imkit_tui.server.api import (
        broadcast_routes,
        chatroom_moderation_routes,
        chatroom_routes,
        conversation_routes,
        group_routes,
        history_routes,
        message_routes,
        off_routes,
        public_routes,
        sensitive_routes,
        ultra_routes,
        user_routes,
    )

    routes: dict[str, Handler] = {}
    modules = (
        user_routes,
        message_routes,
        broadcast_routes,
        history_routes,
        group_routes,
        conversation_routes,
        sensitive_routes,
        ultra_routes,
        chatroom_routes,
        chatroom_moderation_routes,
        public_routes,
        off_routes,
    )
    for module in modules:
        routes.update(module.ROUTES)
    from imkit_tui.server.hooks import api_routes as push_routes  # answers off_routes' pushes

    routes.update(push_routes.ROUTES)
    return routes

"""The reference IM server (the "cloud"): websockets, its own store, routing and sync.

Never imports the client core or the UI. The names below load on first use
(:func:`imkit_tui.lazy.lazy_names`): `imkit_tui.server.auth` and the other small modules
can be imported without loading the server and websockets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
    from imkit_tui.server.app import IMServer
    from imkit_tui.server.config import ServerConfig

__all__ = ["IMServer", "ServerConfig"]

__getattr__ = lazy_names(
    __name__, {"IMServer": "imkit_tui.server.app", "ServerConfig": "imkit_tui.server.config"}
)

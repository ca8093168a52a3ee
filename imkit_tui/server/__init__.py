"""The reference IM server (the "cloud"): websockets, its own store, routing and sync.

Never imports the client core or the UI.
"""

from imkit_tui.server.app import IMServer
from imkit_tui.server.config import ServerConfig

__all__ = ["IMServer", "ServerConfig"]

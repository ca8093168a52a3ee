"""The reference IM server (the "cloud"): websockets, its own store, routing and sync.

Never imports the client core or the UI. The names below load on first use (a module
`__getattr__`, as Textual's widgets do): `imkit_tui.server.auth` and the other small
modules can be imported without loading the server and websockets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imkit_tui.server.app import IMServer
    from imkit_tui.server.config import ServerConfig

__all__ = ["IMServer", "ServerConfig"]

_LAZY = {"IMServer": "imkit_tui.server.app", "ServerConfig": "imkit_tui.server.config"}


def __getattr__(name: str) -> object:
    """Load `IMServer` or `ServerConfig` from its module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

"""How `imkit serve` starts the hooks: the `[hooks]` table of the config file and the
flags settle a HooksConfig before the server starts; the hooks (and aiohttp, Apprise)
start beside the started server, signing with the app's key and secret."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from imkit_tui.server.hooks import TellingFanout
from imkit_tui.server.hooks.settings import HooksConfig, hooks_config

if TYPE_CHECKING:
    from imkit_tui.server.app import IMServer
    from imkit_tui.server.hooks.hub import BackendHooks


def hooks_setup(table: dict[str, Any], **flags: Any) -> HooksConfig | None:
    """The hooks' config from the file's `[hooks]` table and the `flags` given (None:
    not given); None when nothing is to be sent. ValueError for a bad setting."""
    config = hooks_config(table, **flags)
    return config if config.enabled else None


async def start_hooks(server: IMServer, config: HooksConfig) -> BackendHooks:
    """Start hooks on the started `server` and make them its hooks; the app key and
    secret are those the data dir keeps (settled before the server started)."""
    from imkit_tui.server.api.credentials import load_or_create
    from imkit_tui.server.hooks.hub import BackendHooks

    credentials = load_or_create(Path(server.config.data_dir), environ={})
    hooks = BackendHooks(server, config, credentials.app_key, credentials.app_secret)
    await hooks.start()
    server.hooks = hooks
    server.fanout = TellingFanout.around(server.fanout, hooks)
    return hooks

"""How `imkit serve` sets up the Server API, without importing it (nor aiohttp) until
the server starts it: the app key and secret are settled first, since the secret also
signs login tokens and the IM server reads it when it starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from imkit_tui.server.config import ServerConfig

if TYPE_CHECKING:
    from imkit_tui.server.api.credentials import Credentials
    from imkit_tui.server.api.runner import ApiServer
    from imkit_tui.server.app import IMServer


@dataclass(frozen=True, slots=True)
class ApiSetup:
    """Where the API will listen, and the credentials it checks."""

    host: str
    port: int
    credentials: Credentials
    rate_per_second: float | None = 1000.0
    broadcasts: tuple[int, int] = (2, 3)
    """`/message/broadcast` calls allowed an hour and a day."""

    async def start(self, server: IMServer) -> ApiServer:
        """Start the API beside the started `server`; OSError when the port is taken."""
        from imkit_tui.server.api.runner import ApiConfig, ApiServer

        config = ApiConfig(
            host=self.host,
            port=self.port,
            rate_per_second=self.rate_per_second,
            broadcasts_per_hour=self.broadcasts[0],
            broadcasts_per_day=self.broadcasts[1],
        )
        api = ApiServer(server, self.credentials, config)
        await api.start()
        return api


def api_setup(
    config: ServerConfig,
    *,
    enabled: bool,
    host: str | None,
    port: int | None,
    app_key: str | None,
    app_secret: str | None,
    rate_per_second: float | None = 1000.0,
    broadcasts: tuple[int, int] = (2, 3),
) -> ApiSetup | None:
    """Settle the app key and secret in the data dir (even with the API off: the secret
    signs tokens), and where the API listens: `host` (default the server's), `port`
    (default the server's + 1, or 0 when the server's is 0), and how often each path may
    be called (`rate_per_second`, None: no limit), and how many broadcasts an hour and
    a day (`broadcasts`). ValueError for a bad one."""
    from imkit_tui.server.api.credentials import load_or_create

    credentials = load_or_create(config.data_dir, app_key=app_key, app_secret=app_secret)
    if not enabled:
        return None
    if port is None:
        port = config.port + 1 if config.port else 0
    if not 0 <= port <= 65535:
        raise ValueError("--api-port must be between 0 and 65535")
    if rate_per_second is not None and rate_per_second <= 0:
        raise ValueError("--api-rate-limit must be positive")
    if min(broadcasts) < 0:
        raise ValueError("--broadcasts-per-hour and --broadcasts-per-day must not be negative")
    return ApiSetup(host or config.host, port, credentials, rate_per_second, broadcasts)

"""The Server API beside a running IMServer: an aiohttp server on the same event loop.

`ApiServer(server, credentials, config)`; `await start()` binds (port 0 picks a free
one, see `port`), `await stop()` closes it. (Timed group gags end by the server's own
sweep, server/gag_sweep.py, API or not.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.context import ApiContext
from imkit_tui.server.api.credentials import Credentials
from imkit_tui.server.api.limits import DAY_MS, CallLimit
from imkit_tui.server.api.routes import all_routes
from imkit_tui.server.api.signing import SignatureCheck, SigningPolicy
from imkit_tui.server.api.web import build_app
from imkit_tui.server.app import IMServer
from imkit_tui.server.operator import Operator
from imkit_tui.server.ratelimit import TokenBucket

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Where the API listens and how it checks requests.

    - `host`, `port`: the address (port 0: a free one).
    - `signing`: the accepted time window and nonce memory (server/api/signing.py).
    - `token_ttl_seconds`: how long `/user/getToken` tokens last (None: no expiry).
    - `rate_per_second`: calls a second each path allows on average, in bursts of as
      many (1008 past it); None: no limit.
    - `broadcasts_per_hour`, `broadcasts_per_day`: `/message/broadcast` calls let
      through in any hour and any day (1008 past them), counted across restarts.
    """

    host: str = "127.0.0.1"
    port: int = 8766
    signing: SigningPolicy = field(default_factory=SigningPolicy)
    token_ttl_seconds: int | None = None
    rate_per_second: float | None = 1000.0
    broadcasts_per_hour: int = 2
    broadcasts_per_day: int = 3


class ApiServer:
    """The Server API of `server` (started), for the app holding `credentials`."""

    def __init__(self, server: IMServer, credentials: Credentials, config: ApiConfig) -> None:
        self._operator = Operator(server)
        self._config = config
        self._check = SignatureCheck(credentials.app_key, credentials.app_secret, config.signing)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._buckets: dict[str, TokenBucket] = {}

    @property
    def operator(self) -> Operator:
        """The operator the handlers act through."""
        return self._operator

    async def start(self) -> None:
        """Accept requests on the configured address."""
        from imkit_tui.server.api.history_routes import PREFIX, serve_log
        from imkit_tui.server.api.openapi import document

        sent = await self._operator.store.broadcasts.since(now_ms() - DAY_MS)
        config = self._config
        limit = CallLimit(config.broadcasts_per_hour, config.broadcasts_per_day, times=sent)
        ctx = ApiContext(self._operator, config.token_ttl_seconds, lambda: self.url, limit)
        routes = all_routes()
        operator = self._operator

        async def history_log(request: web.Request) -> web.StreamResponse:
            return await serve_log(operator, request)

        app = build_app(
            ctx,
            self._check,
            routes,
            public={"/openapi.json": document},
            links={PREFIX: history_log},
            allow=self._allow,
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._config.host, self._config.port)
        try:
            await self._site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise

    @property
    def port(self) -> int:
        """The port the API listens on (the real one when started on port 0)."""
        if self._runner is None:
            raise RuntimeError("the API is not listening")
        for address in self._runner.addresses:
            return int(address[1])
        raise RuntimeError("the API has no socket")

    @property
    def url(self) -> str:
        """The API's base URL."""
        host = self._config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting requests and finish those under way."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _allow(self, path: str) -> bool:
        """One more call of `path` now, within the configured rate?"""
        rate = self._config.rate_per_second
        if rate is None:
            return True
        bucket = self._buckets.get(path)
        if bucket is None:
            bucket = self._buckets[path] = TokenBucket(rate, max(1, int(rate)))
        return bucket.allow()

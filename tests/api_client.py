"""A Server API client for tests: a real aiohttp client that signs each request as the
service's SDKs do (App-Key, Nonce, Timestamp in ms, Signature = sha1(secret+nonce+ts)),
and a fixture-like context running a real server with its API on port 0."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from imkit_tui.server.api.credentials import Credentials, load_or_create
from imkit_tui.server.api.runner import ApiConfig, ApiServer
from tests.conftest import ServerHandle, running_server


class SignedClient:
    """Posts form (or JSON) bodies to the API, signed with `credentials`."""

    def __init__(self, base_url: str, credentials: Credentials) -> None:
        self.base_url = base_url
        self.credentials = credentials
        self.session = aiohttp.ClientSession()

    def headers(self, nonce: str | None = None, timestamp: str | None = None) -> dict[str, str]:
        nonce = nonce or str(secrets.randbits(62))
        timestamp = timestamp or str(int(time.time() * 1000))
        digest = hashlib.sha1(
            (self.credentials.app_secret + nonce + timestamp).encode()
        ).hexdigest()
        return {
            "App-Key": self.credentials.app_key,
            "Nonce": nonce,
            "Timestamp": timestamp,
            "Signature": digest,
        }

    async def post(
        self,
        path: str,
        data: Any = None,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST `data` (a dict, or a list of pairs for repeated keys) to `path`; the
        HTTP status and the JSON answer."""
        async with self.session.post(
            self.base_url + path,
            data=data,
            json=json_body,
            headers=self.headers() if headers is None else headers,
        ) as response:
            return response.status, await response.json(content_type=None)

    async def ok(self, path: str, data: Any = None, **kwargs: Any) -> dict[str, Any]:
        """POST and insist on HTTP 200 with code 200."""
        status, body = await self.post(path, data, **kwargs)
        assert (status, body.get("code")) == (200, 200), (path, status, body)
        return body

    async def close(self) -> None:
        await self.session.close()


class ApiHandle:
    """A running server (`handle`), its API (`api`) and a signed client (`client`)."""

    def __init__(self, handle: ServerHandle, api: ApiServer, client: SignedClient) -> None:
        self.handle = handle
        self.api = api
        self.client = client


@contextlib.asynccontextmanager
async def running_api(
    data_dir: Path,
    *,
    rate_per_second: float | None = None,
    broadcasts: tuple[int, int] = (2, 3),
    **overrides: object,
) -> AsyncIterator[ApiHandle]:
    """A started server on `data_dir` with its Server API on a free port (no call rate
    limit unless `rate_per_second`; `broadcasts` an hour and a day)."""
    credentials = load_or_create(data_dir, environ={})
    overrides = {"gag_sweep_seconds": 0.05, **overrides}  # timed gags end promptly
    async with running_server(data_dir, **overrides) as handle:
        assert handle.server is not None
        config = ApiConfig(
            port=0,
            rate_per_second=rate_per_second,
            broadcasts_per_hour=broadcasts[0],
            broadcasts_per_day=broadcasts[1],
        )
        api = ApiServer(handle.server, credentials, config)
        await api.start()
        client = SignedClient(api.url, credentials)
        try:
            yield ApiHandle(handle, api, client)
        finally:
            await client.close()
            await api.stop()

"""The Server API's OpenAPI document, and every path answering it for generated input
(schemathesis, bounded): signed requests with generated bodies get an answer the
document describes, never a server error, whatever the input."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from imkit_tui.server.api import off_routes
from imkit_tui.server.api.credentials import Credentials
from imkit_tui.server.api.openapi import PARAMETERS, document
from imkit_tui.server.api.routes import all_routes
from tests.api_client import running_api

schema = schemathesis.openapi.from_dict(document())


class _LiveApi:
    """A server and its API on a loop in a thread, for the synchronous schemathesis calls."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.url = ""
        self.credentials = Credentials("", "")
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_api(self.data) as api:
            self.url, self.credentials = api.api.url, api.client.credentials
            server = api.handle.server
            assert server is not None
            await server.create_group("g1", "Team", "alice", ["bob"])
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> _LiveApi:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def headers(self) -> dict[str, str]:
        nonce, timestamp = str(secrets.randbits(62)), str(int(time.time() * 1000))
        secret = self.credentials.app_secret
        return {
            "App-Key": self.credentials.app_key,
            "Nonce": nonce,
            "Timestamp": timestamp,
            "Signature": hashlib.sha1((secret + nonce + timestamp).encode()).hexdigest(),
        }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_LiveApi]:
    with _LiveApi(tmp_path_factory.mktemp("openapi") / "server") as api:
        yield api


def test_the_document_names_every_path_and_the_parameters_of_each() -> None:
    paths = set(document()["paths"])
    assert paths == set(all_routes())
    served = paths - set(off_routes.ROUTES)  # the paths that are off take nothing
    assert served - set(PARAMETERS) == set()
    assert set(PARAMETERS) <= paths


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_path_answers_its_schema(case: schemathesis.Case, live: _LiveApi) -> None:
    response = case.call(base_url=live.url, headers=live.headers())
    # Valid-looking input may still be refused (1002: no such group, content not a JSON
    # object, ...): an answer the document describes, not a failure. And a form body
    # carries only text, so a "wrong type" (a number, one value for a list) is the same
    # bytes as a right one: the missing parameters are checked below instead.
    case.validate_response(
        response,
        excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection],
    )


def test_every_path_refuses_a_request_missing_its_required_parameters(live: _LiveApi) -> None:
    import requests

    for path, params in PARAMETERS.items():
        if not any(required for _, required in params.values()):
            continue
        response = requests.post(live.url + path, data={}, headers=live.headers(), timeout=10)
        assert (response.status_code, response.json()["code"]) == (400, 1002), path

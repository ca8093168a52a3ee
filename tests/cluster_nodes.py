"""`imkit serve` nodes on one PostgreSQL store and a NATS bus, for the cluster tests."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server.auth import load_or_create_secret
from tests.processes import start_server
from tests.services import NATS_URL, fresh_schema_url, nats_missing, need, postgres_missing


@dataclass
class Nodes:
    """The nodes of one test: their processes and addresses, sharing a data dir (the
    app secret, and uploads on a shared folder). `extra`: arguments every node gets."""

    data: Path
    store_url: str
    bus_url: str
    processes: list[subprocess.Popen[str]]
    urls: list[str]
    extra: tuple[str, ...] = ()
    api_urls: list[str] = field(default_factory=list)

    def start(self, *flags: str, api: bool = False) -> str:
        """Start one more node, given `flags` beside `extra` (with its Server API when
        `api`: see `api_urls`); its URL."""
        api_args = ["--no-api"]
        if api:
            port = free_port()
            api_args = ["--api-port", str(port)]
            self.api_urls.append(f"http://127.0.0.1:{port}")
        process, url = start_server(
            self.data,
            0,
            "--store",
            self.store_url,
            "--migrate",
            "--bus",
            self.bus_url,
            *api_args,
            "--rate-limit",
            "100000",
            *self.extra,
            *flags,
        )
        self.processes.append(process)
        self.urls.append(url)
        return url

    def token(self, user: str) -> str:
        """A login token for `user`."""
        return issue_token(load_or_create_secret(self.data), user, None)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def cluster(tmp_path: Path, *extra: str) -> Iterator[Nodes]:
    """Nodes on a fresh schema and a bus subject of their own (skipped without
    PostgreSQL or NATS); every node still running is stopped at the end."""
    need(postgres_missing())
    need(nats_missing())
    bus = f"{NATS_URL}?subject=imkit-test-{uuid.uuid4().hex[:12]}"
    found = Nodes(tmp_path / "shared", fresh_schema_url(), bus, [], [], extra)
    try:
        yield found
    finally:
        stop_processes(found.processes)


def stop_processes(processes: Sequence[subprocess.Popen[Any]]) -> None:
    """Terminate each of `processes` still running; kill one that takes over 10 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


async def until(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> None:
    """Wait until `check()` (sync or async) is true, asking `every` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(every)

"""The hooks stop when told, whatever they were doing: `imkit serve` exits on SIGTERM
with routing on and the backend slow or down, and a loop that waits for a wake-up ends
when cancelled even while it is being woken."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from imkit_tui.server.hooks.sender import woken_or_after
from tests.processes import start_server, token
from tests.wire import WireClient

SECRET = "hooks-test-secret-0123456789"


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_wait_cancelled_while_it_is_woken_ends(turns: int) -> None:
    """asyncio.wait_for loses this cancellation on Python 3.11 (its waiter is released
    by the event as the cancel comes): the loop went on and the stop never ended."""
    wake = asyncio.Event()

    async def loop() -> None:
        while True:
            wake.clear()
            await woken_or_after(wake, 10.0)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.01)
    wake.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    stuck = task not in done
    task.cancel()  # (a second cancel ends a loop that lost the first)
    assert not stuck, "the cancellation was lost: the loop went on"
    assert task.cancelled()


async def silent_backend() -> tuple[asyncio.Server, list[asyncio.StreamWriter]]:
    """A backend that takes connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()

    return await asyncio.start_server(hold, "127.0.0.1", 0), held


@pytest.mark.parametrize("backend", ["silent", "down"])
async def test_serve_with_routing_exits_on_sigterm(tmp_path: Path, backend: str) -> None:
    server, held = await silent_backend()
    port = server.sockets[0].getsockname()[1]
    if backend == "down":
        server.close()
        await server.wait_closed()
    base = f"http://127.0.0.1:{port}"
    flags = (
        "--app-secret",
        SECRET,
        "--no-api",
        "--routing-url",
        f"{base}/route",
        "--status-url",
        f"{base}/status",
        "--push-url",
        f"json://127.0.0.1:{port}/push",
    )
    data = tmp_path / "server"
    process, url = await asyncio.to_thread(start_server, data, 0, *flags)
    try:
        alice = await WireClient.login(url, await asyncio.to_thread(token, data, "alice"))
        for i in range(20):
            await alice.send_text("bob", str(i), cmid=f"m{i}")
        await asyncio.sleep(0.5)  # requests in flight, retries waiting
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 20)
        assert code == 0
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            await asyncio.to_thread(process.wait)
        for writer in held:
            writer.close()
        server.close()

"""The outgoing queue survives a SIGKILL of `imkit serve`: every routed message reaches
the backend after the restart, in order per conversation."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from imkit_tui.paths import Paths
from imkit_tui.protocol import SendAck
from tests.backend import running_backend
from tests.processes import imkit, start_server, token
from tests.wire import WireClient

SECRET = "hooks-test-secret-0123456789"


def waiting_rows(data: Path) -> int:
    """How many requests wait in the server's outgoing queue (read from its store)."""
    with sqlite3.connect(f"file:{data / 'server.db'}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM hook_outbox").fetchone()[0])


async def test_routing_is_at_least_once_across_an_outage_and_a_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "server"
    async with running_backend(SECRET) as backend:
        backend.down = True
        flags = ("--app-secret", SECRET, "--routing-url", backend.at("/route"), "--no-api")
        process, url = await asyncio.to_thread(start_server, data, 0, *flags)
        try:
            alice = await WireClient.login(url, await asyncio.to_thread(token, data, "alice"))
            for i in range(40):
                ack = await alice.send_text("bob" if i % 2 else "carol", str(i), cmid=f"m{i}")
                assert isinstance(ack, SendAck)
            await alice.close()
            await backend.until(lambda: waiting_rows(data) >= 40 and backend.refused >= 2)
        finally:
            process.kill()
            await asyncio.to_thread(process.wait)
        assert backend.got == []
        backend.down = False
        port = url.rsplit(":", 1)[1]
        process, _ = await asyncio.to_thread(start_server, data, int(port), *flags)
        try:
            await backend.until(lambda: len({r.form["msgUID"] for r in backend.got}) == 40, 20)
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait)
        for peer, parity in (("bob", 1), ("carol", 0)):
            seen = [
                json.loads(r.form["content"])["content"]
                for r in backend.got
                if r.form["toUserId"] == peer
            ]
            assert seen == [str(i) for i in range(40) if i % 2 == parity]
        assert waiting_rows(data) == 0


async def test_the_config_files_hooks_table_is_read_and_checked(tmp_path: Path) -> None:
    data = tmp_path / "server"
    config = Paths.resolve(tmp_path / "server-home").config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[hooks]\nrouting_urll = "http://x"\n')
    refused = await asyncio.to_thread(
        imkit, tmp_path / "server-home", "serve", "--port", "0", "--data", str(data), timeout=60
    )
    assert refused.returncode == 2 and "routing_urll" in refused.stderr
    async with running_backend(SECRET) as backend:
        config.write_text(f'app_secret = "{SECRET}"\n[hooks]\nrouting_url = "{backend.at("/r")}"\n')
        process, url = await asyncio.to_thread(start_server, data, 0, "--no-api")
        try:
            alice = await WireClient.login(url, await asyncio.to_thread(token, data, "alice"))
            assert isinstance(await alice.send_text("bob", "from the file", cmid="c"), SendAck)
            await alice.close()
            await backend.until(lambda: len(backend.got) == 1, timeout=30)
        finally:
            process.kill()
            await asyncio.to_thread(process.wait, 30)

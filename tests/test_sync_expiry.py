"""Offline storage expired, cloud history did not: an existing device still gets it all."""

from __future__ import annotations

from pathlib import Path

from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from tests.conftest import FAST_BACKOFF, ServerHandle, running_server, until_client

DAY_MS = 24 * 60 * 60 * 1000


def _client(handle: ServerHandle, user: str, tmp_path: Path) -> IMClient:
    return IMClient(
        server_url=handle.url,
        token=handle.token(user),
        store_path=tmp_path / "clients" / user / "store.db",
        device="main",
        backoff=FAST_BACKOFF,
        request_timeout=5.0,
    )


def _age(handle: ServerHandle, texts: list[str], days: float) -> None:
    """Make these messages look `days` old in the server's store."""
    for text in texts:
        handle.alter_store(
            "UPDATE messages SET sent_at = ? WHERE content LIKE ?",
            "UPDATE messages SET sent_at = $1 WHERE content LIKE $2",
            now_ms() - int(days * DAY_MS),
            f'%"{text}"%',
        )


async def _has(client: IMClient, text: str) -> bool:
    return text in await _texts(client)


async def _texts(client: IMClient) -> list[str]:
    return [str(m.content.get("content")) for m in await client.messages(ConvRef.private("alice"))]


async def test_a_device_back_after_the_offline_window_gets_what_history_holds(
    tmp_path: Path,
) -> None:
    async with running_server(tmp_path / "server", offline_days=1, history_days=30) as handle:
        alice = _client(handle, "alice", tmp_path)
        await alice.start()
        bob = _client(handle, "bob", tmp_path)
        try:
            await bob.start()
            await bob.wait_synced(timeout=10)
            first = await alice.send_text(ConvRef.private("bob"), "before")
            await alice.wait_sent([first.id], timeout=10)
            await until_client(bob, lambda: _has(bob, "before"))
            await bob.close()

            old = [f"while away {n}" for n in range(5)]
            for text in [*old, "today"]:
                sent = await alice.send_text(ConvRef.private("bob"), text)
                await alice.wait_sent([sent.id], timeout=10)
            _age(handle, ["before"], days=4)
            _age(handle, old, days=3)  # past offline storage (1 day), within history (30)

            bob = _client(handle, "bob", tmp_path)
            await bob.start()
            await bob.wait_synced(timeout=10)
            assert await _texts(bob) == ["before", *old, "today"]
        finally:
            await alice.close()
            await bob.close()

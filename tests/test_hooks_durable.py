"""The outgoing queue survives a SIGKILL of `imkit serve`: every routed message reaches
the backend after the restart, in order per conversation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef, SendAck, SendMessage
from tests.backend import Backend, running_backend
from tests.processes import imkit, start_server, stored_count, stored_rows, token, wait_until
from tests.wire import WireClient

SECRET = "hooks-test-secret-0123456789"


def waiting_rows(data: Path) -> int:
    """How many requests wait in the server's outgoing queue (read from its store)."""
    rows = stored_rows(data, "SELECT count(*) FROM hook_outbox")
    return int(rows[0][0]) if rows else 0


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
        # At least once: the killed server's router may still have had a request on its
        # way, answered once the backend came back, and the new one sends it again
        # (msgUID tells them apart). Each message's first arrival is in order.
        arrivals = list({r.form["msgUID"]: r.form for r in backend.got}.values())
        for peer, parity in (("bob", 1), ("carol", 0)):
            seen = [json.loads(f["content"])["content"] for f in arrivals if f["toUserId"] == peer]
            assert seen == [str(i) for i in range(40) if i % 2 == parity]
        assert waiting_rows(data) == 0


def stored_messages(data: Path) -> dict[str, tuple[int, int]]:
    """Every stored message's (conversation, seq), by uid (read from the server's store)."""
    rows = stored_rows(data, "SELECT uid, conv_id, seq FROM messages")
    return {str(uid): (int(conv), int(seq)) for uid, conv, seq in rows}


def nth_text(sender: str, i: int) -> SendMessage:
    """`sender`'s text number `i` of a stream: to bob and carol in turn, saying "SENDER i"."""
    return SendMessage(
        conv=ConvRef.private("bob" if i % 2 else "carol"),
        object_name="RC:TxtMsg",
        content={"content": f"{sender} {i}"},
        cmid=f"{sender}-{i}",
        id=1000 + i,
    )


async def stream(url: str, tok: str, sender: str, count: int) -> None:
    """Send `count` texts from `sender` to bob and carol in turn, without waiting for
    the acks, until done or the server goes away."""
    client = await WireClient.login(url, tok)
    with contextlib.suppress(ConnectionClosed, OSError):
        for i in range(count):
            await client.send_frame(nth_text(sender, i))
            if i % 8 == 0:
                await asyncio.sleep(0)  # let the backend answer beside the stream
    with contextlib.suppress(ConnectionClosed, OSError):
        await client.close()


def routed_in_order(backend: Backend, stored: dict[str, tuple[int, int]]) -> None:
    """Each stored message reached the backend, and in each conversation their first
    arrivals follow the conversation's order (a redelivery may repeat one)."""
    arrived = [r.form["msgUID"] for r in backend.bodies("/route")]
    missing = set(stored) - set(arrived)
    assert not missing, f"{len(missing)} of {len(stored)} stored messages never routed"
    first: dict[int, list[int]] = {}
    for uid in dict.fromkeys(arrived):
        conv, seq = stored[uid]
        first.setdefault(conv, []).append(seq)
    for conv, seqs in first.items():
        assert seqs == sorted(seqs), f"conversation {conv} routed out of order"


async def test_a_sigkill_mid_stream_loses_the_routing_of_no_stored_message(
    tmp_path: Path,
) -> None:
    """The routing row is committed in the message's own transaction: a server killed
    while messages stream in still routes every message it stored, after its restart."""
    data = tmp_path / "server"

    async def slowly(received: object) -> dict[str, int]:
        await asyncio.sleep(0.02)  # most of what is stored still waits at the kill
        return {"code": 200}

    async with running_backend(SECRET) as backend:
        backend.answer = slowly
        flags = ("--app-secret", SECRET, "--routing-url", backend.at("/route"), "--no-api")
        process, url = await asyncio.to_thread(start_server, data, 0, *flags)
        senders = ("alice", "dave", "erin")
        tokens = [await asyncio.to_thread(token, data, user) for user in senders]
        try:
            streams = [
                asyncio.create_task(stream(url, tok, user, 5000))
                for user, tok in zip(senders, tokens, strict=True)
            ]
            stored_600 = lambda: stored_count(data) >= 600  # noqa: E731
            await asyncio.to_thread(wait_until, stored_600, 60, "600 messages stored")
            assert len(backend.got) > 0, "the backend heard nothing before the kill"
        finally:
            process.kill()  # SIGKILL, mid-stream
            await asyncio.to_thread(process.wait)
        await asyncio.gather(*streams)
        stored = await asyncio.to_thread(stored_messages, data)
        assert 600 <= len(stored) < 15000, "the kill was not mid-stream"
        backend.answer = None
        process, _ = await asyncio.to_thread(start_server, data, 0, *flags)
        try:
            await backend.until(
                lambda: set(stored) <= {r.form["msgUID"] for r in backend.bodies("/route")}, 60
            )
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait)
        routed_in_order(backend, stored)


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

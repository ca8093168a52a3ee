"""Syncing many conversations at once: a new device's first sync (PullMany, a page of
many conversations per round trip) and bursts of pushes stored together."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui.core import IMClient, MessagesReceived
from imkit_tui.protocol import MAX_PULLS, ConvRef, SendAck, SendMessage
from imkit_tui.server.budgets import Budget, FrameBudgets
from tests.conftest import (
    FAST_BACKOFF,
    ClientFactory,
    ServerHandle,
    running_server,
    until_client,
)
from tests.wire import WireClient

FRIENDS = MAX_PULLS + 30  # more than one PullMany
LONG = 120  # more than a first page


async def _send(wire: WireClient, conv: ConvRef, text: str) -> None:
    ack = await wire.request(
        SendMessage(conv=conv, object_name="RC:TxtMsg", content={"content": text}, cmid=text)
    )
    assert isinstance(ack, SendAck), ack


async def test_a_new_device_gets_every_conversation_and_each_latest_page(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    carol = await server_handle.login("carol")
    dave = await server_handle.login("dave")
    try:
        for n in range(FRIENDS):
            await _send(carol, ConvRef.private(f"friend{n:03d}"), f"hello friend {n}")
        for n in range(LONG):
            await _send(carol, ConvRef.private("pen-pal"), f"letter {n}")
        for n in range(3):
            await _send(dave, ConvRef.private("carol"), f"from dave {n}")
    finally:
        await carol.close()
        await dave.close()

    device: IMClient = await make_client("carol", "new-device")
    rows = {row.ref: row for row in await device.conversations(limit=500)}
    assert len(rows) == FRIENDS + 2
    for n in range(FRIENDS):
        row = rows[ConvRef.private(f"friend{n:03d}")]
        assert row.preview == f"hello friend {n}" and row.unread == 0 and row.max_seq == 1
    assert rows[ConvRef.private("dave")].unread == 3
    # A conversation new to the device starts from its latest page.
    page = await device.messages(ConvRef.private("pen-pal"), limit=200)
    assert [m.seq for m in page] == list(range(LONG - 49, LONG + 1))
    assert page[-1].content["content"] == f"letter {LONG - 1}"
    # Older pages still come from cloud history on demand.
    older = await device.history.older(ConvRef.private("pen-pal"), LONG - 49, 10)
    assert [m.seq for m in older] == list(range(LONG - 59, LONG - 49))


async def test_a_burst_of_pushes_is_stored_once_each_in_order(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    bob = await make_client("bob")
    received: list[int] = []
    with bob.subscribe() as events:
        dave = await server_handle.login("dave")
        try:
            frames = [
                SendMessage(
                    id=1000 + n,
                    conv=ConvRef.private("bob"),
                    object_name="RC:TxtMsg",
                    content={"content": f"burst {n}"},
                    cmid=f"burst-{n}",
                )
                for n in range(300)
            ]
            await asyncio.gather(*(dave.send_frame(f) for f in frames))
            async with asyncio.timeout(20):
                while len(received) < 300:
                    event = await events.next()
                    if isinstance(event, MessagesReceived):
                        received += [m.seq or 0 for m in event.messages]
        finally:
            await dave.close()
    assert received == list(range(1, 301))
    stored = await bob.messages(ConvRef.private("dave"), limit=500)
    assert [m.seq for m in stored] == list(range(1, 301))
    row = await bob.conversation(ConvRef.private("dave"))
    assert row is not None and row.unread == 300 and row.preview == "burst 299"


def _device(handle: ServerHandle, tmp_path: Path) -> IMClient:
    """Bob's device, on the same store every time."""
    return IMClient(
        server_url=handle.url,
        token=handle.token("bob"),
        store_path=tmp_path / "bob.db",
        backoff=FAST_BACKOFF,
        request_timeout=5.0,
    )


async def test_a_reconnect_asks_for_what_is_missing_and_stays_within_the_pull_budget(
    tmp_path: Path,
) -> None:
    # 300 conversations move by one message while the device is away: its pulls ask
    # for one message each, not a full page each (a pull costs its limit).
    peers = [ConvRef.private(f"peer{n:03d}") for n in range(300)]
    budgets = FrameBudgets(pull=Budget(0.001, 1_000))
    async with running_server(tmp_path / "server", budgets=budgets) as handle:
        wire = await handle.login("bob", "phone")
        try:
            for peer in peers:
                await _send(wire, peer, f"first to {peer.target}")
            device = _device(handle, tmp_path)
            await device.start()
            await device.wait_synced(timeout=20)
            await device.close()
            for peer in peers:
                await _send(wire, peer, f"second to {peer.target}")
        finally:
            await wire.close()
        device = _device(handle, tmp_path)
        await device.start()
        try:
            await device.wait_synced(timeout=20)
            rows = {row.ref: row for row in await device.conversations(limit=500)}
            assert all(rows[peer].preview == f"second to {peer.target}" for peer in peers)
        finally:
            await device.close()


async def test_messages_queued_before_a_restart_go_before_the_ones_queued_after(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    store = tmp_path / "alice.db"

    def alice() -> IMClient:
        return IMClient(
            server_url=server_handle.url,
            token=server_handle.token("alice"),
            store_path=store,
            backoff=FAST_BACKOFF,
            request_timeout=5.0,
        )

    offline = alice()
    await offline.open()  # never connects: both wait in the outbox
    for text in ("first", "second"):
        await offline.send_text(ConvRef.private("bob"), text)
    await offline.close()
    again = alice()
    await again.open()
    third = await again.send_text(ConvRef.private("bob"), "third")
    await again.start()
    try:
        await again.wait_sent([third.id], timeout=10)

        async def arrived() -> bool:
            return len(await bob.messages(ConvRef.private("alice"))) == 3

        await until_client(bob, arrived)
        page = await bob.messages(ConvRef.private("alice"))
        assert [m.content["content"] for m in page] == ["first", "second", "third"]
    finally:
        await again.close()

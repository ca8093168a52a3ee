"""The client core's privacy: block, whitelist, pushes to other devices, refused sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from imkit_tui.core import (
    IMClient,
    MessagesReceived,
    NotConnected,
    PrivacyChanged,
    PrivacySettings,
    RequestFailed,
    SendStatus,
)
from imkit_tui.protocol import ConvRef, ErrorCode
from tests.conftest import ClientFactory, ServerHandle

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")


async def _privacy_event(
    client: IMClient, check: Callable[[PrivacySettings], bool]
) -> PrivacySettings:
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while True:
                event = await events.next()
                if isinstance(event, PrivacyChanged) and check(event.privacy):
                    return event.privacy


async def test_block_and_unblock_round_trip(make_client: ClientFactory) -> None:
    bob = await make_client("bob")
    assert await bob.privacy.settings() == PrivacySettings()
    blocked = await bob.privacy.block("alice", "carol")
    assert blocked.blocked == ("alice", "carol") and blocked.accepts("dave")
    assert not blocked.accepts("alice")
    assert await bob.privacy.settings() == blocked and bob.privacy.known == blocked
    after = await bob.privacy.unblock("carol")
    assert after.blocked == ("alice",)
    listed = await bob.privacy.allow("dave")
    assert listed.allowed == ("dave",)
    whitelist = await bob.privacy.set_whitelist_mode(True)
    assert whitelist.whitelist_mode and whitelist.accepts("dave") and not whitelist.accepts("eve")
    assert (await bob.privacy.disallow("dave")).allowed == ()
    with pytest.raises(RequestFailed) as refused:
        await bob.privacy.block("bob")
    assert refused.value.code == ErrorCode.INVALID_PARAMETER
    with pytest.raises(ValueError):
        await bob.privacy.block("x" * 65)


async def test_another_device_hears_of_the_change(make_client: ClientFactory) -> None:
    phone = await make_client("bob", "phone")
    desk = await make_client("bob", "desk")
    heard = asyncio.ensure_future(_privacy_event(desk, lambda p: "alice" in p.blocked))
    await asyncio.sleep(0)  # subscribed before the change
    await phone.privacy.block("alice")
    settings = await heard
    assert settings.blocked == ("alice",) and desk.privacy.known == settings
    # It is kept: offline, the desk still knows.
    for _ in range(100):
        if await desk.store.meta.get("privacy"):
            break
        await asyncio.sleep(0.02)
    assert "alice" in await desk.store.meta.get("privacy")


async def test_a_message_to_a_blocker_fails_with_405_and_is_not_retried(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    await alice.privacy.block("bob")
    message = await bob.send_text(ALICE, "let me in")
    (done,) = await bob.wait_sent([message.id], timeout=10)
    assert done.status == SendStatus.FAILED and done.error == ErrorCode.REJECTED_BY_BLACKLIST
    assert await bob.store.outbox.count() == 0

    # Unblocked, the failed message stays failed: the outbox never sends it again.
    await alice.privacy.unblock("bob")
    with alice.subscribe() as events:
        later = await bob.send_text(ALICE, "hello again")
        (sent,) = await bob.wait_sent([later.id], timeout=10)
        assert sent.status == SendStatus.SENT
        async with asyncio.timeout(10):
            while True:
                event = await events.next()
                if isinstance(event, MessagesReceived):
                    break
    texts = [m.content.get("content") for m in event.messages]
    assert texts == ["hello again"]
    (still,) = await bob.store.messages.by_ids([message.id])
    assert still.status == SendStatus.FAILED and still.error == ErrorCode.REJECTED_BY_BLACKLIST
    assert [m.content["content"] for m in await alice.messages(BOB)] == ["hello again"]


async def test_offline_changes_raise_and_the_last_state_is_kept(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await bob.privacy.block("alice")
    await server_handle.stop()
    with pytest.raises(NotConnected):
        await bob.privacy.block("carol")
    assert (await bob.privacy.settings()).blocked == ("alice",)
    await bob.close()

    # A new client on the same store, never connected, knows it too.
    store = tmp_path / "clients" / "bob" / "main" / "store.db"
    again = IMClient(
        server_url=server_handle.url, token=server_handle.token("bob"), store_path=store
    )
    await again.open()
    try:
        assert (await again.privacy.settings()).blocked == ("alice",)
    finally:
        await again.close()

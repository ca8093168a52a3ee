"""Group read receipts: the sender asks, members' clients answer once they read, the
sender sees who read and who has not, offline members included, and nobody else does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core import IMClient, ReceiptsUpdated, Subscription
from imkit_tui.core.group_receipts import ReceiptError, may_ask_receipts
from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    ReceiptQuery,
    ReceiptState,
    SendAck,
    SendMessage,
)
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.wire import WireClient

TEAM = ConvRef.group("team")


Readers = tuple[tuple[str, ...], tuple[str, ...]]


async def _receipts(events: Subscription, uid: str, expected: Readers) -> Readers:
    """The receipts pushed for `uid`, once they are `expected` (the last seen otherwise)."""
    seen: Readers = ((), ())
    try:
        while seen != expected:
            event = await events.next(10)
            if isinstance(event, ReceiptsUpdated) and uid in event.receipts:
                seen = event.receipts[uid]
    except TimeoutError:
        pass
    return seen


async def _until_stored(client: IMClient, text: str) -> None:
    async def stored() -> bool:
        return any(m.content.get("content") == text for m in await client.messages(TEAM))

    await until_client(client, stored)


async def test_the_sender_sees_who_read_as_members_read_online_and_offline(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob", "carol", "dave"])
    sent = await alice.send_text(TEAM, "lunch at noon?")
    await alice.wait_sent([sent.id], timeout=10)
    (sent,) = [m for m in await alice.messages(TEAM) if m.id == sent.id]
    assert sent.uid is not None and may_ask_receipts(sent, "alice")

    with alice.subscribe() as events:
        asked = await alice.receipts.request(sent)
        assert asked.receipt_asked and not may_ask_receipts(asked, "alice")
        await _until_stored(bob, "lunch at noon?")
        await bob.mark_read(TEAM)
        expected: Readers = (("bob",), ("carol", "dave"))
        assert await _receipts(events, sent.uid, expected) == expected

        carol = await make_client("carol")  # away when it was asked; reads it now
        await _until_stored(carol, "lunch at noon?")
        await carol.mark_read(TEAM)
        expected = (("bob", "carol"), ("dave",))
        assert await _receipts(events, sent.uid, expected) == expected

    answered = await alice.receipts.read(TEAM, [sent.uid])
    assert answered == {sent.uid: (("bob", "carol"), ("dave",))}
    # The request is not a message anyone sees or counts.
    (bob_row,) = [c for c in await bob.conversations() if c.ref == TEAM]
    assert bob_row.unread == 0
    # Only the sender learns who read.
    assert await bob.receipts.read(TEAM, [sent.uid]) == {}


async def test_a_member_who_had_read_already_answers_when_asked(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    sent = await alice.send_text(TEAM, "read me first")
    await alice.wait_sent([sent.id], timeout=10)
    await _until_stored(bob, "read me first")
    await bob.mark_read(TEAM)
    (sent,) = [m for m in await alice.messages(TEAM) if m.id == sent.id]
    assert sent.uid is not None
    with alice.subscribe() as events:
        await alice.receipts.request(sent)
        expected = (("bob",), ())
        assert await _receipts(events, sent.uid, expected) == expected


async def test_receipts_cannot_be_asked_for_others_or_old_messages(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    sent = await alice.send_text(TEAM, "hi")
    await alice.wait_sent([sent.id], timeout=10)
    (sent,) = [m for m in await alice.messages(TEAM) if m.id == sent.id]
    assert not may_ask_receipts(sent, "alice", now=sent.sent_at + 121_000)
    await _until_stored(bob, "hi")
    (theirs,) = [m for m in await bob.messages(TEAM) if m.content.get("content") == "hi"]
    try:
        await bob.receipts.request(theirs)
        raise AssertionError("bob asked receipts for alice's message")
    except ReceiptError as error:
        assert "your own group messages" in str(error)


async def test_the_server_checks_every_request(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", receipt_request_seconds=0)
    await handle.start()
    alice = await WireClient.login(handle.url, handle.token("alice"), "alice")
    bob = await WireClient.login(handle.url, handle.token("bob"), "bob")
    try:
        created = await alice.request(GroupRequest(group="team", op="create", members=["bob"]))
        assert isinstance(created, GroupInfo)
        sent = await alice.send_text("", "hi", "a1", conv=TEAM)
        assert isinstance(sent, SendAck)
        await asyncio.sleep(0.02)

        def ask(uid: str, cmid: str) -> SendMessage:
            return SendMessage(
                conv=TEAM,
                object_name=messages.READ_RECEIPT_REQUEST,
                content={"messageUId": uid},
                cmid=cmid,
            )

        too_late = await alice.request(ask(sent.uid, "r1"))
        assert isinstance(too_late, ErrorFrame) and "within 0 s" in too_late.message
        not_yours = await bob.request(ask(sent.uid, "r2"))
        assert isinstance(not_yours, ErrorFrame) and not_yours.code == ErrorCode.INVALID_PARAMETER
        unknown = await alice.request(ask("no-such-message", "r3"))
        assert isinstance(unknown, ErrorFrame)
        nothing = await alice.request(ReceiptQuery(conv=TEAM, uids=[sent.uid]))
        assert isinstance(nothing, ReceiptState) and nothing.receipts == []
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()


async def test_an_answer_made_offline_reaches_the_sender_later(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    sent = await alice.send_text(TEAM, "read me when you can")
    await alice.wait_sent([sent.id], timeout=10)
    (sent,) = [m for m in await alice.messages(TEAM) if m.id == sent.id]
    assert sent.uid is not None
    await alice.receipts.request(sent)
    await _until_asked(bob, sent.uid)
    await server_handle.stop()
    await bob.mark_read(TEAM)  # read on a plane: the answer waits in bob's store
    await bob.close()
    await server_handle.start()
    await alice.wait_synced(timeout=10)  # back online to hear of it live
    with alice.subscribe() as events:
        await make_client("bob")  # the same store: its state loop sends the answer
        expected: Readers = (("bob",), ())
        assert await _receipts(events, sent.uid, expected) == expected


async def _until_asked(client: IMClient, uid: str) -> None:
    async def asked() -> bool:
        return any(m.uid == uid and m.receipt_asked for m in await client.messages(TEAM))

    await until_client(client, asked)

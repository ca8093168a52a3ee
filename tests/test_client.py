"""The client core against the real server: send, receive, sync, outbox, reconnects."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.core import (
    ConnectionChanged,
    ConnectionState,
    Direction,
    IMClient,
    LoginRefused,
    Message,
    MessageQueued,
    MessagesReceived,
    MessageUpdated,
    SendStatus,
    StatusReceived,
    Subscription,
)
from imkit_tui.core.connection import NotConnected
from imkit_tui.protocol import ConvRef, Ping, Pong
from tests.conftest import FAST_BACKOFF, ClientFactory, ServerHandle

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")


async def received(events: Subscription, count: int, timeout: float = 10.0) -> list[Message]:
    """Collect `count` received messages from the events, in arrival order."""
    got: list[Message] = []
    while len(got) < count:
        event = await events.next(timeout)
        if isinstance(event, MessagesReceived):
            got.extend(event.messages)
    return got


async def test_a_message_goes_from_alice_to_bob_with_ack_and_events(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    with alice.subscribe() as alice_events, bob.subscribe() as bob_events:
        queued = await alice.send_text(BOB, "hello bob 👋")
        assert queued.status == SendStatus.SENDING and queued.seq is None
        got = await received(bob_events, 1)
        update = await alice_events.next(5)
        while not isinstance(update, MessageUpdated):
            update = await alice_events.next(5)
    assert update.message.status == SendStatus.SENT and update.message.seq == 1
    assert got[0].content == {"content": "hello bob 👋"} and got[0].sender == "alice"
    assert got[0].conv == ALICE and got[0].seq == 1 and got[0].uid == update.message.uid
    bob_list = await bob.conversations()
    assert [(c.ref, c.preview, c.unread) for c in bob_list] == [(ALICE, "hello bob 👋", 1)]
    alice_list = await alice.conversations()
    assert alice_list[0].unread == 0 and alice_list[0].last_sender == "alice"


async def test_an_own_message_comes_as_events_only_queued_then_acked_once(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    await make_client("bob")
    with alice.subscribe() as events:
        queued = await alice.send_text(BOB, "one road")
        mine: list[MessageQueued | MessageUpdated] = []
        while not (mine and isinstance(mine[-1], MessageUpdated)):
            event = await events.next(5)
            if isinstance(event, MessageQueued | MessageUpdated):
                mine.append(event)
        await asyncio.sleep(0.2)  # a second road would have published again by now
        while not events.queue.empty():
            late = events.queue.get_nowait()
            assert not isinstance(late, MessageQueued | MessageUpdated), late
    first, acked = mine
    assert isinstance(first, MessageQueued) and first.message == queued
    assert acked.message.id == queued.id and acked.message.status == SendStatus.SENT


async def test_offline_messages_arrive_by_sync_in_order(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    sent = [await alice.send_text(BOB, f"m{i}") for i in range(5)]
    await alice.wait_sent([m.id for m in sent], timeout=10)
    bob = await make_client("bob")
    page = await bob.messages(ALICE)
    assert [m.content["content"] for m in page] == [f"m{i}" for i in range(5)]
    assert [m.seq for m in page] == [1, 2, 3, 4, 5]
    assert (await bob.conversations())[0].unread == 5
    await bob.mark_read(ALICE)
    assert (await bob.conversations())[0].unread == 0


async def test_unread_ignores_own_and_uncounted_messages(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    with bob.subscribe() as events:
        await alice.send_text(BOB, "counted")
        await alice.send(BOB, messages.INFO_NTF, {"message": "grey notice"})
        await received(events, 2)
        mine = await bob.send_text(ALICE, "my own reply")
        await bob.wait_sent([mine.id], timeout=5)
        await alice.send_text(BOB, "counted too")
        await received(events, 1)
    conv = (await bob.conversations())[0]
    assert conv.unread == 2 and conv.preview == "counted too"


async def test_lost_pushes_are_pulled_when_the_next_seq_shows_a_gap(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    deliver = bob._connection._on_push
    bob._connection._on_push = lambda push: None  # the network eats two pushes
    first = [await alice.send_text(BOB, f"lost {i}") for i in range(2)]
    await alice.wait_sent([m.id for m in first], timeout=5)
    bob._connection._on_push = deliver
    with bob.subscribe() as events:
        await alice.send_text(BOB, "arrives")
        got = await received(events, 3)
    assert [m.seq for m in got] == [1, 2, 3]
    assert [m.seq for m in await bob.messages(ALICE)] == [1, 2, 3]


async def test_the_same_push_twice_is_stored_once(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    pushes = []
    deliver = bob._connection._on_push

    def twice(push):  # type: ignore[no-untyped-def]
        pushes.append(push)
        deliver(push)
        deliver(push)

    bob._connection._on_push = twice
    with bob.subscribe() as events:
        await alice.send_text(BOB, "once")
        await alice.send_text(BOB, "twice")
        got = await received(events, 2)
        with pytest.raises(TimeoutError):
            await received(events, 1, timeout=0.5)
    assert [m.content["content"] for m in got] == ["once", "twice"]
    assert len(await bob.messages(ALICE)) == 2


async def test_outbox_written_before_sending_survives_a_closed_client(
    server_handle: ServerHandle, tmp_path: Path, make_client: ClientFactory
) -> None:
    await server_handle.stop()
    store = tmp_path / "alice-offline.db"
    offline = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("alice"),
        store_path=store,
        backoff=FAST_BACKOFF,
    )
    await offline.start()
    queued = [await offline.send_text(BOB, f"queued {i}") for i in range(3)]
    assert await offline.store.outbox.count() == 3
    await offline.close()  # never reached the server

    await server_handle.start()
    again = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("alice"),
        store_path=store,
        backoff=FAST_BACKOFF,
    )
    await again.start()
    try:
        done = await again.wait_sent([m.id for m in queued], timeout=10)
        assert [m.seq for m in done] == [1, 2, 3]
    finally:
        await again.close()
    bob = await make_client("bob")
    assert [m.content["content"] for m in await bob.messages(ALICE)] == [
        "queued 0",
        "queued 1",
        "queued 2",
    ]


async def test_reconnects_after_the_server_restarts_and_delivers_what_was_written_meanwhile(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    alice = await make_client("alice")
    bob = await make_client("bob")
    with alice.subscribe() as alice_events:
        await server_handle.stop()
        states = set()
        while ConnectionState.RECONNECTING not in states:
            event = await alice_events.next(5)
            if isinstance(event, ConnectionChanged):
                states.add(event.state)
        during = await alice.send_text(BOB, "written while down")
        await server_handle.start()
        (done,) = await alice.wait_sent([during.id], timeout=15)
    assert done.status == SendStatus.SENT and done.seq == 1
    await bob.wait_synced(timeout=15)
    for _ in range(100):
        if await bob.messages(ALICE):
            break
        await asyncio.sleep(0.05)
    assert [m.content["content"] for m in await bob.messages(ALICE)] == ["written while down"]


async def test_a_refused_token_stops_without_retrying(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    client = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("alice", ttl=-5),
        store_path=tmp_path / "refused.db",
        backoff=FAST_BACKOFF,
    )
    await client.start()
    try:
        with pytest.raises(LoginRefused) as refused:
            await client.wait_synced(timeout=5)
        assert refused.value.code == 31020
        await asyncio.sleep(0.3)
        assert client.state == ConnectionState.REFUSED
        assert client._connection._task is not None and client._connection._task.done()
    finally:
        await client.close()


async def test_other_devices_of_the_sender_see_what_it_sent(make_client: ClientFactory) -> None:
    phone = await make_client("alice", "phone")
    desk = await make_client("alice", "desk")
    with desk.subscribe() as events:
        await phone.send_text(BOB, "from my phone")
        got = await received(events, 1)
    assert got[0].direction == Direction.SENT and got[0].conv == BOB
    assert (await desk.conversations())[0].unread == 0


async def test_a_new_device_starts_from_the_latest_page_and_fetches_history(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    sent = [await alice.send_text(BOB, f"n{i}") for i in range(130)]
    await alice.wait_sent([m.id for m in sent], timeout=20)
    bob = await make_client("bob")
    local = await bob.messages(ALICE, limit=1000)
    assert [m.seq for m in local] == list(range(81, 131))
    older = await bob.history.older(ALICE, before_seq=81, limit=30)
    assert [m.seq for m in older] == list(range(51, 81))
    everything = await bob.history.load(ALICE)
    assert [m.seq for m in everything] == list(range(1, 131))
    last = await bob.history.load(ALICE, limit=10)
    assert [m.seq for m in last] == list(range(121, 131))


async def test_conversations_are_ordered_newest_first(make_client: ClientFactory) -> None:
    carol = await make_client("carol")
    for peer in ("dave", "erin", "frank"):
        message = await carol.send_text(ConvRef.private(peer), f"hi {peer}")
        await carol.wait_sent([message.id], timeout=5)
        await asyncio.sleep(0.01)
    order = [c.ref.target for c in await carol.conversations()]
    assert order == ["frank", "erin", "dave"]
    await carol.send_text(ConvRef.private("dave"), "dave again")
    order = [c.ref.target for c in await carol.conversations()]
    assert order[0] == "dave"


async def test_a_refused_message_fails_without_blocking_the_next(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    too_big = await alice.send_text(BOB, "x" * (200 * 1024))
    fine = await alice.send_text(BOB, "fine")
    failed, sent = await alice.wait_sent([too_big.id, fine.id], timeout=10)
    assert failed.status == SendStatus.FAILED and failed.error == 30016
    assert sent.status == SendStatus.SENT and sent.seq == 1


async def test_rate_limited_sends_are_retried_in_order_until_acked(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "limited", rate_per_second=20.0, rate_burst=3)
    await handle.start()
    client = IMClient(
        server_url=handle.url,
        token=handle.token("alice"),
        store_path=tmp_path / "alice.db",
        backoff=FAST_BACKOFF,
    )
    await client.start()
    try:
        await client.wait_synced(timeout=5)
        queued = [await client.send_text(BOB, f"r{i}") for i in range(12)]
        done = await client.wait_sent([m.id for m in queued], timeout=20)
        assert [m.status for m in done] == [SendStatus.SENT] * 12
        assert [m.seq for m in done] == list(range(1, 13))
    finally:
        await client.close()
        await handle.stop()


async def test_unknown_message_types_are_kept_and_delivered_as_they_are(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    content = {"title": "Ticket #12", "fields": [{"k": "state", "v": "open"}], "n": None}
    sent = await alice.send(BOB, "App:TicketCard", content)
    await alice.wait_sent([sent.id], timeout=5)
    bob = await make_client("bob")
    (received,) = await bob.messages(ALICE)
    assert received.object_name == "App:TicketCard" and received.content == content
    conv = (await bob.conversations())[0]
    assert conv.unread == 1 and conv.preview == "[Unsupported: App:TicketCard]"


async def test_the_system_conversation_is_synced_and_read_only(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    server = server_handle.server
    assert server is not None
    await server.send_system("dana", messages.INFO_NTF, {"message": "Welcome to imkit"})
    dana = await make_client("dana")
    system = ConvRef(type=6, target="system")
    (welcome,) = await dana.messages(system)
    assert welcome.sender == "system" and welcome.content == {"message": "Welcome to imkit"}
    with dana.subscribe() as events:
        await server.send_system("dana", messages.TEXT, {"content": "live notice"})
        (live,) = await received(events, 1)
    assert live.conv == system and live.seq == 2
    refused = await dana.send_text(system, "can I write here?")
    (failed,) = await dana.wait_sent([refused.id], timeout=5)
    assert failed.status == SendStatus.FAILED and failed.error == 33003


async def test_drafts_move_the_conversation_up_and_survive_a_restart(
    server_handle: ServerHandle, tmp_path: Path, make_client: ClientFactory
) -> None:
    erin = await make_client("erin")
    for peer in ("f1", "f2"):
        sent = await erin.send_text(ConvRef.private(peer), "hi")
        await erin.wait_sent([sent.id], timeout=5)
        await asyncio.sleep(0.01)
    await erin.set_draft(ConvRef.private("f1"), "half a thought")
    rows = await erin.conversations()
    assert [r.ref.target for r in rows] == ["f1", "f2"] and rows[0].draft == "half a thought"
    await erin.close()
    again = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("erin"),
        store_path=tmp_path / "clients" / "erin" / "main" / "store.db",
    )
    await again.open()
    try:
        row = await again.conversation(ConvRef.private("f1"))
        assert row is not None and row.draft == "half a thought"
        await again.set_draft(ConvRef.private("f1"), "")
        assert [r.ref.target for r in await again.conversations()] == ["f2", "f1"]
    finally:
        await again.close()


async def test_a_failed_message_can_be_retried_under_the_same_id(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    big = await alice.send_text(BOB, "y" * (200 * 1024))
    (failed,) = await alice.wait_sent([big.id], timeout=5)
    assert failed.status == SendStatus.FAILED
    retried = await alice.retry(big.id)
    assert retried is not None and retried.status == SendStatus.SENDING
    (again,) = await alice.wait_sent([big.id], timeout=5)
    assert again.status == SendStatus.FAILED and again.cmid == big.cmid
    assert await alice.total_unread() == 0


async def test_group_conversations_sync_count_and_deliver(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    server = server_handle.server
    assert server is not None
    alice, bob = await make_client("alice"), await make_client("bob")
    group = ConvRef(type=3, target="team")
    with alice.subscribe() as events:
        await server.create_group("team", "Team", "bob", ["alice"])
        (created,) = await received(events, 1)
        assert created.object_name == "RC:GrpNtf"
        sent = await bob.send_text(group, "standup in 5")
        got = await received(events, 1)
    assert got[0].sender == "bob" and got[0].conv == group
    (done,) = await bob.wait_sent([sent.id], timeout=5)
    assert done.seq == 2
    row = await alice.conversation(group)
    assert row is not None and row.unread == 1 and row.last_sender == "bob"
    outsider = await make_client("olga")
    refused = await outsider.send_text(group, "hi?")
    (failed,) = await outsider.wait_sent([refused.id], timeout=5)
    assert failed.status == SendStatus.FAILED and failed.error == 22406


async def test_status_messages_reach_the_online_peer_and_are_never_stored(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    with bob.subscribe() as events:
        assert await alice.send_status(BOB, messages.TYPING, {"typingContentType": "RC:TxtMsg"})
        event = await events.next(5)
        while not isinstance(event, StatusReceived):
            event = await events.next(5)
    assert event.record.sender == "alice" and event.record.seq == 0
    assert await bob.messages(ALICE) == [] and await alice.store.outbox.count() == 0
    with pytest.raises(ValueError):
        await alice.send(BOB, messages.TYPING, {})
    await alice.close()
    assert not await alice.send_status(BOB, messages.TYPING, {})  # offline: dropped, not queued


async def test_a_request_caught_by_a_closing_connection_leaves_no_failure_unretrieved(
    make_client: ClientFactory,
) -> None:
    """A request made while the connection is closing (the server's close frame came,
    or a heartbeat timed out) waits in the send until the socket is gone; the lost
    connection fails its answer's future meanwhile. The caller gets NotConnected, and
    that future must not be left with an error nobody reads ("Future exception was
    never retrieved", logged when it is collected)."""
    alice = await make_client("alice")
    connection = alice._connection
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    try:
        ws = connection._ws
        assert ws is not None
        closing = asyncio.create_task(ws.close())
        await asyncio.sleep(0)  # the close frame is out: the connection is closing
        with pytest.raises(NotConnected):
            await connection.request(Ping(id=0), Pong, timeout=5)
        await closing
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert [(context.get("message"), repr(context.get("exception"))) for context in unhandled] == []


async def test_a_request_cancelled_after_its_connection_was_lost_leaves_no_failure_unretrieved(
    make_client: ClientFactory,
) -> None:
    """As above, but the caller is cancelled (as the post-connect sync is when its
    connection ends) after the lost connection failed the future and before the send
    gave up: the error on that future is read all the same."""
    alice = await make_client("alice")
    connection = alice._connection
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))

    async def cancel_while_closing() -> bool:
        ws = connection._ws
        assert ws is not None
        closing = asyncio.create_task(ws.close())
        await asyncio.sleep(0)
        caller = asyncio.create_task(connection.request(Ping(id=0), Pong, timeout=5))
        for _ in range(100_000):  # the turn where it is set to None, just before it fails
            if connection._ws is None:
                break
            await asyncio.sleep(0)
        caller.cancel()
        await asyncio.wait([caller, closing])
        return caller.cancelled()

    try:
        assert await cancel_while_closing()
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert [(c.get("message"), repr(c.get("exception"))) for c in unhandled] == []

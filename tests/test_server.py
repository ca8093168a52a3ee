"""The reference server over real websockets on 127.0.0.1, frame by frame."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Hello,
    Ping,
    Pong,
    PullReply,
    PullRequest,
    SendAck,
    SyncReply,
    SyncRequest,
    decode_server_frame,
    encode,
)
from imkit_tui.server.config import DAY_MS
from imkit_tui.server.store import Member, NewMessage, private_key
from tests.conftest import ServerHandle
from tests.wire import WireClient


async def _hello_answer(url: str, hello: Hello | str) -> tuple[object, int | None]:
    async with connect(url) as ws:
        await ws.send(encode(hello) if isinstance(hello, Hello) else hello, text=True)
        raw = await asyncio.wait_for(ws.recv(), 5)
        frame = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return frame, ws.close_code


async def test_login_is_refused_with_rongcloud_codes(server_handle: ServerHandle) -> None:
    url = server_handle.url
    good = server_handle.token("alice")
    cases = {
        ErrorCode.TOKEN_INCORRECT: Hello(id=1, versions=[1], token=good[:-2] + "xx"),
        ErrorCode.TOKEN_EXPIRED: Hello(id=1, versions=[1], token=server_handle.token("a", -1)),
        ErrorCode.PROTOCOL_VERSION: Hello(id=1, versions=[99], token=good),
    }
    for code, hello in cases.items():
        frame, close_code = await _hello_answer(url, hello)
        assert isinstance(frame, ErrorFrame) and frame.code == code and frame.re == 1
        assert close_code == 1008
    frame, _ = await _hello_answer(url, '{"t":"ping","id":4}')
    assert isinstance(frame, ErrorFrame) and frame.code == ErrorCode.NOT_AUTHENTICATED


async def test_send_is_acked_with_seq_and_pushed_to_every_other_device(
    server_handle: ServerHandle,
) -> None:
    url = server_handle.url
    alice = await WireClient.login(url, server_handle.token("alice"), "phone")
    alice_desk = await WireClient.login(url, server_handle.token("alice"), "desk")
    bob1 = await WireClient.login(url, server_handle.token("bob"), "phone")
    bob2 = await WireClient.login(url, server_handle.token("bob"), "desk")
    before = int(time.time() * 1000)
    acks = [await alice.send_text("bob", f"m{i}", cmid=f"c{i}") for i in range(3)]
    assert [a.seq for a in acks if isinstance(a, SendAck)] == [1, 2, 3]
    first = acks[0]
    assert isinstance(first, SendAck) and first.sent_at >= before and first.uid
    for device in (bob1, bob2):
        pushes = [await device.next_push() for _ in range(3)]
        assert [p.message.seq for p in pushes] == [1, 2, 3]
        assert pushes[0].message.conv == ConvRef.private("alice")
        assert pushes[0].message.content == {"content": "m0"}
    own = await alice_desk.next_push()
    assert own.message.conv == ConvRef.private("bob") and own.message.sender == "alice"
    # The sending device itself gets only acks.
    with pytest.raises(TimeoutError):
        await alice.next_push(timeout=0.3)
    for c in (alice, alice_desk, bob1, bob2):
        await c.close()


async def test_a_retry_returns_the_original_ack_and_is_not_delivered_twice(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    first = await alice.send_text("bob", "once", cmid="same-id")
    again = await alice.send_text("bob", "once", cmid="same-id")
    assert isinstance(first, SendAck) and isinstance(again, SendAck)
    assert (again.uid, again.seq, again.sent_at) == (first.uid, first.seq, first.sent_at)
    next_one = await alice.send_text("bob", "two", cmid="other-id")
    assert isinstance(next_one, SendAck) and next_one.seq == 2
    pushes = [await bob.next_push(), await bob.next_push()]
    assert [p.message.cmid for p in pushes] == ["same-id", "other-id"]
    await alice.close()
    await bob.close()


async def test_sync_reports_changed_conversations_and_pull_pages_by_seq(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    for i in range(5):
        await alice.send_text("bob", f"to bob {i}", cmid=f"b{i}")
    await alice.send_text("carol", "to carol", cmid="c0")
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    reply = await bob.request(SyncRequest(since=0))
    assert isinstance(reply, SyncReply)
    assert [(s.conv, s.max_seq) for s in reply.conversations] == [(ConvRef.private("alice"), 5)]
    again = await bob.request(SyncRequest(since=reply.cursor))
    assert isinstance(again, SyncReply) and again.conversations == []

    forward = await bob.request(PullRequest(conv=ConvRef.private("alice"), after_seq=1, limit=2))
    assert isinstance(forward, PullReply)
    assert [m.seq for m in forward.messages] == [2, 3] and forward.has_more
    backward = await bob.request(PullRequest(conv=ConvRef.private("alice"), before_seq=5, limit=10))
    assert isinstance(backward, PullReply)
    assert [m.seq for m in backward.messages] == [4, 3, 2, 1] and not backward.has_more
    assert backward.messages[0].conv == ConvRef.private("alice")
    nothing = await bob.request(PullRequest(conv=ConvRef.private("dave"), after_seq=0))
    assert isinstance(nothing, PullReply) and nothing.messages == []
    await alice.close()
    await bob.close()


async def test_offline_messages_expire_from_sync_but_stay_in_history(
    server_handle: ServerHandle,
) -> None:
    server = server_handle.server
    assert server is not None and server.store is not None
    now = int(time.time() * 1000)
    key = private_key("alice", "bob")
    members = [Member("alice", "bob"), Member("bob", "alice")]
    for i, age_days in enumerate([9, 8, 1, 0]):
        await server.store.append(
            NewMessage(
                conv_type=1,
                conv_key=key,
                members=members,
                sender="alice",
                cmid=f"old{i}",
                object_name="RC:TxtMsg",
                content_json=json.dumps({"content": str(i)}),
                now_ms=now - age_days * DAY_MS - 1000,
            )
        )
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    forward = await bob.request(PullRequest(conv=ConvRef.private("alice"), after_seq=0))
    assert isinstance(forward, PullReply)
    # Nine and eight days old: past the 7 offline days, but still in cloud history.
    assert [m.seq for m in forward.messages] == [3, 4] and forward.floor_seq == 3
    history = await bob.request(PullRequest(conv=ConvRef.private("alice"), before_seq=3))
    assert isinstance(history, PullReply) and [m.seq for m in history.messages] == [2, 1]
    removed = await server.store.prune(now - 5 * DAY_MS)
    assert removed == 2
    history = await bob.request(PullRequest(conv=ConvRef.private("alice"), before_seq=3))
    assert isinstance(history, PullReply) and history.messages == []
    await bob.close()


async def test_status_messages_reach_online_peers_only_and_are_not_stored(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    ack = await alice.send_text(
        "bob", "", cmid="t1", object_name="RC:TypSts", content={"typingContentType": "RC:TxtMsg"}
    )
    assert isinstance(ack, SendAck) and ack.seq == 0
    push = await bob.next_push()
    assert push.message.object_name == "RC:TypSts" and push.message.seq == 0
    pulled = await bob.request(PullRequest(conv=ConvRef.private("alice"), after_seq=0))
    assert isinstance(pulled, PullReply) and pulled.messages == []
    await alice.close()
    await bob.close()


async def test_unknown_message_types_are_stored_and_delivered_as_they_are(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    content = {"deep": {"list": [1, "two", None]}, "n": 1.5}
    ack = await alice.send_text("bob", "", cmid="x1", object_name="App:Card", content=content)
    assert isinstance(ack, SendAck) and ack.seq == 1
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    pulled = await bob.request(PullRequest(conv=ConvRef.private("alice"), after_seq=0))
    assert isinstance(pulled, PullReply)
    assert pulled.messages[0].object_name == "App:Card" and pulled.messages[0].content == content
    await alice.close()
    await bob.close()


async def test_bad_requests_get_error_codes_and_the_connection_stays(
    server_handle: ServerHandle,
) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    big = {"content": "x" * (130 * 1024)}
    too_big = await alice.send_text("bob", "", cmid="big", content=big)
    assert isinstance(too_big, ErrorFrame) and too_big.code == ErrorCode.MESSAGE_TOO_LARGE
    await alice.send_raw("y" * (300 * 1024))
    frame = await alice.recv()
    assert isinstance(frame, ErrorFrame) and frame.code == ErrorCode.MESSAGE_TOO_LARGE
    await alice.send_raw(b"\x00\x01binary")
    frame = await alice.recv()
    assert isinstance(frame, ErrorFrame) and frame.code == ErrorCode.MALFORMED_FRAME
    chatroom = await alice.request(PullRequest(conv=ConvRef(type=4, target="room")))
    assert isinstance(chatroom, ErrorFrame) and chatroom.code == ErrorCode.CHATROOM_HISTORY_OFF
    ultra = await alice.request(PullRequest(conv=ConvRef(type=10, target="room")))
    assert isinstance(ultra, ErrorFrame) and ultra.code == ErrorCode.ULTRA_GROUP_NOT_FOUND
    unknown = await alice.request(PullRequest(conv=ConvRef(type=99, target="room")))
    assert isinstance(unknown, ErrorFrame) and unknown.code == ErrorCode.INVALID_PARAMETER
    group = await alice.request(PullRequest(conv=ConvRef(type=3, target="nope")))
    assert isinstance(group, ErrorFrame) and group.code == ErrorCode.NOT_IN_GROUP
    again = await alice.request(Hello(versions=[1], token="x"))
    assert isinstance(again, ErrorFrame) and again.code == ErrorCode.ALREADY_AUTHENTICATED
    pong = await alice.request(Ping())
    assert isinstance(pong, Pong)
    ok = await alice.send_text("bob", "still here", cmid="ok")
    assert isinstance(ok, SendAck) and ok.seq == 1
    await alice.close()


async def test_send_rate_limit_answers_20604_but_acks_retries_of_stored_messages(
    tmp_path: Path,
) -> None:
    handle = ServerHandle(tmp_path / "srv", rate_per_second=0.5, rate_burst=2)
    await handle.start()
    try:
        alice = await WireClient.login(handle.url, handle.token("alice"))
        first = await alice.send_text("bob", "1", cmid="r1")
        second = await alice.send_text("bob", "2", cmid="r2")
        third = await alice.send_text("bob", "3", cmid="r3")
        assert isinstance(first, SendAck) and isinstance(second, SendAck)
        assert isinstance(third, ErrorFrame) and third.code == ErrorCode.RATE_LIMITED
        retry = await alice.send_text("bob", "1", cmid="r1")
        assert isinstance(retry, SendAck) and retry.seq == first.seq
        await alice.close()
    finally:
        await handle.stop()


async def test_silent_connection_is_closed_after_the_handshake_timeout(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "srv", handshake_timeout=0.3)
    await handle.start()
    try:
        async with connect(handle.url) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 3)
    finally:
        await handle.stop()


async def test_state_survives_a_restart(server_handle: ServerHandle) -> None:
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    await alice.send_text("bob", "before", cmid="p1")
    await alice.close()
    await server_handle.stop()
    await server_handle.start()
    alice = await WireClient.login(server_handle.url, server_handle.token("alice"))
    retry = await alice.send_text("bob", "before", cmid="p1")
    after = await alice.send_text("bob", "after", cmid="p2")
    assert isinstance(retry, SendAck) and retry.seq == 1
    assert isinstance(after, SendAck) and after.seq == 2
    await alice.close()


async def test_pushes_are_delivered_in_seq_order_under_concurrent_senders(
    server_handle: ServerHandle,
) -> None:
    url = server_handle.url
    senders = [await WireClient.login(url, server_handle.token(u)) for u in ("alice", "bob")]
    carol = await WireClient.login(url, server_handle.token("carol"))
    # alice and bob both write to carol at once: two conversations, each ordered.

    async def burst(client: WireClient, name: str) -> None:
        for i in range(30):
            await client.send_text("carol", f"{name}{i}", cmid=f"{name}{i}")

    await asyncio.gather(burst(senders[0], "a"), burst(senders[1], "b"))
    seen: dict[str, list[int]] = {"alice": [], "bob": []}
    for _ in range(60):
        push = await carol.next_push()
        seen[push.message.sender].append(push.message.seq)
    assert seen == {"alice": list(range(1, 31)), "bob": list(range(1, 31))}
    for c in (*senders, carol):
        await c.close()


async def test_reconnect_sync_reports_only_what_changed(server_handle: ServerHandle) -> None:
    bob = await WireClient.login(server_handle.url, server_handle.token("bob"))
    for i in range(30):
        await bob.send_text(f"friend{i}", "hi", cmid=f"h{i}")
    first = await bob.request(SyncRequest(since=0))
    assert isinstance(first, SyncReply) and len(first.conversations) == 30
    friend = await WireClient.login(server_handle.url, server_handle.token("friend7"))
    await friend.send_text("bob", "news", cmid="n1")
    later = await bob.request(SyncRequest(since=first.cursor))
    assert isinstance(later, SyncReply)
    assert [(s.conv.target, s.max_seq) for s in later.conversations] == [("friend7", 2)]
    await friend.close()
    await bob.close()


async def test_sync_pages_many_changed_conversations(server_handle: ServerHandle) -> None:
    server = server_handle.server
    assert server is not None and server.store is not None
    for i in range(25):
        await server.store.append(
            NewMessage(
                conv_type=1,
                conv_key=private_key("bob", f"p{i:02d}"),
                members=[Member("bob", f"p{i:02d}"), Member(f"p{i:02d}", "bob")],
                sender=f"p{i:02d}",
                cmid=f"s{i}",
                object_name="RC:TxtMsg",
                content_json='{"content": "x"}',
                now_ms=int(time.time() * 1000),
            )
        )
    seen: list[str] = []
    cursor, more = 0, True
    while more:
        states, cursor, more = await server.store.members.changed_conversations("bob", cursor, 10)
        seen += [s.conv.target for s in states]
    assert seen == [f"p{i:02d}" for i in range(25)]


async def test_group_messages_reach_every_member_and_only_members(
    server_handle: ServerHandle,
) -> None:
    server = server_handle.server
    assert server is not None
    url = server_handle.url
    alice = await WireClient.login(url, server_handle.token("alice"))
    bob = await WireClient.login(url, server_handle.token("bob"))
    mallory = await WireClient.login(url, server_handle.token("mallory"))
    assert await server.create_group("g1", "Design", "alice", ["bob", "carol"])
    assert not await server.create_group("g1", "Again", "alice", [])
    group = ConvRef(type=3, target="g1")
    for client in (alice, bob):
        created = await client.next_push()
        assert created.message.object_name == "RC:GrpNtf" and created.message.conv == group
    ack = await bob.send_text("", "hello group", cmid="gm1", conv=group)
    assert isinstance(ack, SendAck) and ack.seq == 2
    pushed = await alice.next_push()
    assert pushed.message.conv == group and pushed.message.sender == "bob"
    refused = await mallory.send_text("", "let me in", cmid="x", conv=group)
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.NOT_IN_GROUP
    peek = await mallory.request(PullRequest(conv=group, after_seq=0))
    assert isinstance(peek, ErrorFrame) and peek.code == ErrorCode.NOT_IN_GROUP
    carol = await WireClient.login(url, server_handle.token("carol"))
    synced = await carol.request(SyncRequest(since=0))
    assert isinstance(synced, SyncReply)
    assert [(s.conv, s.max_seq) for s in synced.conversations] == [(group, 2)]
    for client in (alice, bob, mallory, carol):
        await client.close()


async def test_a_client_that_stops_reading_is_dropped_and_others_keep_up(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "srv", outbound_buffer_bytes=512 * 1024)
    server = await handle.start()
    try:
        sender = await WireClient.login(handle.url, handle.token("alice"))
        stalled = await WireClient.login(handle.url, handle.token("bob"), device="stalled")
        reader = await WireClient.login(handle.url, handle.token("bob"), device="reader")
        assert server.online_devices("bob") == 2
        big = {"content": "z" * (100 * 1024)}
        received = 0

        async def read_all() -> None:
            nonlocal received
            while received < 150:
                await reader.next_push(timeout=10)
                received += 1

        draining = asyncio.create_task(read_all())
        for i in range(150):  # ~15 MB at a client that never reads
            ack = await sender.send_text("bob", "", cmid=f"big{i}", content=big)
            assert isinstance(ack, SendAck)
        await asyncio.wait_for(draining, 30)
        for _ in range(100):
            if server.online_devices("bob") == 1:
                break
            await asyncio.sleep(0.05)
        assert server.online_devices("bob") == 1, "the stalled device should be dropped"
        with pytest.raises(ConnectionClosed):
            while True:  # what it had buffered, then the dropped connection
                await stalled.recv(timeout=5)
        await sender.close()
        await reader.close()
    finally:
        await handle.stop()

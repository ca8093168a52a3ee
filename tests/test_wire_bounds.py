"""Crafted frames on a raw websocket: refused as malformed, cheaply, the connection kept
(until a flood spends its budget); and a client message id reused in another
conversation refused rather than answered with the other conversation's ack."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Ping,
    Pong,
    PullReply,
    PullRequest,
    SendAck,
)
from tests.conftest import ServerHandle
from tests.processes import history, imkit
from tests.wire import WireClient

BIG = 2**63


async def still_served(client: WireClient) -> None:
    """The connection is open and answered."""
    assert isinstance(await client.request(Ping()), Pong)


@pytest.mark.parametrize(
    "frame",
    [
        f'{{"t":"pull","id":41,"conv":{{"type":1,"target":"bob"}},"after_seq":{BIG}}}',
        f'{{"t":"pull","id":41,"conv":{{"type":1,"target":"bob"}},"before_seq":{2**64}}}',
        f'{{"t":"sync","id":41,"since":{BIG}}}',
        f'{{"t":"read","id":41,"conv":{{"type":1,"target":"bob"}},"seq":{BIG}}}',
        f'{{"t":"clear","id":41,"conv":{{"type":1,"target":"bob"}},"seq":{BIG}}}',
        f'{{"t":"delete","id":41,"conv":{{"type":1,"target":"bob"}},"seqs":[{BIG}]}}',
        f'{{"t":"pull","id":41,"conv":{{"type":{BIG},"target":"bob"}}}}',
        f'{{"t":"download","id":41,"sha256":"{"0" * 64}","offset":{BIG}}}',
        f'{{"t":"chunk","id":41,"sha256":"{"0" * 64}","offset":{BIG},"data":""}}',
        f'{{"t":"upload","id":41,"sha256":"{"0" * 64}","size":{BIG}}}',
    ],
)
async def test_integers_past_sqlite_are_malformed_not_internal_errors(
    server_handle: ServerHandle, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await server_handle.login("alice")
    await alice.send_text("bob", "hi", "first")
    await alice.send_raw(frame)
    answer = await alice.recv()
    assert isinstance(answer, ErrorFrame) and answer.re == 41
    assert answer.code == ErrorCode.MALFORMED_FRAME, answer
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    await still_served(alice)


@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
async def test_a_frame_nested_too_deep_is_malformed_and_the_connection_stays(
    server_handle: ServerHandle, depth: int
) -> None:
    alice = await server_handle.login("alice")
    await alice.send_raw('{"t":"ping","id":42,"x":' + "[" * depth + "]" * depth + "}")
    answer = await alice.recv()
    assert isinstance(answer, ErrorFrame) and answer.re == 42
    assert answer.code == ErrorCode.MALFORMED_FRAME
    await alice.send_raw("[" * depth)
    answer = await alice.recv()
    assert isinstance(answer, ErrorFrame) and answer.code == ErrorCode.MALFORMED_FRAME
    await still_served(alice)


async def test_a_flood_of_malformed_frames_closes_only_that_connection(
    server_handle: ServerHandle,
) -> None:
    alice, bob = await server_handle.login("alice"), await server_handle.login("bob")
    mallory = await server_handle.login("mallory")
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(500):
            await mallory.send_raw("{not json")
            await asyncio.sleep(0)
        while True:
            await mallory.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert "malformed" in closed.value.rcvd.reason
    ack = await alice.send_text("bob", "still here", "after-flood")
    assert isinstance(ack, SendAck)
    assert (await bob.next_push()).message.content == {"content": "still here"}
    # A few mistakes are answered and forgiven: an honest client is never closed.
    for _ in range(5):
        await alice.send_raw("{oops")
        assert isinstance(await alice.recv(), ErrorFrame)
    await still_served(alice)


# ---------------------------------------------------------------- client message ids


async def test_a_client_id_reused_in_another_conversation_is_refused(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    to_bob = await alice.send_text("bob", "for bob", "K")
    assert isinstance(to_bob, SendAck)
    to_carol = await alice.send_text("carol", "for carol", "K")
    assert isinstance(to_carol, ErrorFrame), to_carol
    assert to_carol.code == ErrorCode.INVALID_PARAMETER and "another conversation" in (
        to_carol.message
    )
    retry = await alice.send_text("bob", "for bob", "K")  # the real retry: same ack
    assert isinstance(retry, SendAck) and (retry.uid, retry.seq) == (to_bob.uid, to_bob.seq)
    assert retry.conv == ConvRef.private("bob")
    carol = await server_handle.login("carol")
    page = await carol.request(PullRequest(conv=ConvRef.private("alice"), after_seq=0))
    assert isinstance(page, PullReply) and page.messages == []


async def test_imkit_send_with_one_key_to_two_people_delivers_both(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    url, alice = server_handle.url, server_handle.token("alice")

    def send(to: str, text: str) -> None:
        result = imkit(tmp_path / "a", "send", "--server", url, "--token", alice,
                       "--to", to, "--key", "K", text)  # fmt: skip
        assert result.returncode == 0, result.stderr

    await asyncio.to_thread(send, "bob", "for bob")
    await asyncio.to_thread(send, "carol", "for carol")
    await asyncio.to_thread(send, "carol", "for carol")  # the same command again: once
    for user, text in (("bob", "for bob"), ("carol", "for carol")):
        printed = await asyncio.to_thread(
            history, tmp_path / user, url, server_handle.token(user), "alice"
        )
        assert [m["content"]["content"] for m in printed] == [text], user

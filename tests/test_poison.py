"""A message nested too deep for the codec: refused when sent, survived when stored.

A poison row is put in the server's store the way an older server let it in (straight
into the table, ~980 levels deep); every pull of that conversation must still work:
the server sends the message as an UNREADABLE placeholder, the client stores it at its
seq (no gap, no retry), the app shows it as unsupported and `imkit history` prints it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import serve

from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.protocol import (
    MAX_CONTENT_DEPTH,
    UNREADABLE,
    ConversationState,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Hello,
    MessageRecord,
    ProtocolError,
    PullMany,
    PullPage,
    PullPages,
    PullReply,
    PullRequest,
    PullSpec,
    Push,
    SendAck,
    SyncReply,
    SyncRequest,
    Welcome,
    decode_client_frame,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import UnsupportedBubble
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory, ServerHandle
from tests.processes import history

POISON_DEPTH = 980


def nested_json(depth: int) -> str:
    """JSON text of objects nested `depth` levels deep."""
    return '{"a":' * depth + "1" + "}" * depth


def nested(depth: int) -> dict[str, Any]:
    """A dict nested `depth` levels deep, built without recursion."""
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth - 1):
        node["a"] = {}
        node = node["a"]
    return root


async def poisoned_chat(server_handle: ServerHandle) -> None:
    """alice sends bob three messages; the middle one is made poison in the store."""
    alice = await server_handle.login("alice")
    for index, text in enumerate(["before", "poison", "after"]):
        ack = await alice.send_text("bob", text, f"poison-{index}")
        assert isinstance(ack, SendAck)
    await alice.close()
    server_handle.alter_store(
        "UPDATE messages SET content = ? WHERE cmid = 'poison-1'",
        "UPDATE messages SET content = $1 WHERE cmid = 'poison-1'",
        nested_json(POISON_DEPTH),
    )


async def test_a_poison_row_still_syncs_into_a_real_client_store(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    await poisoned_chat(server_handle)
    bob = await make_client("bob")  # waits for the first sync: it completes
    shown = await bob.messages(ConvRef.private("alice"))
    assert [m.seq for m in shown] == [1, 2, 3]
    assert [m.object_name for m in shown] == ["RC:TxtMsg", UNREADABLE, "RC:TxtMsg"]
    assert shown[0].content["content"] == "before" and shown[2].content["content"] == "after"
    assert shown[1].content == {"originalObjectName": "RC:TxtMsg"}
    # Nothing is asked again: the next sync is clean and new messages keep coming.
    alice = await server_handle.login("alice")
    assert isinstance(await alice.send_text("bob", "later", "poison-3"), SendAck)
    await bob.history.load(ConvRef.private("alice"))
    texts = [m.content.get("content") for m in await bob.messages(ConvRef.private("alice"))]
    assert texts[-1] == "later"


async def test_a_poison_row_pulls_as_a_placeholder_on_the_wire(
    server_handle: ServerHandle,
) -> None:
    await poisoned_chat(server_handle)
    bob = await server_handle.login("bob")
    for request in (
        PullRequest(conv=ConvRef.private("alice"), after_seq=0),
        PullRequest(conv=ConvRef.private("alice"), before_seq=10),
    ):
        page = await bob.request(request)
        assert isinstance(page, PullReply), page
        by_seq = {m.seq: m for m in page.messages}
        assert sorted(by_seq) == [1, 2, 3]
        assert by_seq[2].object_name == UNREADABLE


async def test_imkit_history_prints_a_poisoned_conversation(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    await poisoned_chat(server_handle)
    token = server_handle.token("bob")
    for run in range(2):  # a second run starts from the store the first one left
        printed = await asyncio.to_thread(history, tmp_path, server_handle.url, token, "alice")
        assert [m["seq"] for m in printed] == [1, 2, 3], run
        assert printed[1]["type"] == UNREADABLE


async def test_the_app_shows_a_poison_message_as_unsupported(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    await poisoned_chat(server_handle)
    bob = await make_client("bob")
    app = IMKitApp(bob, themes=load_themes(), state=UiState(tmp_path / "ui-state.json"))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        for _ in range(200):
            if len(chat.shown) == 3:
                break
            await pilot.pause(0.02)
        assert [m.seq for m in chat.shown] == [1, 2, 3]
        unsupported = [b for b in chat.bubbles() if isinstance(b, UnsupportedBubble)]
        assert len(unsupported) == 1
        assert "Unsupported message" in unsupported[0].label


# ---------------------------------------------------------------- refused when sent


async def test_content_deeper_than_the_bound_is_refused_and_nothing_is_stored(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice")
    within = await alice.send_text("bob", "", "deep-ok", content=nested(MAX_CONTENT_DEPTH))
    assert isinstance(within, SendAck)
    for request_id, depth in ((501, MAX_CONTENT_DEPTH + 1), (502, POISON_DEPTH)):
        await alice.send_raw(
            f'{{"t":"send","id":{request_id},"conv":{{"type":1,"target":"bob"}},'
            f'"object_name":"RC:TxtMsg","cmid":"deep-{depth}","content":{nested_json(depth)}}}'
        )
        refused = await alice.recv()
        assert isinstance(refused, ErrorFrame) and refused.re == request_id, depth
        assert refused.code == ErrorCode.INVALID_PARAMETER
        assert f"more than {MAX_CONTENT_DEPTH} levels" in refused.message
    bob = await server_handle.login("bob")
    page = await bob.request(PullRequest(conv=ConvRef.private("alice"), after_seq=0))
    assert isinstance(page, PullReply) and [m.cmid for m in page.messages] == ["deep-ok"]


async def test_the_client_refuses_deep_content_before_its_outbox(
    make_client: ClientFactory,
) -> None:
    alice = await make_client("alice")
    with pytest.raises(ValueError, match="levels"):
        await alice.send(ConvRef.private("bob"), "RC:TxtMsg", nested(POISON_DEPTH))
    assert await alice.messages(ConvRef.private("bob")) == []


def test_an_unencodable_message_goes_as_a_placeholder_and_the_page_survives() -> None:
    conv = ConvRef.private("alice")

    def record(seq: int, content: dict[str, Any]) -> MessageRecord:
        return MessageRecord(
            uid=f"u{seq}",
            conv=conv,
            seq=seq,
            sender="alice",
            object_name="RC:TxtMsg",
            content=content,
            cmid=f"c{seq}",
            sent_at=1,
        )

    poison = record(2, nested(5000))  # too deep for the encoder at any stack depth
    page = PullReply(
        conv=conv,
        messages=[record(1, {"content": "a"}), poison, record(3, {"content": "b"})],
        has_more=False,
        floor_seq=1,
    )
    decoded = decode_server_frame(encode(page))
    assert isinstance(decoded, PullReply)
    assert [m.object_name for m in decoded.messages] == ["RC:TxtMsg", UNREADABLE, "RC:TxtMsg"]
    assert decoded.messages[2].content == {"content": "b"}
    pushed = decode_server_frame(encode(Push(message=poison)))
    assert isinstance(pushed, Push) and pushed.message.object_name == UNREADABLE


def test_an_answer_too_deep_to_decode_still_names_its_request() -> None:
    """The decoder names the request whose answer it could not read, even when the frame
    is too deep to read its envelope, so the request fails at once (90001), no timeout."""
    deep = '{"t":"messages","re":77,"conv":' + "[" * 3000 + "]" * 3000 + "}"
    with pytest.raises(ProtocolError) as caught:
        decode_server_frame(deep.encode())
    assert caught.value.reply_to == 77 and caught.value.code == ErrorCode.MALFORMED_FRAME


# ---------------------------------------------------------------- from an older server


class OlderServer:
    """A server of the version that still sends a poison message: it speaks the wire
    (hello, sync, pull) over a real websocket and answers any page that holds seq 2
    with that message nested too deep for the client to decode."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.pulls: list[PullRequest | PullMany] = []

    @staticmethod
    def records(request: PullRequest | PullSpec) -> tuple[list[MessageRecord], bool]:
        """The messages a pull asks for (seqs 1 to 3), and whether more are left."""
        conv = request.conv
        if request.before_seq:
            seqs = range(max(1, request.before_seq - request.limit), request.before_seq)
        else:
            seqs = range(request.after_seq + 1, min(3, request.after_seq + request.limit) + 1)
        records = [
            MessageRecord(
                uid=f"u{seq}",
                conv=conv,
                seq=seq,
                sender="alice",
                object_name="RC:TxtMsg",
                content={"content": f"m{seq}"},
                cmid=f"c{seq}",
                sent_at=1000 + seq,
            )
            for seq in seqs
        ]
        more = bool(seqs) and (seqs[0] > 1 if request.before_seq else seqs[-1] < 3)
        return records, more

    def page(self, request: PullRequest | PullMany) -> str:
        if isinstance(request, PullMany):  # protocol version 2: pages of many
            pages = []
            for spec in request.pulls:
                records, more = self.records(spec)
                pages.append(PullPage(conv=spec.conv, messages=records, has_more=more))
            answer: PullReply | PullPages = PullPages(re=request.id, pages=pages)
        else:
            records, more = self.records(request)
            answer = PullReply(
                re=request.id, conv=request.conv, messages=records, has_more=more, floor_seq=1
            )
        return encode(answer).decode().replace('{"content":"m2"}', nested_json(3000))

    async def handle(self, ws: Any) -> None:
        async for raw in ws:
            frame = decode_client_frame(raw)
            if isinstance(frame, Hello):
                answer: Any = Welcome(re=frame.id, version=self.version, user_id="bob",
                                      server_time=1, heartbeat_seconds=20,
                                      max_frame_bytes=1 << 20,
                                      max_content_bytes=1 << 17)  # fmt: skip
            elif isinstance(frame, SyncRequest):
                state = ConversationState(conv=ConvRef.private("alice"), max_seq=3, last_at=1)
                answer = SyncReply(re=frame.id, cursor=1, conversations=[state])
            elif isinstance(frame, PullRequest | PullMany):
                self.pulls.append(frame)
                await ws.send(self.page(frame))
                continue
            else:
                answer = ErrorFrame(re=frame.id, code=ErrorCode.INVALID_PARAMETER, message="no")
            await ws.send(encode(answer).decode())


@pytest.mark.parametrize("version", [1, 2])
async def test_a_page_the_client_cannot_decode_is_synced_past(tmp_path: Path, version: int) -> None:
    older = OlderServer(version)
    async with serve(older.handle, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        bob = IMClient(
            server_url=f"ws://127.0.0.1:{port}",
            token=issue_token(b"s" * 32, "bob"),
            store_path=tmp_path / "bob.db",
            request_timeout=5.0,
        )
        await bob.start()
        try:
            await bob.wait_synced(timeout=10)
            shown = await bob.messages(ConvRef.private("alice"))
            assert [m.seq for m in shown] == [1, 2, 3]
            assert [m.object_name for m in shown] == ["RC:TxtMsg", UNREADABLE, "RC:TxtMsg"]
            assert shown[2].content == {"content": "m3"}
            # Version 2: the first sync asked with PullMany, then one at a time.
            assert isinstance(older.pulls[0], PullMany) == (version == 2)
            asked = len(older.pulls)
            await bob.history.load(ConvRef.private("alice"))
            assert len(older.pulls) == asked  # held without holes: never asked again
        finally:
            await bob.close()

"""Hypothesis throws bad frames at a running server; it answers each and serves the rest."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Hello,
    Push,
    SendAck,
    SendMessage,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.inbound import InboundPolicy
from tests.strategies import json_objects, json_values


class ThreadedServer:
    """A real server on its own event loop thread, for synchronous hypothesis tests."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = IMServer(
            ServerConfig(
                data_dir=data_dir,
                port=0,
                rate_per_second=1e6,
                rate_burst=10**6,
                # Every answer is checked here, not the budget of refused frames.
                inbound=InboundPolicy(malformed_burst=10**6),
            )
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        self.secret = load_or_create_secret(data_dir)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @contextlib.contextmanager
    def login(self, user: str) -> Iterator[ClientConnection]:
        with connect(self.server.url, max_size=None) as ws:
            hello = Hello(id=1, versions=[1], token=issue_token(self.secret, user))
            ws.send(encode(hello).decode())
            assert isinstance(_recv(ws), Welcome)
            yield ws


def _recv(ws: ClientConnection, timeout: float = 5.0) -> object:
    raw = ws.recv(timeout=timeout)
    return decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())


@pytest.fixture(scope="module")
def threaded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    server = ThreadedServer(tmp_path_factory.mktemp("bad-input"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def attacker(threaded_server: ThreadedServer) -> Iterator[ClientConnection]:
    with threaded_server.login("mallory") as ws:
        yield ws


bad_frames = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.builds(
        lambda t, rest: json.dumps({"t": t, **rest}),
        st.sampled_from(["send", "sync", "pull", "hello", "nope", "ack", "push", ""]),
        json_objects,
    ),
    st.builds(
        lambda n: json.dumps({"t": "ping", "id": 1, "pad": "z" * n}),
        st.integers(260 * 1024, 600 * 1024),
    ),
)

KNOWN_CODES = {int(code) for code in ErrorCode}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=bad_frames)
def test_every_bad_frame_gets_an_error_frame_with_a_code(
    attacker: ClientConnection, frame: str | bytes
) -> None:
    attacker.send(frame)
    answer = _recv(attacker)
    if isinstance(answer, ErrorFrame):
        assert answer.code in KNOWN_CODES
    else:  # a frame that happened to be valid (e.g. a well-formed sync) gets its answer
        assert not isinstance(answer, Push)


def test_others_are_served_while_a_client_misbehaves(threaded_server: ThreadedServer) -> None:
    with contextlib.ExitStack() as stack:
        alice, bob, mallory = (
            stack.enter_context(threaded_server.login(user)) for user in ("alice", "bob", "m2")
        )
        _exchange(alice, bob, mallory)


def _exchange(alice: ClientConnection, bob: ClientConnection, mallory: ClientConnection) -> None:
    for i in range(20):
        mallory.send(b"\xff" * 50)
        mallory.send("{" * 100)
        alice.send(
            encode(
                SendMessage(
                    id=i + 10,
                    conv=ConvRef.private("bob"),
                    object_name="RC:TxtMsg",
                    content={"content": str(i)},
                    cmid=f"fine-{i}",
                )
            ).decode()
        )
    acks = [_recv(alice) for _ in range(20)]
    assert all(isinstance(a, SendAck) for a in acks)
    pushes = [_recv(bob) for _ in range(20)]
    assert [p.message.content["content"] for p in pushes if isinstance(p, Push)] == [
        str(i) for i in range(20)
    ]
    errors = [_recv(mallory) for _ in range(40)]
    assert all(isinstance(e, ErrorFrame) for e in errors)

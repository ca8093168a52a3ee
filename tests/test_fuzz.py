"""A seeded fuzz run: frames mutated from valid ones, while a normal pair talks.

mallory sends a few thousand frames, each a valid frame of some type with a mutation
(a field dropped, retyped, made huge, negative or deeply nested; bytes cut or flipped;
the whole thing wrapped or repeated), reconnecting whenever the server closes the
connection. Meanwhile alice sends bob messages with real clients and real stores. At
the end the server still serves, every message of alice's is acked and held by bob
exactly once and in order, and the process's memory grew by no more than a margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from imkit_tui.core import SendStatus
from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Hello,
    Ping,
    Pong,
    ProtocolError,
    decode_server_frame,
    encode,
)
from imkit_tui.server.inbound import InboundPolicy
from tests.conftest import ClientFactory, ServerHandle, until_client

SEED = 20261207
FRAMES = 3000
PAIR_MESSAGES = 60
RSS_MARGIN_KB = 96 * 1024

Mutation = Callable[[random.Random, dict[str, Any]], str | bytes]

SHA = "ab" * 32
CONV = {"type": 1, "target": "bob"}
VALID: list[dict[str, Any]] = [
    {"t": "ping", "id": 1},
    {"t": "sync", "id": 2, "since": 0},
    {"t": "pull", "id": 3, "conv": CONV, "after_seq": 0, "limit": 50},
    {"t": "pull", "id": 4, "conv": CONV, "before_seq": 10, "limit": 5},
    {
        "t": "send",
        "id": 5,
        "conv": CONV,
        "object_name": "RC:TxtMsg",
        "content": {"content": "hi"},
        "cmid": "c",
    },
    {"t": "read", "id": 6, "conv": CONV, "seq": 1},
    {"t": "settings", "id": 7, "conv": CONV, "muted": True},
    {"t": "recall", "id": 8, "conv": CONV, "uid": "u"},
    {"t": "delete", "id": 9, "conv": CONV, "seqs": [1, 2]},
    {"t": "clear", "id": 10, "conv": CONV, "seq": 1},
    {"t": "privacy", "id": 11, "block": ["x"]},
    {"t": "group", "id": 12, "group": "g", "op": "info"},
    {"t": "receipt", "id": 13, "conv": {"type": 3, "target": "g"}, "uids": ["u"]},
    {"t": "receipts", "id": 14, "conv": {"type": 3, "target": "g"}, "uids": ["u"]},
    {"t": "upload", "id": 15, "sha256": SHA, "size": 10},
    {"t": "chunk", "id": 16, "sha256": SHA, "offset": 0, "data": "aGVsbG8="},
    {"t": "download", "id": 17, "sha256": SHA, "offset": 0, "length": 10},
    {"t": "hello", "id": 18, "versions": [1], "token": "x"},
]


def _odd_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None, True, -1, 0, 2**63, 2**64 + 1, -(2**63) - 1, 1e308, "", "x" * 300,
            "\u0000\ud7ff", [], {}, [[[[[]]]]], {"a": {"a": {"a": {}}}},
            json.loads("[" * 200 + "]" * 200), rng.randint(-(10**6), 10**6),
        ]
    )  # fmt: skip


def _retype(rng: random.Random, frame: dict[str, Any]) -> str:
    key = rng.choice(list(frame))
    return json.dumps({**frame, key: _odd_value(rng)})


def _drop(rng: random.Random, frame: dict[str, Any]) -> str:
    key = rng.choice(list(frame))
    return json.dumps({k: v for k, v in frame.items() if k != key})


def _extra(rng: random.Random, frame: dict[str, Any]) -> str:
    return json.dumps({**frame, rng.choice(["zz", "t", "id", "re"]): _odd_value(rng)})


def _deep(rng: random.Random, frame: dict[str, Any]) -> str:
    depth = rng.choice([40, 500, 1000, 3000])
    key = rng.choice(list(frame))
    text = json.dumps({**frame, key: None})
    return text.replace("null", "[" * depth + "]" * depth, 1)


def _cut(rng: random.Random, frame: dict[str, Any]) -> str:
    text = json.dumps(frame)
    return text[: rng.randrange(len(text))]


def _flip(rng: random.Random, frame: dict[str, Any]) -> bytes | str:
    data = bytearray(json.dumps(frame).encode())
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    try:
        return data.decode()
    except UnicodeDecodeError:
        return bytes(data)  # a binary frame


def _wrap(rng: random.Random, frame: dict[str, Any]) -> str:
    return json.dumps(rng.choice([[frame], {"t": frame}, [frame, frame], frame["t"]]))


def _huge(rng: random.Random, frame: dict[str, Any]) -> str:
    return json.dumps({**frame, "pad": "z" * rng.choice([10_000, 300_000])})


MUTATIONS: list[Mutation] = [_retype, _drop, _extra, _deep, _cut, _flip, _wrap, _huge]


def fuzzed_frames(seed: int, count: int) -> Iterator[str | bytes]:
    """`count` frames, each a valid frame with one mutation, or now and then none."""
    rng = random.Random(seed)
    for _ in range(count):
        frame = dict(rng.choice(VALID))
        if rng.random() < 0.1:
            yield json.dumps(frame)
        else:
            yield rng.choice(MUTATIONS)(rng, frame)


class Answers:
    """What the server answered mallory: error codes, and how connections were closed."""

    def __init__(self) -> None:
        self.codes: Counter[int] = Counter()
        self.closes: Counter[int | None] = Counter()

    async def read(self, ws: ClientConnection) -> None:
        """Read every answer until the connection closes."""
        try:
            async for raw in ws:
                with contextlib.suppress(ProtocolError):
                    frame = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
                    if isinstance(frame, ErrorFrame):
                        self.codes[frame.code] += 1
        except ConnectionClosed:
            pass
        self.closes[ws.close_code] += 1


async def fuzz(server_handle: ServerHandle, frames: Iterator[str | bytes], answers: Answers) -> int:
    """Send every frame as mallory, logging in again whenever the server closes the
    connection; return how many connections it took."""
    hello = encode(Hello(id=1, versions=[1], token=server_handle.token("mallory"))).decode()
    pending = next(frames, None)
    connections = 0
    while pending is not None:
        with contextlib.suppress(ConnectionClosed, InvalidHandshake, OSError):
            ws = await connect(server_handle.url, max_size=None)
            connections += 1
            reader: asyncio.Task[None] | None = None
            try:
                await ws.send(hello)
                await ws.recv()
                reader = asyncio.create_task(answers.read(ws))
                while pending is not None:
                    await ws.send(pending)
                    pending = next(frames, None)
                    await asyncio.sleep(0)
            finally:
                if reader is not None:
                    reader.cancel()
                ws.transport.abort()  # a flooder does not wait for closing handshakes
    return connections


@pytest.fixture
async def server_handle(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    """The server, its refusals as usual but quick to let a refused user in again and
    reading frames fast, so a few thousand frames fit in a few seconds."""
    policy = InboundPolicy(frames_per_second=5000.0, refused_login_delay=0.01)
    handle = ServerHandle(tmp_path / "server", inbound=policy)
    await handle.start()
    try:
        yield handle
    finally:
        await handle.stop()


def rss_kb() -> int:
    """This process's resident set, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


async def test_fuzzed_frames_beside_a_normal_pair(
    server_handle: ServerHandle, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    conv = ConvRef.private("bob")
    warm = await alice.send_text(conv, "warm-up")
    await alice.wait_sent([warm.id], timeout=10)
    answers = Answers()
    await fuzz(server_handle, fuzzed_frames(SEED + 1, 200), answers)  # warm the paths
    before = rss_kb()

    async def talk() -> list[int]:
        ids = []
        for index in range(PAIR_MESSAGES):
            ids.append((await alice.send_text(conv, f"pair {index}")).id)
            await asyncio.sleep(0.02)
        return ids

    async with asyncio.timeout(60):
        connections, ids = await asyncio.gather(
            fuzz(server_handle, fuzzed_frames(SEED, FRAMES), answers), talk()
        )
        sent = await alice.wait_sent(ids, timeout=20)
    assert connections > 1  # the budget of malformed frames closed some
    # Every crafted frame was refused for what it is: never an internal error, never a
    # connection closed by a failure (1011), never a traceback in the server's log.
    assert ErrorCode.INTERNAL_ERROR not in answers.codes, answers.codes
    assert ErrorCode.MALFORMED_FRAME in answers.codes
    assert 1011 not in answers.closes, answers.closes
    assert not [r for r in caplog.records if r.exc_info], caplog.records[:3]
    assert [m.status for m in sent] == [SendStatus.SENT] * PAIR_MESSAGES
    expected = ["warm-up", *(f"pair {i}" for i in range(PAIR_MESSAGES))]

    async def bob_has_all() -> bool:
        held = await bob.messages(ConvRef.private("alice"), limit=500)
        return len(held) >= len(expected)

    await until_client(bob, bob_has_all, timeout=20)
    held = await bob.messages(ConvRef.private("alice"), limit=500)
    assert [m.content.get("content") for m in held] == expected
    assert [m.seq for m in held] == list(range(1, len(expected) + 1))
    probe = await server_handle.login("probe")
    assert isinstance(await probe.request(Ping()), Pong)
    grown = rss_kb() - before
    assert grown < RSS_MARGIN_KB, f"the process grew by {grown} kB"

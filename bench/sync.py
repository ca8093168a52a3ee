"""Sync: catching up on missed messages and a new device's first sync, beside a raw reader.

Three cases, each against a real `IMServer` (in a process of its own unless `--in-process`)
and timed beside a raw reader in
the same run:

- catch-up of 100 and of 10,000 messages alice sent to bob while bob's device was away:
  from `IMClient.start()` (store already open) until `wait_synced()` returns;
- a new device of a user with 1,000 conversations (one message in each): the same, on
  a fresh store.

The server's per-user budgets and per-connection pace are lifted (seeding alone would
exceed them); its limit of requests in flight per connection stays. The raw reader is a
websocket client that speaks the protocol and stores nothing: it logs
in, asks what changed since its cursor, and pulls every conversation (forward pages of
500 after what it holds; for a conversation new to it, the latest page of 50 as the
client does), all conversations' pulls in flight at once; each reply is decoded. That is
the floor of the wire: what the client adds on top is its store and bookkeeping. Only
the ratio of the two is meaningful.

Run: ``python bench/sync.py [--small N] [--large N] [--conversations N] [--rounds N]
[--json]``. Always exits 0; this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from websockets.asyncio.client import ClientConnection, connect

from imkit_tui.core import IMClient
from imkit_tui.protocol import (
    ConvRef,
    ErrorFrame,
    Frame,
    Hello,
    PullReply,
    PullRequest,
    Push,
    SendAck,
    SendMessage,
    ServerFrame,
    SyncReply,
    SyncRequest,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.budgets import Budget, FrameBudgets
from imkit_tui.server.inbound import InboundPolicy

SEND_WINDOW = 200
"""Sends in flight at once while seeding."""
FIRST_PAGE = 50
FORWARD_PAGE = 500
SYNC_TIMEOUT = 600.0
UNLIMITED = Budget(1e9, 10**9)


class RawPeer:
    """A bare protocol connection: frames out, answers matched by id, pushes dropped."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next = 1

    @classmethod
    async def login(cls, url: str, token: str, device: str) -> RawPeer:
        """Connect to `url` and log in."""
        ws = await connect(url, max_size=None, compression=None)
        await ws.send(encode(Hello(id=1, versions=[1], token=token, device=device)), text=True)
        welcome = decode_server_frame(_as_bytes(await ws.recv()))
        if not isinstance(welcome, Welcome):
            raise RuntimeError(f"login refused: {welcome}")
        return cls(ws)

    async def requests(self, frames: Sequence[Frame]) -> list[ServerFrame]:
        """Send all `frames` at once; their answers, in the same order."""
        ids: dict[int, int] = {}
        for index, frame in enumerate(frames):
            self._next += 1
            frame.id = self._next
            ids[frame.id] = index
        await asyncio.gather(*(self._ws.send(encode(f), text=True) for f in frames))
        answers: list[ServerFrame | None] = [None] * len(frames)
        left = len(frames)
        while left:
            frame = decode_server_frame(_as_bytes(await self._ws.recv()))
            if isinstance(frame, Push) or frame.re not in ids:
                continue
            if isinstance(frame, ErrorFrame):
                raise RuntimeError(f"server error {frame.code}: {frame.message}")
            answers[ids.pop(frame.re)] = frame
            left -= 1
        return [a for a in answers if a is not None]

    async def close(self) -> None:
        """Close the connection."""
        await self._ws.close()


def _as_bytes(raw: str | bytes) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode()


class RawReader:
    """Syncs like a device that stores nothing: a cursor and the seq held per conversation."""

    def __init__(self, url: str, token: str) -> None:
        self._url = url
        self._token = token
        self.cursor = 0
        self.held: dict[ConvRef, int] = {}

    async def sync(self) -> int:
        """Log in, fetch what changed since the cursor; returns the messages read."""
        peer = await RawPeer.login(self._url, self._token, "raw-reader")
        try:
            targets: dict[ConvRef, int] = {}
            while True:
                (reply,) = await peer.requests([SyncRequest(since=self.cursor)])
                assert isinstance(reply, SyncReply)
                targets.update({s.conv: s.max_seq for s in reply.conversations})
                self.cursor = reply.cursor
                if not reply.has_more:
                    break
            read = 0
            wanted = {c: m for c, m in targets.items() if m > self.held.get(c, 0)}
            while wanted:
                frames = [self._pull(conv, max_seq) for conv, max_seq in wanted.items()]
                answers = await peer.requests(frames)
                for conv, answer in zip(list(wanted), answers, strict=True):
                    assert isinstance(answer, PullReply)
                    read += len(answer.messages)
                    top = max((m.seq for m in answer.messages), default=wanted[conv])
                    self.held[conv] = max(self.held.get(conv, 0), top)
                    if not answer.has_more or not answer.messages or top >= wanted[conv]:
                        del wanted[conv]
            return read
        finally:
            await peer.close()

    def _pull(self, conv: ConvRef, max_seq: int) -> PullRequest:
        held = self.held.get(conv, 0)
        if held == 0:
            return PullRequest(conv=conv, before_seq=max_seq + 1, limit=FIRST_PAGE)
        return PullRequest(conv=conv, after_seq=held, limit=FORWARD_PAGE)


async def send_many(url: str, token: str, convs: Sequence[ConvRef], text: str) -> None:
    """Send one message to each of `convs`, `SEND_WINDOW` in flight at once."""
    peer = await RawPeer.login(url, token, "seeder")
    try:
        for start in range(0, len(convs), SEND_WINDOW):
            frames = [
                SendMessage(
                    conv=conv,
                    object_name="RC:TxtMsg",
                    content={"content": f"{text} {start + i}"},
                    cmid=new_uuid7(),
                )
                for i, conv in enumerate(convs[start : start + SEND_WINDOW])
            ]
            for answer in await peer.requests(frames):
                if not isinstance(answer, SendAck):
                    raise RuntimeError(f"send refused: {answer}")
    finally:
        await peer.close()


class Bench:
    """A server in a temporary directory, tokens for its users, and the timed syncs."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self._secret = load_or_create_secret(root / "server")

    def token(self, user: str) -> str:
        """A token for `user`."""
        return issue_token(self._secret, user)

    async def client_sync(self, user: str, store: str) -> float:
        """Seconds from `start()` (store already open) until synced, on store `store`."""
        client = IMClient(
            server_url=self.url,
            token=self.token(user),
            store_path=self.root / f"{store}.db",
            request_timeout=SYNC_TIMEOUT,
        )
        await client.open()
        try:
            started = time.perf_counter()
            await client.start()
            await client.wait_synced(timeout=SYNC_TIMEOUT)
            return time.perf_counter() - started
        finally:
            await client.close()

    @staticmethod
    async def reader_sync(reader: RawReader, expected: int) -> float:
        """Seconds the raw reader takes to sync; checks it read `expected` messages."""
        started = time.perf_counter()
        read = await reader.sync()
        elapsed = time.perf_counter() - started
        if read != expected:
            raise RuntimeError(f"the raw reader read {read} messages, not {expected}")
        return elapsed


async def catch_up(bench: Bench, missed: int, rounds: int) -> dict[str, Any]:
    """Bob's device was away while alice sent `missed` messages; it comes back."""
    bob = f"bob{missed}"
    reader = RawReader(bench.url, bench.token(bob))
    alice = bench.token(f"alice{missed}")
    # The chat is on the device already: one message, synced by both.
    await send_many(bench.url, alice, [ConvRef.private(bob)], "first")
    await bench.client_sync(bob, bob)
    await bench.reader_sync(reader, 1)
    client_s: list[float] = []
    reader_s: list[float] = []
    for turn in range(rounds):
        await send_many(bench.url, alice, [ConvRef.private(bob)] * missed, "missed")
        if turn % 2:
            client_s.append(await bench.client_sync(bob, bob))
            reader_s.append(await bench.reader_sync(reader, missed))
        else:
            reader_s.append(await bench.reader_sync(reader, missed))
            client_s.append(await bench.client_sync(bob, bob))
    return _figures(f"catch-up of {missed:,} messages", client_s, reader_s)


async def new_device(bench: Bench, conversations: int, rounds: int) -> dict[str, Any]:
    """A user with `conversations` conversations syncs a device new to them."""
    carol = "carol"
    convs = [ConvRef.private(f"friend{i:05d}") for i in range(conversations)]
    await send_many(bench.url, bench.token(carol), convs, "hello")
    client_s: list[float] = []
    reader_s: list[float] = []
    for turn in range(rounds):
        reader = RawReader(bench.url, bench.token(carol))
        reader_s.append(await bench.reader_sync(reader, conversations))
        client_s.append(await bench.client_sync(carol, f"carol-device{turn}"))
    return _figures(f"new device, {conversations:,} conversations", client_s, reader_s)


def _figures(case: str, client_s: list[float], reader_s: list[float]) -> dict[str, Any]:
    client = statistics.median(client_s)
    reader = statistics.median(reader_s)
    return {
        "case": case,
        "client_s": client,
        "reader_s": reader,
        "ratio": client / reader,
        "rounds": len(client_s),
    }


def _config(data_dir: Path) -> ServerConfig:
    """The bench's server: per-user budgets and the per-connection pace lifted."""
    unlimited = FrameBudgets(pull=UNLIMITED, sync=UNLIMITED)
    return ServerConfig(
        data_dir=data_dir,
        port=0,
        rate_per_second=1e9,
        rate_burst=10**9,
        budgets=unlimited,
        # Seeding sends 10,000 frames on one connection: past the default pace it would
        # wait minutes. Requests in flight keep the server's default.
        inbound=InboundPolicy(frames_per_second=1e9, frame_burst=10**9),
    )


async def _serve_alone(data_dir: Path) -> None:
    """Run the bench's server in this process until stdin closes; print its URL first."""
    server = IMServer(_config(data_dir))
    await server.start()
    print(server.url, flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def _server(root: Path, in_process: bool) -> AsyncIterator[str]:
    """The server's URL: in this process, or (the default) in a process of its own, as a
    deployed client meets it, so the server answers on one core while the client stores
    on the other."""
    if in_process:
        server = IMServer(_config(root / "server"))
        await server.start()
        try:
            yield server.url
        finally:
            await server.stop()
        return
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        str(root / "server"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        url = (await asyncio.wait_for(child.stdout.readline(), 30)).decode().strip()
        if not url.startswith("ws://"):
            raise RuntimeError("the bench's server did not start")
        yield url
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()


async def run(
    small: int, large: int, conversations: int, rounds: int, *, in_process: bool = False
) -> list[dict[str, Any]]:
    """Start the server, run every case, return their figures."""
    with tempfile.TemporaryDirectory(prefix="imkit-bench-sync-") as tmp:
        root = Path(tmp)
        async with _server(root, in_process) as url:
            bench = Bench(root, url)
            return [
                await catch_up(bench, small, max(rounds, 3)),
                await catch_up(bench, large, rounds),
                await new_device(bench, conversations, rounds),
            ]


def render(figures: list[dict[str, Any]]) -> str:
    """The figures as a table: median seconds of each side and their ratio."""
    lines = [f"{'case':<34}{'imkit s':>10}{'raw s':>10}{'ratio':>8}"]
    for row in figures:
        lines.append(
            f"{row['case']:<34}{row['client_s']:>10.3f}{row['reader_s']:>10.3f}"
            f"{row['ratio']:>7.2f}x"
        )
    lines.append("imkit: IMClient.start() until synced; raw: a reader that stores nothing.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--small", type=positive_int, default=100, help="default 100")
    parser.add_argument("--large", type=positive_int, default=10_000, help="default 10,000")
    parser.add_argument(
        "--conversations", type=positive_int, default=1000, help="new device (default 1,000)"
    )
    parser.add_argument(
        "--rounds", type=positive_int, default=2, help="runs of each case, median (default 2)"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the server on the bench's own event loop (default: a process of its own)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve_alone(args.serve))
        return 0
    figures = asyncio.run(
        run(args.small, args.large, args.conversations, args.rounds, in_process=args.in_process)
    )
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Group fan-out: imkit's server pushing to 3,000 online members beside bare websockets.

A real in-process `IMServer` holds a group of `--members` users (one sender, the rest
receivers), every one online over its own raw protocol connection (Hello with a token,
then Push frames; no client store). The sender sends `--messages` messages one after
another; each is timed from just before the SendMessage frame leaves until the last
member has its Push, and every member's own send→receive latency is kept.

The baseline, in the same process and event loop, with as many receivers of the same
kind and frames of the same sizes (compression off on both sides), is a bare websockets
server that, for each frame from the sender, sends a Push-sized frame to every other
connection with one `await send()` each, in a loop. `--baseline broadcast` uses
`websockets.broadcast` instead (cheaper: no send lock, no flow control), which is how
the server writes its pushes too (one encoded frame into each connection's buffer), so
that ratio shows the server's routing and storing. Both fan-outs stay connected for the
whole run and take turns, message by message. Only the ratios are meaningful: absolute
figures move with the machine's noise, and the receivers' own reading is in both.

Run: ``python bench/group_fanout.py [--members N] [--messages N] [--warmup W]
[--baseline send|broadcast] [--json]``. Always exits 0; a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _args import non_negative_int, positive_int
from _raw_ws import RawClient
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.uri import parse_uri

from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorFrame,
    Hello,
    MessageRecord,
    Push,
    SendAck,
    SendMessage,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret

GROUP_ID = "fanout"
SENDER = "sender"
OBJECT_NAME = "RC:TxtMsg"
DELIVERY_TIMEOUT = 30.0
CONNECT_CONCURRENCY = 64
CLOSE_TIMEOUT = 5.0
# Sockets besides the members' (the listeners, the store, stdio), kept free.
SPARE_FDS = 128
# Both ends of a member's connection, on the imkit side and on the baseline side.
SOCKETS_PER_MEMBER = 4
TEXT_PREFIX = "bench "


def message_text(index: int) -> str:
    """The text of message `index`: a sequence number the receivers can read back."""
    return f"{TEXT_PREFIX}{index:06d}"


def member_ids(members: int) -> list[str]:
    """The receivers' user ids (the sender is the group's owner and not among them)."""
    return [f"m{index:05d}" for index in range(members - 1)]


def group_conv() -> ConvRef:
    """The group's conversation, as the sender addresses it and every member sees it."""
    return ConvRef(type=ConversationType.GROUP, target=GROUP_ID)


def send_frame(index: int, conv: ConvRef | None = None) -> bytes:
    """The encoded SendMessage of message `index` to `conv` (the group's by default;
    both sides send exactly this)."""
    frame = SendMessage(
        id=index + 1,
        conv=conv or group_conv(),
        object_name=OBJECT_NAME,
        content={"content": message_text(index)},
        cmid=new_uuid7(),
    )
    return encode(frame)


def baseline_frames(index: int, conv: ConvRef | None = None) -> tuple[bytes, bytes]:
    """A Push of message `index` in `conv` (the group's by default) and the sender's
    SendAck, shaped like the server's, for the baseline to send."""
    sent_at = now_ms()
    record = MessageRecord(
        uid=new_uuid7(sent_at),
        conv=conv or group_conv(),
        seq=index + 2,  # seq 1 is the group's "created" notice
        sender=SENDER,
        object_name=OBJECT_NAME,
        content={"content": message_text(index)},
        cmid=new_uuid7(sent_at),
        sent_at=sent_at,
    )
    ack = SendAck(
        re=index + 1,
        cmid=record.cmid,
        uid=record.uid,
        seq=record.seq,
        sent_at=sent_at,
        conv=record.conv,
    )
    return encode(Push(message=record)), encode(ack)


@dataclass
class Tally:
    """Arrivals of each message at the receivers, and when each was sent."""

    expected: int
    started: dict[int, float] = field(default_factory=dict)
    latencies: dict[int, list[float]] = field(default_factory=dict)
    done: dict[int, asyncio.Event] = field(default_factory=dict)
    push_bytes: dict[int, int] = field(default_factory=dict)

    def begin(self, index: int) -> asyncio.Event:
        """Start message `index`'s clock; the event is set when every receiver has it."""
        self.latencies[index] = []
        event = self.done[index] = asyncio.Event()
        self.started[index] = time.perf_counter()
        return event

    def arrive(self, index: int, at: float, size: int) -> None:
        """A receiver got message `index` at `at` in a frame of `size` bytes."""
        arrived = self.latencies.get(index)
        if arrived is None:
            return
        arrived.append(at - self.started[index])
        self.push_bytes.setdefault(index, size)
        if len(arrived) == self.expected:
            self.done[index].set()


class Receiver(RawClient):
    """One member online that notes when each Push arrives (a `RawClient`: no task, no
    queue and no store per member, since the receivers share the event loop with the
    server under test)."""

    def __init__(self, url: str, token: str, tally: Tally) -> None:
        super().__init__(url, token)
        self._tally = tally
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def on_text(self, data: bytes, at: float) -> None:
        """The Welcome, then Pushes."""
        frame = decode_server_frame(data)
        if isinstance(frame, Push):
            text = str(frame.message.content.get("content", ""))
            if text.startswith(TEXT_PREFIX):
                self._tally.arrive(int(text[len(TEXT_PREFIX) :]), at, len(data))
        elif isinstance(frame, Welcome) and not self.ready.done():
            self.ready.set_result(None)
        elif isinstance(frame, ErrorFrame):
            self.on_refused(RuntimeError(f"login refused: {frame.code} {frame.message}"))

    def on_refused(self, exc: BaseException) -> None:
        """The login failed: say so to whoever waits for it."""
        if not self.ready.done():
            self.ready.set_exception(exc)
        super().on_refused(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        """The server closed the connection (or it broke)."""
        self._ws.receive_eof()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before the Welcome"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def close(self) -> None:
        """Close the websocket and wait (briefly) for the server to close the TCP side."""
        if self.closed.done() or self.transport is None:
            return
        self.send_close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await asyncio.shield(self.closed)
        except TimeoutError:
            self.transport.abort()


async def open_receivers(url: str, tokens: Sequence[str], tally: Tally) -> list[Receiver]:
    """Log every token in, a bounded number at a time so the listen backlog keeps up."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(token: str) -> Receiver:
        async with gate:
            _, receiver = await loop.create_connection(
                lambda: Receiver(url, token, tally), uri.host, uri.port
            )
            await receiver.ready
            return receiver

    return list(await asyncio.gather(*(one(token) for token in tokens)))


async def login(url: str, token: str) -> ClientConnection:
    """The sender's connection: Hello with `token`, then wait for the Welcome."""
    ws = await connect(url, compression=None, ping_interval=None, max_size=None, proxy=None)
    hello = Hello(id=1, versions=[1], token=token, device="bench")
    await ws.send(encode(hello), text=True)
    welcome = decode_server_frame(await ws.recv())
    if not isinstance(welcome, Welcome):
        await ws.close()
        raise RuntimeError(f"login refused: {welcome}")
    return ws


@dataclass
class Side:
    """One fan-out under test: its sender, its online receivers and what was measured."""

    sender: ClientConnection
    receivers: list[Receiver]
    tally: Tally
    conv: ConvRef = field(default_factory=group_conv)
    latencies: list[float] = field(default_factory=list)
    fanouts: list[float] = field(default_factory=list)
    lost: int = 0

    @classmethod
    async def open(
        cls, url: str, sender_token: str, tokens: Sequence[str], conv: ConvRef | None = None
    ) -> Side:
        """Log the receivers in, then the sender (who sends to `conv`, the group's by
        default)."""
        tally = Tally(expected=len(tokens))
        receivers = await open_receivers(url, tokens, tally)
        return cls(await login(url, sender_token), receivers, tally, conv or group_conv())

    async def send(self, index: int, timed: bool) -> None:
        """Send message `index` and wait until every receiver has it (or the timeout).

        Its clock starts just before the frame leaves; the sender's ack is read while the
        fan-out goes on and does not stop the clock.
        """
        data = send_frame(index, self.conv)
        done = self.tally.begin(index)
        await self.sender.send(data, text=True)
        reply = decode_server_frame(await self.sender.recv())
        if isinstance(reply, ErrorFrame):
            raise RuntimeError(f"message {index} refused: {reply.code} {reply.message}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                await done.wait()
        arrived = self.tally.latencies[index]
        if timed:
            self.lost += self.tally.expected - len(arrived)
            self.latencies.extend(arrived)
            if arrived:
                self.fanouts.append(max(arrived))

    async def close(self) -> None:
        """Close every connection."""
        await asyncio.gather(self.sender.close(), *(r.close() for r in self.receivers))

    def figures(self) -> dict[str, Any]:
        """Deliveries per second and latency percentiles (ms) of the timed messages."""
        ms = [s * 1000.0 for s in self.latencies]
        # quantiles() needs two points; one sample is every percentile of itself.
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        fanouts = [s * 1000.0 for s in self.fanouts]
        total = sum(self.fanouts)
        sizes = self.tally.push_bytes.values()
        return {
            "deliveries_per_second": len(ms) / total if total else 0.0,
            "p50": cuts[49] if cuts else 0.0,
            "p99": cuts[98] if cuts else 0.0,
            "fanout_p50": statistics.median(fanouts) if fanouts else 0.0,
            "fanout_max": max(fanouts, default=0.0),
            "lost": self.lost,
            "push_bytes": statistics.fmean(sizes) if sizes else 0.0,
        }


class BareFanout:
    """The baseline server: each frame from a connection goes to every other one."""

    def __init__(self, frames: Sequence[tuple[bytes, bytes]], use_broadcast: bool) -> None:
        self._frames = frames
        self._sent = 0
        self._broadcast = use_broadcast
        self._connections: list[ServerConnection] = []
        self._welcome = encode(
            Welcome(
                re=1,
                version=1,
                user_id="m00000",
                server_time=now_ms(),
                heartbeat_seconds=20.0,
                max_frame_bytes=1,
                max_content_bytes=1,
                max_upload_bytes=1,
            )
        )

    async def handle(self, ws: ServerConnection) -> None:
        """Answer the hello, then fan out each frame the connection sends and ack it."""
        await ws.recv()
        await ws.send(self._welcome, text=True)
        self._connections.append(ws)
        try:
            async for _ in ws:
                payload, ack = self._frames[self._sent]
                self._sent += 1
                others = [c for c in self._connections if c is not ws]
                if self._broadcast:
                    broadcast(others, payload, text=True)
                else:
                    for other in others:
                        with contextlib.suppress(ConnectionClosed):
                            await other.send(payload, text=True)
                await ws.send(ack, text=True)
        finally:
            self._connections.remove(ws)


async def start_baseline(
    stack: contextlib.AsyncExitStack,
    members: int,
    frames: int,
    use_broadcast: bool,
    conv: ConvRef | None = None,
) -> Side:
    """A bare websockets fan-out server and its `members` connections, all open (its
    frames shaped as messages of `conv`, the group's by default)."""
    pushes = [baseline_frames(index, conv) for index in range(frames)]
    fanout = BareFanout(pushes, use_broadcast)
    server = await stack.enter_async_context(serve(fanout.handle, "127.0.0.1", 0, compression=None))
    port = next(iter(server.sockets)).getsockname()[1]
    side = await Side.open(f"ws://127.0.0.1:{port}", "-", ["-"] * (members - 1), conv)
    stack.push_async_callback(side.close)
    return side


async def start_imkit(stack: contextlib.AsyncExitStack, root: Path, members: int) -> Side:
    """A real IMServer with a group of `members`, every one of them online."""
    data_dir = root / "server"
    config = ServerConfig(
        data_dir=data_dir,
        port=0,
        rate_per_second=1e6,
        rate_burst=10**6,
        max_group_members=members,
    )
    server = IMServer(config)
    await server.start()
    stack.push_async_callback(server.stop)
    receivers = member_ids(members)
    # Created before anyone connects, so its notice is not pushed to the receivers.
    if not await server.create_group(GROUP_ID, "fan-out", SENDER, receivers):
        raise RuntimeError("the group exists already")
    secret = load_or_create_secret(data_dir)
    tokens = [issue_token(secret, user) for user in receivers]
    side = await Side.open(server.url, issue_token(secret, SENDER), tokens)
    stack.push_async_callback(side.close)
    return side


def raise_fd_limit(members: int) -> tuple[int, str | None]:
    """Raise the open-file limit for both ends of every member's socket on both sides
    (all open at once); if the hard limit is too low, the number of members that fits
    and a note saying so."""
    needed = SOCKETS_PER_MEMBER * members + SPARE_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return members, None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft >= needed:
        return members, None
    fits = max(2, (soft - SPARE_FDS) // SOCKETS_PER_MEMBER)
    return fits, (
        f"note: the open-file limit ({soft}) allows {fits} members, not {members}; "
        "measured with fewer (raise `ulimit -n` for the full size)"
    )


async def take_turns(
    baseline: Side, imkit: Side, warmup: int, messages: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send every message through both sides and return each side's figures.

    Message by message, one side then the other, in this one event loop: a busy moment
    of the machine falls on both sides alike.
    """
    for index in range(warmup + messages):
        for side in (baseline, imkit):
            await side.send(index, timed=index >= warmup)
    return baseline.figures(), imkit.figures()


def ratio(a: float, b: float) -> float:
    """a / b, or 0 when b is 0."""
    return a / b if b else 0.0


async def run(members: int, messages: int, warmup: int, use_broadcast: bool) -> dict[str, Any]:
    """Set up both fan-outs, send every message through each in turn, and return the
    figures and their ratios."""
    members, note = raise_fd_limit(members)
    async with contextlib.AsyncExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imkit-bench-")))
        baseline = await start_baseline(stack, members, warmup + messages, use_broadcast)
        imkit = await start_imkit(stack, root, members)
        # The heap holds every receiver and both servers' connections, far more than a
        # server alone would; a full collection of it takes ~0.5 s here and would land on
        # whichever side happened to trigger it. Freezing what setup made keeps the
        # collections to what the fan-outs themselves allocate.
        gc.collect()
        gc.freeze()
        base, mine = await take_turns(baseline, imkit, warmup, messages)
    return {
        "members": members,
        "receivers": members - 1,
        "messages": messages,
        "warmup": warmup,
        "baseline_kind": "broadcast" if use_broadcast else "send loop",
        "unit": "ms",
        "send_bytes": len(send_frame(0)),
        "baseline": base,
        "imkit": mine,
        "ratio_throughput": ratio(mine["deliveries_per_second"], base["deliveries_per_second"]),
        "ratio_p50": ratio(mine["p50"], base["p50"]),
        "ratio_p99": ratio(mine["p99"], base["p99"]),
        "note": note,
    }


def render(figures: dict[str, Any]) -> str:
    """The figures as a short table plus the ratios."""
    lines = [figures["note"]] if figures["note"] else []
    lines += [
        f"group fan-out, {figures['members']} members ({figures['receivers']} receiving), "
        f"{figures['messages']} messages (after {figures['warmup']} warm-up)",
        f"{'':<22}{'deliv/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'fan-out p50':>13}{'max ms':>9}{'lost':>6}{'push B':>8}",
    ]
    rows = (("websockets " + figures["baseline_kind"], "baseline"), ("imkit IMServer", "imkit"))
    for label, key in rows:
        row = figures[key]
        lines.append(
            f"{label:<22}{row['deliveries_per_second']:>10.0f}{row['p50']:>9.2f}"
            f"{row['p99']:>9.2f}{row['fanout_p50']:>13.2f}{row['fanout_max']:>9.2f}"
            f"{row['lost']:>6}{row['push_bytes']:>8.0f}"
        )
    lines += [
        f"ratio imkit / baseline deliveries per second: {figures['ratio_throughput']:.2f}x",
        f"ratio imkit p50 / baseline p50: {figures['ratio_p50']:.2f}x",
        f"ratio imkit p99 / baseline p99: {figures['ratio_p99']:.2f}x",
    ]
    return "\n".join(lines)


def members_count(value: str) -> int:
    """argparse type: a group size of at least 2 (the sender and one receiver)."""
    number = int(value)
    if number < 2:
        raise argparse.ArgumentTypeError("must be at least 2")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--members",
        type=members_count,
        default=3000,
        help="group size, the sender included (default 3000)",
    )
    parser.add_argument(
        "--messages", type=positive_int, default=20, help="timed messages (default 20)"
    )
    parser.add_argument(
        "--warmup", type=non_negative_int, default=3, help="untimed messages first (default 3)"
    )
    parser.add_argument(
        "--baseline",
        choices=("send", "broadcast"),
        default="send",
        help="the baseline's fan-out: a loop of sends (default) or websockets.broadcast",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = asyncio.run(
        run(args.members, args.messages, args.warmup, args.baseline == "broadcast")
    )
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sustained load: an open-loop rate sweep against imkit's server beside a bare relay.

Each server runs in a process of its own (this script started with `--serve`); the load
comes from this process: `--pairs` senders, each in a private chat with a receiver of
its own, every one on its own websocket speaking the real protocol (Hello with a token,
SendMessage frames, Push frames back). For each rate of the sweep, sends are scheduled at
fixed times (rate per second, spread over the senders in turn) and go out when due,
never waiting for an ack (open loop). A message's latency runs from its scheduled time,
so a server that falls behind is charged for the queue it builds, until its receiver
holds the Push.

The baseline, in the same run and against the same load, is a bare relay: a websockets
server that decodes each SendMessage with imkit's codec, hands the receiver a Push
(imkit's frame, encoded) and the sender a SendAck, and stores and checks nothing. Both
servers are up for the whole run and take turns, rate by rate, so a busy moment of the
machine falls on both. Only the ratios are meaningful.

Run: ``python bench/server_load.py [--rates R,R,...] [--seconds S] [--pairs N] [--json]``.
Always exits 0; a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from _proc import cpu_seconds, loop_cpu_seconds
from _raw_ws import RawClient
from websockets.asyncio.server import ServerConnection, serve
from websockets.uri import parse_uri

from imkit_tui.protocol import (
    ConvRef,
    Hello,
    MessageRecord,
    Push,
    SendAck,
    SendMessage,
    Welcome,
    decode_client_frame,
    encode,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7

P99_LIMIT_MS = 100.0
# Up to 12,000: on a quiet moment the relay sustains 10,000 and more, and a sweep that
# ends below where it passes would overstate imkit's ratio.
DEFAULT_RATES = (500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000)
DRAIN_SECONDS = 3.0
# The first part of each step is left out of the figures: connections warm up.
SETTLE_FRACTION = 0.1
MARK = re.compile(rb'"content":"L(\d+)"')


# ---------------------------------------------------------------------- servers


class BareRelay:
    """The baseline: decodes each SendMessage, pushes it to its receiver, acks it."""

    def __init__(self) -> None:
        self._online: dict[str, ServerConnection] = {}

    async def handle(self, ws: ServerConnection) -> None:
        """Log the connection in under the user its Hello names, then relay."""
        hello = decode_client_frame(_text(await ws.recv()), 1 << 20)
        assert isinstance(hello, Hello)
        user = hello.token
        self._online[user] = ws
        welcome = Welcome(
            re=hello.id,
            version=1,
            user_id=user,
            server_time=now_ms(),
            heartbeat_seconds=20.0,
            max_frame_bytes=1 << 20,
            max_content_bytes=1 << 16,
            max_upload_bytes=1,
        )
        await ws.send(encode(welcome), text=True)
        seqs: dict[str, int] = {}
        try:
            async for raw in ws:
                frame = decode_client_frame(_text(raw), 1 << 20)
                assert isinstance(frame, SendMessage)
                peer = frame.conv.target
                seq = seqs[peer] = seqs.get(peer, 0) + 1
                sent_at = now_ms()
                record = MessageRecord(
                    uid=new_uuid7(sent_at),
                    conv=ConvRef.private(user),
                    seq=seq,
                    sender=user,
                    object_name=frame.object_name,
                    content=frame.content,
                    cmid=frame.cmid,
                    sent_at=sent_at,
                )
                other = self._online.get(peer)
                if other is not None:
                    await other.send(encode(Push(message=record)), text=True)
                ack = SendAck(
                    re=frame.id,
                    cmid=frame.cmid,
                    uid=record.uid,
                    seq=seq,
                    sent_at=sent_at,
                    conv=frame.conv,
                )
                await ws.send(encode(ack), text=True)
        finally:
            self._online.pop(user, None)


def _text(raw: str | bytes) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw


async def serve_relay() -> None:
    """Run the bare relay until killed; print its port."""
    relay = BareRelay()
    async with serve(relay.handle, "127.0.0.1", 0, compression=None, max_size=None) as server:
        print(next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()


async def serve_imkit(data_dir: Path, store_url: str = "", bus_url: str = "") -> None:
    """Run imkit's server on `data_dir` (on the PostgreSQL store `store_url` and the
    NATS bus `bus_url`, when given) until killed; print its port."""
    from imkit_tui.server import IMServer, ServerConfig
    from imkit_tui.server.inbound import InboundPolicy

    # The per-user send limit and the per-connection pace are lifted: the sweep asks
    # more of each connection than a person would, and the relay has neither.
    config = ServerConfig(
        data_dir=data_dir,
        port=0,
        rate_per_second=1e6,
        rate_burst=10**6,
        inbound=InboundPolicy(frames_per_second=1e6, frame_burst=10**6),
        store_url=store_url,
        migrate_store=bool(store_url),
        bus_url=bus_url,
    )
    server = IMServer(config)
    await server.start()
    print(server.port, flush=True)
    try:
        await asyncio.Future()
    finally:
        await server.stop()


# ---------------------------------------------------------------------- load


class Arrivals(dict[int, float]):
    """When each message reached its receiver; `all_in` is set once every message in
    `waiting` has arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: set[int] = set()
        self.all_in = asyncio.Event()

    def note(self, index: int, at: float) -> None:
        """Message `index` arrived at `at`."""
        self[index] = at
        if self.waiting:
            self.waiting.discard(index)
            if not self.waiting:
                self.all_in.set()


class Peer(RawClient):
    """One user online (a `RawClient`, no task): a receiver notes when each Push
    arrives; a sender reads and drops its acks."""

    def __init__(self, url: str, token: str, arrivals: Arrivals | None) -> None:
        super().__init__(url, token, device="load")
        self.arrivals = arrivals
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_text(self, data: bytes, at: float) -> None:
        """The Welcome, then Pushes or acks."""
        if not self.ready.done():
            self.ready.set_result(None)
        elif self.arrivals is not None:
            found = MARK.search(data)
            if found:
                self.arrivals.note(int(found[1]), at)

    def connection_lost(self, exc: Exception | None) -> None:
        """The server went away."""
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before the Welcome"))


class Load:
    """The senders and receivers of one server, and the schedule of each step."""

    def __init__(
        self, url: str, tokens: Sequence[tuple[str, str, str]], receiver_url: str = ""
    ) -> None:
        self.url = url
        self.receiver_url = receiver_url or url
        """Where the receivers connect (another node of the same service, when given)."""
        self.tokens = tokens  # (sender's token, receiver's user id, receiver's token)
        self.senders: list[Peer] = []
        self.arrivals = Arrivals()
        self.next_index = 0

    async def connect(self) -> None:
        """Log every sender and receiver in."""
        loop = asyncio.get_running_loop()
        peers: list[Peer] = []
        for sender_token, _, receiver_token in self.tokens:
            for url, token, arrivals in (
                (self.receiver_url, receiver_token, self.arrivals),
                (self.url, sender_token, None),
            ):
                uri = parse_uri(url)
                _, peer = await loop.create_connection(
                    lambda u=url, t=token, a=arrivals: Peer(u, t, a),  # type: ignore[misc]
                    uri.host,
                    uri.port,
                )
                await peer.ready
                peers.append(peer)
        self.senders = peers[1::2]

    async def step(self, rate: int, seconds: float) -> dict[str, Any]:
        """Send at `rate` a second for `seconds`, open loop; the step's figures."""
        count = int(rate * seconds)
        first = self.next_index
        self.next_index += count
        scheduled: dict[int, float] = {}
        frames = [
            encode(
                SendMessage(
                    id=first + i + 1,
                    conv=ConvRef.private(self.tokens[i % len(self.tokens)][1]),
                    object_name="RC:TxtMsg",
                    content={"content": f"L{first + i}"},
                    cmid=new_uuid7(),
                )
            )
            for i in range(count)
        ]
        start = time.perf_counter() + 0.05
        sent = 0
        while sent < count:
            now = time.perf_counter()
            due = min(count, int((now - start) * rate) + 1) if now >= start else 0
            while sent < due:
                index = first + sent
                scheduled[index] = start + sent / rate
                self.senders[sent % len(self.senders)].send_text(frames[sent])
                sent += 1
            await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
        await self._drain(scheduled)
        settled = first + int(count * SETTLE_FRACTION)
        ms = [
            (self.arrivals[i] - at) * 1000.0
            for i, at in scheduled.items()
            if i >= settled and i in self.arrivals
        ]
        lost = sum(1 for i in scheduled if i not in self.arrivals)
        for i in scheduled:
            self.arrivals.pop(i, None)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [0.0] * 99
        return {"rate": rate, "p50": cuts[49], "p99": cuts[98], "lost": lost}

    async def _drain(self, scheduled: dict[int, float]) -> None:
        """Give the messages still on their way a few seconds to arrive."""
        self.arrivals.waiting = {i for i in scheduled if i not in self.arrivals}
        self.arrivals.all_in.clear()
        if self.arrivals.waiting:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_SECONDS):
                    await self.arrivals.all_in.wait()


def start_server(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    """Start this script in `--serve` mode; the process and the port it printed."""
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip():
        process.kill()
        raise RuntimeError(f"server {args} did not start")
    return process, int(line)


def median_step(same_rate: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One rate's figures over the repeats of the sweep: the median of each latency and
    CPU figure, the most messages lost in any one."""
    figures: dict[str, Any] = {
        key: statistics.median(step[key] for step in same_rate)
        for key in ("p50", "p99", "cpu_us_per_message", "loop_cpu_us_per_message")
    }
    figures["rate"] = same_rate[0]["rate"]
    figures["lost"] = max(step["lost"] for step in same_rate)
    return figures


def sustained(steps: Sequence[dict[str, Any]]) -> tuple[int, int | None]:
    """The highest rate before p99 first passed the limit (or messages were lost), and
    the rate where it passed (None: never in this sweep)."""
    best = 0
    for step in steps:
        if step["p99"] > P99_LIMIT_MS or step["lost"]:
            return best, step["rate"]
        best = step["rate"]
    return best, None


async def run(rates: Sequence[int], seconds: float, pairs: int, repeats: int) -> dict[str, Any]:
    """Both servers, the same load on each, rate by rate, the sweep `repeats` times; the
    median figures of each rate and the ratios."""
    from imkit_tui.protocol.tokens import issue_token
    from imkit_tui.server.auth import load_or_create_secret

    processes: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="imkit-load-") as root:
        data_dir = Path(root) / "server"
        secret = load_or_create_secret(data_dir)
        try:
            relay, relay_port = start_server(["--serve", "relay"])
            processes.append(relay)
            imkit, imkit_port = start_server(["--serve", "imkit", "--data-dir", str(data_dir)])
            processes.append(imkit)
            names = [(f"s{i:04d}", f"r{i:04d}") for i in range(pairs)]
            sides = {
                "relay": Load(f"ws://127.0.0.1:{relay_port}", [(s, r, r) for s, r in names]),
                "imkit": Load(
                    f"ws://127.0.0.1:{imkit_port}",
                    [(issue_token(secret, s), r, issue_token(secret, r)) for s, r in names],
                ),
            }
            for load in sides.values():
                await load.connect()
            runs: dict[str, list[list[dict[str, Any]]]] = {"relay": [], "imkit": []}
            pids = {"relay": relay.pid, "imkit": imkit.pid}
            for _ in range(repeats):
                for sweep in runs.values():
                    sweep.append([])
                for rate in rates:
                    for name, load in sides.items():
                        before = cpu_seconds(pids[name])
                        loop_before = loop_cpu_seconds(pids[name])
                        step = await load.step(rate, seconds)
                        used = cpu_seconds(pids[name]) - before
                        loop_used = loop_cpu_seconds(pids[name]) - loop_before
                        step["cpu_us_per_message"] = used / (rate * seconds) * 1e6
                        step["loop_cpu_us_per_message"] = loop_used / (rate * seconds) * 1e6
                        runs[name][-1].append(step)
        finally:
            for process in processes:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5)
    steps = {
        name: [median_step(same) for same in zip(*sweeps, strict=True)]
        for name, sweeps in runs.items()
    }
    relay_best, relay_passed = sustained(steps["relay"])
    imkit_best, imkit_passed = sustained(steps["imkit"])
    return {
        "pairs": pairs,
        "seconds": seconds,
        "repeats": repeats,
        "p99_limit_ms": P99_LIMIT_MS,
        "steps": steps,
        "relay_sustained": relay_best,
        "relay_passed_at": relay_passed,
        "imkit_sustained": imkit_best,
        "imkit_passed_at": imkit_passed,
        "ratio_sustained": imkit_best / relay_best if relay_best else 0.0,
    }


def render(figures: dict[str, Any]) -> str:
    """The sweep as a table, then the sustained rates and their ratio."""
    lines = [
        f"open-loop sweep, {figures['pairs']} senders -> {figures['pairs']} receivers, "
        f"{figures['seconds']:g} s per rate, medians of {figures['repeats']} sweeps "
        "(latency: scheduled send -> receiver's Push)",
        f"{'rate/s':>8}{'relay p50':>11}{'p99':>9}{'lost':>6}{'cpu us':>8}{'loop':>6}"
        f"{'imkit p50':>11}{'p99':>9}{'lost':>6}{'cpu us':>8}{'loop':>6}{'p99 ratio':>11}",
    ]
    for relay, imkit in zip(figures["steps"]["relay"], figures["steps"]["imkit"], strict=True):
        ratio = imkit["p99"] / relay["p99"] if relay["p99"] else 0.0
        lines.append(
            f"{relay['rate']:>8}{relay['p50']:>11.1f}{relay['p99']:>9.1f}{relay['lost']:>6}"
            f"{relay['cpu_us_per_message']:>8.0f}{relay['loop_cpu_us_per_message']:>6.0f}"
            f"{imkit['p50']:>11.1f}{imkit['p99']:>9.1f}{imkit['lost']:>6}"
            f"{imkit['cpu_us_per_message']:>8.0f}{imkit['loop_cpu_us_per_message']:>6.0f}"
            f"{ratio:>10.1f}x"
        )
    limit = figures["p99_limit_ms"]
    for name in ("relay", "imkit"):
        passed = figures[f"{name}_passed_at"]
        where = f"p99 passed {limit:g} ms at {passed}/s" if passed else "never passed it"
        lines.append(f"{name}: sustained {figures[f'{name}_sustained']}/s ({where})")
    lines.append(f"ratio imkit / relay sustained rate: {figures['ratio_sustained']:.2f}x")
    return "\n".join(lines)


def rate_list(value: str) -> list[int]:
    """argparse type: ascending positive rates, comma-separated."""
    rates = [positive_int(part) for part in value.split(",") if part]
    if not rates or rates != sorted(rates):
        raise argparse.ArgumentTypeError("give ascending rates, e.g. 1000,2000,4000")
    return rates


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the sweep and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", type=rate_list, default=list(DEFAULT_RATES))
    parser.add_argument("--seconds", type=float, default=2.0, help="per rate (default 2)")
    parser.add_argument("--pairs", type=positive_int, default=100, help="senders (default 100)")
    parser.add_argument(
        "--repeats", type=positive_int, default=1, help="sweeps, medians shown (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", choices=("imkit", "relay"), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", default="", help=argparse.SUPPRESS)
    parser.add_argument("--bus", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve == "relay":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_relay())
        return 0
    if args.serve == "imkit":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_imkit(args.data_dir, args.store, args.bus))
        return 0
    figures = asyncio.run(run(args.rates, args.seconds, args.pairs, args.repeats))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Abuse: a normal pair's ack latency while one user floods the server with bad frames.

Starts `imkit serve` in its own process (port 0, a temporary data dir, the default
send limit). A normal pair, alice and bob, speak the real protocol on raw websockets in
this process: alice sends text messages to bob one at a time, 40 a second, and each is
timed from the send until alice holds its ack; bob reads his pushes. First with the
server otherwise idle, then while one user (mallory, in a third process) floods it with
one kind of frame at a time, as fast as the server reads them: bad frames (not JSON,
binary, unknown type, missing fields, integers past 2^63, nesting 1000 deep, content
nesting 980 deep, over the frame limit) and ordinary frame types (ping, sync, pull,
send). Each row prints the pair's p50 and p99 and their ratio to the idle baseline (the
mean of an idle run before the floods and one after), how many frames mallory got in
and how many connections that took (it reconnects whenever the server closes one).

Run: ``python bench/abuse.py [--messages N] [--kinds a,b] [--json]``. Always exits 0;
a measurement, not a test. The aim is p99 within 2x of idle for every kind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from imkit_tui.protocol import (
    ConvRef,
    Hello,
    PullRequest,
    SendAck,
    SendMessage,
    ServerFrame,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server.auth import load_or_create_secret

TARGET_P99_RATIO = 2.0
SETTLE_SECONDS = 0.5
PAIR_RATE = 40.0
ROW_SECONDS = 40.0
ACK_TIMEOUT = 30.0
PEER = ConvRef.private("bob")
VICTIM = ConvRef.private("victim")


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _send_text(content: str) -> str:
    return (
        '{"t":"send","id":7,"conv":{"type":1,"target":"victim"},"object_name":"RC:TxtMsg",'
        f'"content":{content},"cmid":"{new_uuid7()}"}}'
    )


#: One frame of each kind mallory floods with; called anew for every frame.
BAD_FRAMES: dict[str, Callable[[], str | bytes]] = {
    "not-json": lambda: "{not json at all",
    "binary": lambda: b"\x00\x01binary",
    "unknown-type": lambda: '{"t":"nope","id":3}',
    "missing-fields": lambda: '{"t":"send","id":4}',
    "bigint": lambda: (
        '{"t":"pull","id":5,"conv":{"type":1,"target":"victim"},"after_seq":' + str(2**64) + "}"
    ),
    "deep-frame": lambda: '{"t":"ping","id":6,"x":' + "[" * 1000 + "]" * 1000 + "}",
    "deep-content": lambda: _send_text(_nested(980)),
    "oversize": lambda: _send_text('{"content":"' + "x" * (300 * 1024) + '"}'),
}
FRAME_TYPES: dict[str, Callable[[], str | bytes]] = {
    "ping": lambda: '{"t":"ping","id":8}',
    "sync": lambda: '{"t":"sync","id":9,"since":0}',
    "pull": lambda: encode(PullRequest(id=10, conv=VICTIM, before_seq=2**40, limit=500)).decode(),
    "send": lambda: _send_text('{"content":"hi"}'),
}
KINDS = {**BAD_FRAMES, **FRAME_TYPES}


# ---------------------------------------------------------------- the flooding process


async def flood(url: str, token: str, kind: str) -> None:
    """Send frames of `kind` as fast as the server takes them, reconnecting when closed,
    until SIGTERM; then print the frames sent and the connections used."""
    make = KINDS[kind]
    sent = connections = 0
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def run() -> None:
        nonlocal sent, connections
        while True:
            try:
                async with connect(url, max_size=None, compression=None) as ws:
                    connections += 1
                    hello = Hello(id=1, versions=[1], token=token, device="flood")
                    await ws.send(encode(hello).decode())
                    await ws.recv()
                    if connections == 1:
                        print("flooding", flush=True)
                    drain = asyncio.create_task(_drain(ws))
                    try:
                        while True:
                            await ws.send(make())
                            sent += 1
                            await asyncio.sleep(0)  # let the close frame in
                    finally:
                        drain.cancel()
            except (ConnectionClosed, OSError, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.01)

    task = asyncio.create_task(run())
    await stop.wait()
    task.cancel()
    print(sent, connections, flush=True)


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


# ---------------------------------------------------------------- the measuring side


class Pair:
    """Alice and bob on raw connections: alice sends, bob reads his pushes."""

    def __init__(self, alice: ClientConnection, bob: ClientConnection) -> None:
        self.alice = alice
        self.bob = bob
        self._next = 100
        self._bob_reader = asyncio.create_task(_drain(bob))

    @classmethod
    async def open(cls, url: str, tokens: dict[str, str]) -> Pair:
        """Log both in."""
        sockets = []
        for user in ("alice", "bob"):
            ws = await connect(url, max_size=None, compression=None)
            hello = Hello(id=1, versions=[1], token=tokens[user], device="pair")
            await ws.send(encode(hello).decode())
            await ws.recv()
            sockets.append(ws)
        return cls(*sockets)

    async def ack_times(self, messages: int) -> list[float]:
        """Seconds from each send until its ack, one message at a time, at most
        PAIR_RATE a second (within the server's default send limit); fewer when the
        row runs past ROW_SECONDS (the server is that slow)."""
        samples: list[float] = []
        deadline = time.perf_counter() + ROW_SECONDS
        for index in range(messages):
            if samples and time.perf_counter() > deadline:
                break
            await asyncio.sleep(1.0 / PAIR_RATE)
            self._next += 1
            frame = SendMessage(
                id=self._next,
                conv=PEER,
                object_name="RC:TxtMsg",
                content={"content": f"abuse {index}"},
                cmid=new_uuid7(),
            )
            started = time.perf_counter()
            await self.alice.send(encode(frame).decode())
            try:
                answer = await asyncio.wait_for(self._answer(frame.id), ACK_TIMEOUT)
            except TimeoutError:  # stalled: the wait counts, and the row ends here
                samples.append(time.perf_counter() - started)
                print(f"no ack within {ACK_TIMEOUT:.0f} s", file=sys.stderr, flush=True)
                break
            samples.append(time.perf_counter() - started)
            if not isinstance(answer, SendAck):
                raise RuntimeError(f"message {index} refused: {answer}")
        return samples

    async def _answer(self, request_id: int) -> ServerFrame:
        while True:
            raw = await self.alice.recv()
            answer = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
            if answer.re == request_id:
                return answer

    async def close(self) -> None:
        """Close both connections."""
        self._bob_reader.cancel()
        await asyncio.gather(self.alice.close(), self.bob.close())


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of `samples` (seconds), in milliseconds, and how many there were."""
    ms = [s * 1000.0 for s in samples]
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"p50": cuts[49], "p99": cuts[98], "acked": len(ms)}


def _start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imkit_tui",
            "serve",
            "--port",
            "0",
            "--data",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=data_dir.parent,  # `-m` would import the package in the current folder first
    )
    assert server.stdout is not None
    for line in server.stdout:
        found = re.search(r"listening on (\S+)", line)
        if found:
            return server, found.group(1)
    raise RuntimeError("the server did not start")


def _start_flood(url: str, token: str, kind: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--flood", kind, "--url", url, "--token", token],
        stdout=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # too busy with a backlog to stop in time
        process.kill()
        out, _ = process.communicate()
    return out


async def run(messages: int, kinds: list[str]) -> dict[str, Any]:
    """Measure the idle pair, then the pair beside each kind of flood."""
    with tempfile.TemporaryDirectory(prefix="imkit-abuse-") as tmp:
        data_dir = Path(tmp) / "server"
        server, url = _start_server(data_dir)
        try:
            secret = load_or_create_secret(data_dir)
            tokens = {u: issue_token(secret, u) for u in ("alice", "bob", "mallory")}
            pair = await Pair.open(url, tokens)
            await pair.ack_times(50)  # warm-up
            idle = summarize(await pair.ack_times(messages))
            print("idle before", idle, file=sys.stderr, flush=True)
            rows: dict[str, Any] = {}
            for kind in kinds:
                flooder = _start_flood(url, tokens["mallory"], kind)
                assert flooder.stdout is not None
                flooder.stdout.readline()  # "flooding": logged in, first frames on the way
                await asyncio.sleep(SETTLE_SECONDS)
                row = summarize(await pair.ack_times(messages))
                counts = [int(n) for n in _stop(flooder).split()] or [-1, -1]  # -1: killed
                sent, connections = counts[0], counts[1]
                row["flood_frames"] = sent
                row["connections"] = connections
                row["server_up"] = server.poll() is None
                rows[kind] = row
                print(kind, row, file=sys.stderr, flush=True)
            again = summarize(await pair.ack_times(messages))
            await pair.close()
        finally:
            _stop(server)
    # The machine's noise moves the idle figure too: the baseline is the mean of an idle
    # run before the floods and one after them.
    baseline = {key: (idle[key] + again[key]) / 2 for key in ("p50", "p99")}
    rows = {"idle before": idle, "idle after": again, **rows}
    for row in rows.values():
        row["ratio_p50"] = row["p50"] / baseline["p50"]
        row["ratio_p99"] = row["p99"] / baseline["p99"]
    worst = max(r["ratio_p99"] for k, r in rows.items() if not k.startswith("idle"))
    return {
        "messages": messages,
        "unit": "ms",
        "rows": rows,
        "worst_ratio_p99": worst,
        "target_p99_ratio": TARGET_P99_RATIO,
        "target_met": worst <= TARGET_P99_RATIO,
    }


def render(figures: dict[str, Any]) -> str:
    """The figures as a table, one row per flood kind, and the verdict."""
    lines = [
        f"alice→bob ack latency, {figures['messages']} messages per row, ms",
        f"{'flood':<16}{'p50':>9}{'p99':>9}{'×p50':>8}{'×p99':>8}{'acked':>7}"
        f"{'frames':>9}{'conns':>7}",
    ]
    for kind, row in figures["rows"].items():
        lines.append(
            f"{kind:<16}{row['p50']:>9.2f}{row['p99']:>9.2f}"
            f"{row['ratio_p50']:>8.2f}{row['ratio_p99']:>8.2f}{row['acked']:>7}"
            f"{row.get('flood_frames', ''):>9}{row.get('connections', ''):>7}"
        )
    verdict = "met" if figures["target_met"] else "NOT met"
    lines.append(
        f"worst p99 ratio: {figures['worst_ratio_p99']:.2f}x "
        f"(aim ≤ {figures['target_p99_ratio']:.0f}x: {verdict})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print. Always 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=positive_int, default=200)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--flood", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.flood:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(flood(args.url, args.token, args.flood))
        return 0
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    figures = asyncio.run(run(args.messages, kinds))
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end latency: imkit send→receive beside a bare websockets echo from the same run.

Two real clients (alice, bob) talk through a real in-process `IMServer`; each message is
timed from `alice.send_text()` until bob's `MessagesReceived` event holds it, one message
at a time. The baseline is the round trip of a bare websockets echo (same process, same
event loop, same N and warm-up, compression off, a frame of the size imkit sends). Only
the ratio of the two is meaningful: absolute figures move with the machine's noise.

Run: ``python bench/e2e_latency.py [--messages N] [--warmup W] [--json]``. Always exits 0;
this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import non_negative_int, positive_int
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from imkit_tui.core import IMClient, MessagesReceived, MessageUpdated, SendStatus, Subscription
from imkit_tui.protocol import ConvRef, SendMessage, encode
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret

TARGET_P50_RATIO = 3.0
EVENT_TIMEOUT = 10.0


def message_text(index: int) -> str:
    """The text of message `index`: a sequence number the receiver can match."""
    return f"bench {index:06d}"


def echo_payload(index: int) -> str:
    """A JSON text frame the size of the one imkit sends for message `index`."""
    frame = SendMessage(
        id=index + 1,
        conv=ConvRef.private("bob"),
        object_name="RC:TxtMsg",
        content={"content": message_text(index)},
        cmid=new_uuid7(),
    )
    return encode(frame).decode()


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and mean of `samples` (seconds), in milliseconds."""
    ms = [s * 1000.0 for s in samples]
    # quantiles() needs two points; one sample is every percentile of itself.
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "p50": cuts[49],
        "p90": cuts[89],
        "p99": cuts[98],
        "mean": statistics.fmean(ms),
    }


async def _echo_handler(ws: ServerConnection) -> None:
    """Send every frame straight back."""
    async for frame in ws:
        await ws.send(frame)


async def measure_echo(messages: int, warmup: int) -> list[float]:
    """Round-trip times (seconds) of a bare websockets echo on 127.0.0.1, one at a time."""
    samples: list[float] = []
    async with serve(_echo_handler, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
            for index in range(warmup + messages):
                payload = echo_payload(index)
                started = time.perf_counter()
                await ws.send(payload)
                reply = await ws.recv()
                elapsed = time.perf_counter() - started
                if reply != payload:
                    raise RuntimeError(f"echo {index} came back altered")
                if index >= warmup:
                    samples.append(elapsed)
    return samples


async def _wait_received(events: Subscription, text: str) -> None:
    """Wait until a MessagesReceived event holds a message with `text`."""
    while True:
        event = await events.next(EVENT_TIMEOUT)
        if isinstance(event, MessagesReceived) and any(
            m.content.get("content") == text for m in event.messages
        ):
            return


async def _wait_sent(events: Subscription, text: str) -> None:
    """Wait until the sender's copy of the message with `text` is acknowledged."""
    while True:
        event = await events.next(EVENT_TIMEOUT)
        if (
            isinstance(event, MessageUpdated)
            and event.message.content.get("content") == text
            and event.message.status != SendStatus.SENDING
        ):
            if event.message.status != SendStatus.SENT:
                raise RuntimeError(f"{text!r} failed with error {event.message.error}")
            return


async def measure_imkit(alice: IMClient, bob: IMClient, messages: int, warmup: int) -> list[float]:
    """Send→receive times (seconds) from alice to bob through the server, one at a time.

    The clock runs from the call to `send_text` until bob's event holds the message.
    Alice's ack is awaited after that, untimed, so each message starts from an idle system.
    """
    samples: list[float] = []
    conv = ConvRef.private(bob.user_id)
    with alice.subscribe() as sent_events, bob.subscribe() as received_events:
        for index in range(warmup + messages):
            text = message_text(index)
            started = time.perf_counter()
            await alice.send_text(conv, text)
            await _wait_received(received_events, text)
            elapsed = time.perf_counter() - started
            await _wait_sent(sent_events, text)
            if index >= warmup:
                samples.append(elapsed)
    return samples


async def run(messages: int, warmup: int) -> dict[str, Any]:
    """Start the server and both clients, measure both loops, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="imkit-bench-") as tmp:
        root = Path(tmp)
        data_dir = root / "server"
        server = IMServer(
            ServerConfig(data_dir=data_dir, port=0, rate_per_second=1e6, rate_burst=10**6)
        )
        await server.start()
        clients: list[IMClient] = []
        try:
            secret = load_or_create_secret(data_dir)
            for user in ("alice", "bob"):
                client = IMClient(
                    server_url=server.url,
                    token=issue_token(secret, user),
                    store_path=root / f"{user}.db",
                )
                clients.append(client)
                await client.start()
                await client.wait_synced(timeout=10)
            alice, bob = clients
            # Both loops run in this process and event loop, the server and clients idle
            # during the echo, so the ratio compares like with like.
            echo = summarize(await measure_echo(messages, warmup))
            imkit = summarize(await measure_imkit(alice, bob, messages, warmup))
        finally:
            await asyncio.gather(*(c.close() for c in clients))
            await server.stop()
    ratio_p50 = imkit["p50"] / echo["p50"]
    ratio_p99 = imkit["p99"] / echo["p99"]
    return {
        "messages": messages,
        "warmup": warmup,
        "unit": "ms",
        "echo": echo,
        "imkit": imkit,
        "ratio_p50": ratio_p50,
        "ratio_p99": ratio_p99,
        "target_p50_ratio": TARGET_P50_RATIO,
        "target_met": ratio_p50 <= TARGET_P50_RATIO,
    }


def render(figures: dict[str, Any]) -> str:
    """The figures as a short table plus the ratios and the verdict."""
    lines = [
        f"send→receive latency, {figures['messages']} messages "
        f"(after {figures['warmup']} warm-up), ms",
        f"{'':<16}{'p50':>9}{'p90':>9}{'p99':>9}{'mean':>9}",
    ]
    for label, key in (("websockets echo", "echo"), ("imkit e2e", "imkit")):
        row = figures[key]
        lines.append(
            f"{label:<16}{row['p50']:>9.3f}{row['p90']:>9.3f}{row['p99']:>9.3f}{row['mean']:>9.3f}"
        )
    verdict = "met" if figures["target_met"] else "NOT met"
    lines += [
        f"ratio imkit p50 / echo p50: {figures['ratio_p50']:.2f}x",
        f"ratio imkit p99 / echo p99: {figures['ratio_p99']:.2f}x",
        f"aim: p50 within {figures['target_p50_ratio']:g}x of the echo: {verdict}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--messages", type=positive_int, default=1000, help="timed messages (default 1000)"
    )
    parser.add_argument(
        "--warmup", type=non_negative_int, default=50, help="untimed messages first (default 50)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.messages, args.warmup))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

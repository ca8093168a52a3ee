"""Routing and the message callback: what they cost the chat, as ratios to both off.

A real in-process `IMServer`; a backend in a process of its own on 127.0.0.1 that
answers every POST at once (`{"code": 200, "pass": 1}`). Four modes, run interleaved
`--repeat` times, medians quoted: `off` (no hooks), `routing` (every message routed),
`callback` (routing, and every message held for the message callback first), `held`
(the callback alone, nothing routed: what the callback adds is `held`'s p50 less
`off`'s; beside routing, the same backend also answers the routed messages).

- latency: alice sends to bob one message at a time over raw websockets; the time from
  the send until bob's push arrives (p50, p99).
- throughput: `--senders` users each pipeline `--messages` messages to bob; messages a
  second until every ack is back (`acked`), and until the backend has every routed
  message too (`routed`); and this process's CPU time per message over that time
  (`CPU us`: server and clients, every message routed by then), and the router
  process's (`router us`: on SQLite routed messages leave from a process of their own,
  server/hooks/router.py). On a shared machine the CPU figures move far less from run
  to run than the rates do.

Aims (the issue's): routing costs at most 10% of throughput; a callback adds no more
than the backend's own answer time (quoted: the backend's round trip alone, p50, as
aiohttp's client and as the hooks' own client see it back to back; the aim is held to
the second, the smaller. Also quoted: the hooks' client a millisecond apart, as a held
send meets the backend one message at a time, both sides waking from idle for it).

Each repeat also runs :func:`paired_callback`: the callback's cost message by message,
beside the backend's answer to the same question asked bare at the same moments (a
round trip measured once, before the runs, is not the answer a held send meets).

`--store postgresql` runs every server on a PostgreSQL store of its own (a schema of
``IMKIT_TEST_POSTGRES``, dropped after; bench/_pg.py), where the node that sends the
queue runs the router process.

Run: ``python bench/routing.py [--repeat 3] [--senders 8] [--messages 300]
[--latency 300] [--store sqlite|postgresql] [--json]``. Always exits 0; this is a
measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from _args import positive_int
from _pg import drop_schemas, schema_url
from _proc import cpu_seconds
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect

from imkit_tui.protocol import ConversationType, ConvRef, Hello, Push, SendAck, SendMessage, encode
from imkit_tui.protocol import decode_server_frame as decode
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.hooks.forms import content_text, values_form, values_of
from imkit_tui.server.hooks.http1 import HttpClient
from imkit_tui.server.hooks.sender import FORM
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.routing import Route

MODES = ("off", "routing", "callback", "held")

SPACING_SECONDS = 0.001
"""The pause between the backend's spaced round trips (about a held send's own)."""


def backend_process(port_out: Any) -> None:
    """The backend process: answer every POST at once (`{"code": 200, "pass": 1}`); its
    port goes to `port_out`."""

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"code": 200, "pass": 1})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def _login(url: str, secret: bytes, user: str) -> ClientConnection:
    ws = await connect(url, compression=None, max_size=None)
    await ws.send(
        encode(Hello(id=1, versions=[1], token=issue_token(secret, user), device="bench")),
        text=True,
    )
    await ws.recv()  # Welcome
    return ws


def _send(index: int, cmid: str, to: str = "bob") -> str:
    frame = SendMessage(
        id=index + 10,
        conv=ConvRef.private(to),
        object_name="RC:TxtMsg",
        content={"content": cmid},
        cmid=cmid,
    )
    return encode(frame).decode()


async def _latency(url: str, secret: bytes, count: int, tag: str) -> list[float]:
    alice, bob = await _login(url, secret, "alice"), await _login(url, secret, "bob")
    samples = []
    try:
        for index in range(count + 20):
            elapsed = await _one_message(alice, bob, index, f"{tag}-l")
            if index >= 20:
                samples.append(elapsed)
    finally:
        await alice.close()
        await bob.close()
    return samples


async def _pipeline(url: str, secret: bytes, user: str, count: int, tag: str) -> None:
    ws = await _login(url, secret, user)
    try:
        for index in range(count):
            await ws.send(_send(index, f"{tag}-{user}-{index}"), text=True)
        acked = 0
        while acked < count:
            if isinstance(decode(_bytes(await ws.recv())), SendAck):
                acked += 1
    finally:
        await ws.close()


def _bytes(raw: str | bytes) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw


async def _backend_round_trip(url: str, count: int) -> dict[str, float]:
    """The backend's answer time alone, p50 ms, as aiohttp's client and as the hooks'
    own client (server/hooks/http1.py) see it, back to back; and the hooks' client with
    SPACING_SECONDS between requests (`hooks_spaced`), as a held send meets the backend
    one message at a time: both sides idle between, and waking costs."""
    aiohttp_samples, own_samples = [], []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.post(url, data={"a": "b"}) as answer:
                await answer.read()
            aiohttp_samples.append(time.perf_counter() - started)
    spaced_samples = []
    client = HttpClient(timeout=5)
    try:
        for _ in range(count):
            started = time.perf_counter()
            await client.post(url, b"a=b", "application/x-www-form-urlencoded")
            own_samples.append(time.perf_counter() - started)
        for _ in range(count):
            await asyncio.sleep(SPACING_SECONDS)
            started = time.perf_counter()
            await client.post(url, b"a=b", "application/x-www-form-urlencoded")
            spaced_samples.append(time.perf_counter() - started)
    finally:
        await client.close()
    return {
        "aiohttp": statistics.median(aiohttp_samples) * 1000,
        "hooks": statistics.median(own_samples) * 1000,
        "hooks_spaced": statistics.median(spaced_samples) * 1000,
    }


def _config(args: argparse.Namespace, data: Path) -> ServerConfig:
    """A bench server's config: no send limit; on a PostgreSQL schema of its own with
    `--store postgresql` (dropped after the run)."""
    store: dict[str, Any] = {}
    if args.store == "postgresql":
        schema = f"bench_routing_{uuid.uuid4().hex[:12]}"
        args.schemas.append(schema)
        store = {"store_url": schema_url(schema), "migrate_store": True}
    return ServerConfig(data_dir=data, port=0, rate_per_second=1e6, rate_burst=10**6, **store)


async def _one_message(
    alice: ClientConnection, bob: ClientConnection, index: int, tag: str
) -> float:
    """Alice sends bob one message: the seconds until bob's push (then her ack is read)."""
    started = time.perf_counter()
    await alice.send(_send(index, f"{tag}-{index}"), text=True)
    while not isinstance(decode(_bytes(await bob.recv())), Push):
        pass
    elapsed = time.perf_counter() - started
    while not isinstance(decode(_bytes(await alice.recv())), SendAck):
        pass
    return elapsed


QUESTION = values_form(
    values_of(
        "alice",
        "bob",
        Route(ConversationType.PRIVATE, "bench", (), ()),
        "RC:TxtMsg",
        content_text({"content": "r0paired-h-0"}),
        1_700_000_000_000,
        "",
        from_device=True,
    )
).encode()
"""A held send's question as the backend gets it (its signature aside, as long)."""

SIGNATURE = "appKey=benchkey&nonce=" + "0" * 32 + "&timestamp=1700000000000&signature=" + "0" * 40


async def paired_callback(backend: str, args: argparse.Namespace, tag: str) -> dict[str, float]:
    """The callback's cost met message by message: two servers in this process, one
    holding every message for the callback and one not, and the backend answering the
    same question asked bare by the hooks' own client, taking turns message by message.
    What the callback adds (`held` p50 less `off` p50) is set beside the bare question's
    round trip (`answer`), met in the same process at the same moments, both sides
    waking from the same idle as a held send's question does. Medians, ms."""
    with tempfile.TemporaryDirectory(prefix="imkit-bench-") as tmp:
        servers = [IMServer(_config(args, Path(tmp) / mode)) for mode in ("off", "held")]
        clients: list[ClientConnection] = []
        hooks = None
        question = HttpClient(timeout=5)
        try:
            for server in servers:
                await server.start()
            hooks = await start_hooks(servers[1], HooksConfig(moderation_url=f"{backend}/moderate"))
            pairs: list[tuple[ClientConnection, ClientConnection]] = []
            for server in servers:
                secret = load_or_create_secret(server.config.data_dir)
                alice = await _login(server.url, secret, "alice")
                bob = await _login(server.url, secret, "bob")
                clients += (alice, bob)
                pairs.append((alice, bob))
            samples: dict[str, list[float]] = {"off": [], "held": [], "answer": []}
            for index in range(args.latency + 20):
                off = await _one_message(*pairs[0], index, f"{tag}-off")
                held = await _one_message(*pairs[1], index, f"{tag}-held")
                started = time.perf_counter()
                await question.post(f"{backend}/moderate", QUESTION, FORM, SIGNATURE)
                answer = time.perf_counter() - started
                if index >= 20:
                    for key, value in (("off", off), ("held", held), ("answer", answer)):
                        samples[key].append(value)
        finally:
            await question.close()
            for ws in clients:
                await ws.close()
            if hooks is not None:
                await hooks.stop()
            for server in servers:
                await server.stop()
    p50 = {key: statistics.median(values) * 1000 for key, values in samples.items()}
    return {**p50, "added": p50["held"] - p50["off"]}


async def one_run(mode: str, backend: str, args: argparse.Namespace, tag: str) -> dict[str, float]:
    """One mode's figures, on a fresh server (and store)."""
    with tempfile.TemporaryDirectory(prefix="imkit-bench-") as tmp:
        data = Path(tmp) / "server"
        server = IMServer(_config(args, data))
        await server.start()
        hooks = None
        try:
            if mode != "off":
                moderation = f"{backend}/moderate" if mode in ("callback", "held") else ""
                routing = f"{backend}/route" if mode != "held" else ""
                hooks_config = HooksConfig(routing_url=routing, moderation_url=moderation)
                hooks = await start_hooks(server, hooks_config)
                while hooks.router is not None and not hooks.router.reports:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)  # the router process is up
            secret = load_or_create_secret(data)
            lat = await _latency(server.url, secret, args.latency, tag)
            router = hooks.router.pid if hooks is not None and hooks.router is not None else None
            router_cpu = _process_cpu(router)
            started, cpu = time.perf_counter(), time.process_time()
            users = [f"u{i}" for i in range(args.senders)]
            await asyncio.gather(
                *(_pipeline(server.url, secret, u, args.messages, tag) for u in users)
            )
            acked = time.perf_counter() - started
            while hooks is not None and hooks.sender.waiting:  # noqa: ASYNC110 - a count
                await asyncio.sleep(0.002)
            routed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            router_cpu = _process_cpu(router) - router_cpu
        finally:
            if hooks is not None:
                await hooks.stop()
            await server.stop()
    total = args.senders * args.messages
    ms = sorted(s * 1000 for s in lat)
    return {
        "p50_ms": statistics.median(ms),
        "p99_ms": ms[int(len(ms) * 0.99) - 1],
        "acked_per_s": total / acked,
        "routed_per_s": total / routed,
        "cpu_us": cpu / total * 1e6,
        "router_us": router_cpu / total * 1e6,
    }


def _process_cpu(pid: int | None) -> float:
    """The CPU seconds process `pid` has used (0 for None)."""
    return 0.0 if pid is None else cpu_seconds(pid)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every mode `--repeat` times, interleaved; medians and ratios to `off`."""
    ports: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=backend_process, args=(ports,), daemon=True)
    process.start()
    try:
        backend = f"http://127.0.0.1:{ports.get(timeout=20)}"
        round_trip = await _backend_round_trip(f"{backend}/x", 200)
        runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        paired: list[dict[str, float]] = []
        for repeat in range(args.repeat):
            for mode in MODES:
                runs[mode].append(await one_run(mode, backend, args, f"r{repeat}{mode}"))
            paired.append(await paired_callback(backend, args, f"r{repeat}paired"))
    finally:
        process.terminate()
        process.join(5)
        if args.schemas:
            await drop_schemas(args.schemas)
    medians = {
        mode: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        for mode, rows in runs.items()
    }
    off = medians["off"]
    return {
        "store": args.store,
        "repeat": args.repeat,
        "senders": args.senders,
        "messages": args.messages,
        "backend_round_trip_ms": round_trip,
        "medians": medians,
        "routing_throughput_ratio": medians["routing"]["acked_per_s"] / off["acked_per_s"],
        "routing_routed_ratio": medians["routing"]["routed_per_s"] / off["acked_per_s"],
        "routing_p50_ratio": medians["routing"]["p50_ms"] / off["p50_ms"],
        "routing_cpu_ratio": medians["routing"]["cpu_us"] / off["cpu_us"],
        "callback_added_p50_ms": medians["held"]["p50_ms"] - off["p50_ms"],
        "callback_beside_routing_ms": medians["callback"]["p50_ms"] - medians["routing"]["p50_ms"],
        "callback_throughput_ratio": medians["callback"]["acked_per_s"] / off["acked_per_s"],
        "paired": paired,
        "paired_ratios": [run["added"] / run["answer"] for run in paired],
    }


def render(f: dict[str, Any]) -> str:
    """The figures as a table and the ratios."""
    lines = [
        f"{f['store']}: medians of {f['repeat']} interleaved runs; {f['senders']} senders x "
        f"{f['messages']} messages; the backend's round trip alone, p50:"
        f" {f['backend_round_trip_ms']['aiohttp']:.3f} ms by aiohttp's client,"
        f" {f['backend_round_trip_ms']['hooks']:.3f} ms by the hooks' own",
        f"{'mode':<10}{'p50 ms':>9}{'p99 ms':>9}{'acked/s':>10}{'routed/s':>10}{'CPU us':>8}"
        f"{'router us':>10}",
    ]
    for mode, row in f["medians"].items():
        lines.append(
            f"{mode:<10}{row['p50_ms']:>9.3f}{row['p99_ms']:>9.3f}"
            f"{row['acked_per_s']:>10.0f}{row['routed_per_s']:>10.0f}{row['cpu_us']:>8.1f}"
            f"{row['router_us']:>10.1f}"
        )
    lines += [
        f"routing: throughput {f['routing_throughput_ratio']:.2f}x of off "
        f"(until routed too: {f['routing_routed_ratio']:.2f}x), p50 {f['routing_p50_ratio']:.2f}x,"
        f" CPU per message (all of it routed) {f['routing_cpu_ratio']:.2f}x",
        f"callback: adds {f['callback_added_p50_ms']:.3f} ms at p50 "
        f"(the backend alone: {f['backend_round_trip_ms']['hooks']:.3f} ms back to back, "
        f"{f['backend_round_trip_ms']['hooks_spaced']:.3f} ms a millisecond apart); "
        f"throughput {f['callback_throughput_ratio']:.2f}x of off; beside routing it adds"
        f" {f['callback_beside_routing_ms']:.3f} ms (the backend answers both)",
        "callback, message by message (off, held and the bare question taking turns): adds "
        + ", ".join(
            f"{run['added']:.3f} ms / {run['answer']:.3f} ms = {ratio:.2f}x"
            for run, ratio in zip(f["paired"], f["paired_ratios"], strict=True)
        )
        + " of the backend's answer met at the same moments",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run and print. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=positive_int, default=3)
    parser.add_argument("--senders", type=positive_int, default=8)
    parser.add_argument("--messages", type=positive_int, default=300, help="per sender")
    parser.add_argument("--latency", type=positive_int, default=300, help="timed messages")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    args.schemas = []
    figures = asyncio.run(run(args))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

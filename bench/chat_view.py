"""The chat view inside the whole app: opening a huge conversation, and a steady stream.

1. Open a conversation of 100,000 messages (local store), switching back and forth;
   baseline: opening a 50-message conversation the same way, in the same run. The chat
   view's own share (``ChatView.show`` of the first page) is timed apart.
2. Receive 1,000 messages at a steady rate (default 100 a second) from a real peer
   (its own process) through a real server (`imkit serve`, its own process) into the
   open 100,000-message view, then the same into an open 50-message view, and time the
   app's handling of each event (store event → list row → chat view, read receipt
   included; a burst of pushes stored together comes as one event)
   and, apart, the chat view's own share (``ChatView.add``: the bubble made, drawn and
   followed into view). Aim: the view's share p99 ≤ 8 ms whatever the history. Baseline:
   the same handling for a conversation that is not open (list row only).

The app runs headless (`App.run_test`). Only ratios mean much on a noisy machine.
Run: ``python bench/chat_view.py [--history N] [--stream N] [--rate R]``. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.core.store import Coverage, LocalStore
from imkit_tui.protocol import ConvRef, MessageRecord, encode_content
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.store import Member, private_key
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.chat_view import ChatView


def ms(values: list[float]) -> dict[str, float]:
    """p50/p99/max of seconds, in milliseconds."""
    ordered = sorted(v * 1000 for v in values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


async def seed(server: IMServer, store_path: Path, peer: str, count: int) -> None:
    """The same `count` messages in the server's store and in the local store."""
    assert server.store is not None
    base = int(time.time() * 1000) - count * 1000
    local = await LocalStore.open(store_path, "me")
    try:
        batch: list[MessageRecord] = []
        for i in range(count):
            sender = peer if i % 3 else "me"
            content = {"content": f"history line {i} with a few more words in it"}
            stored = await server.store.append(
                conv_type=1,
                conv_key=private_key("me", peer),
                members=[Member("me", peer), Member(peer, "me")],
                sender=sender,
                cmid=f"h-{peer}-{i}",
                object_name="RC:TxtMsg",
                content_json=encode_content(content),
                now_ms=base + i * 1000,
            )
            batch.append(
                MessageRecord(
                    uid=stored.uid,
                    conv=ConvRef.private(peer),
                    seq=stored.seq,
                    sender=sender,
                    object_name="RC:TxtMsg",
                    content=content,
                    cmid=f"h-{peer}-{i}",
                    sent_at=stored.sent_at,
                )
            )
            if len(batch) == 2000 or i == count - 1:
                top = batch[-1].seq
                await local.messages.add_received(
                    ConvRef.private(peer), batch, Coverage(top, 1, top)
                )
                batch = []
        await local.state.mark_read(ConvRef.private(peer))
    finally:
        await local.close()


def timing(
    sink: list[float], call: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """``call``, appending the seconds each call takes to ``sink``."""

    async def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        await call(*args, **kwargs)
        sink.append(time.perf_counter() - started)

    return timed


PEER_SCRIPT = """
import asyncio, sys, time
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef

async def main(url, token, store, count, rate):
    client = IMClient(server_url=url, token=token, store_path=store)
    await client.start()
    await client.wait_synced(timeout=30)
    interval = 1.0 / rate
    next_at = time.monotonic()
    sent = []
    for i in range(count):
        sent.append((await client.send_text(ConvRef.private("me"), f"live {i}")).id)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await client.wait_sent(sent, timeout=60)
    await client.close()

url, token, store, count, rate = sys.argv[1:6]
asyncio.run(main(url, token, store, int(count), float(rate)))
"""


def start_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    """`imkit serve` on the seeded data dir, in its own process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "imkit_tui", "serve", "--port", "0", "--data", str(data),
         "--rate-limit", "100000"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    return process, line.removeprefix("listening on ").strip()


async def run(history: int, stream: int, rate: float) -> dict[str, Any]:
    """Seed, start the server and the peers in other processes, measure both parts."""
    with tempfile.TemporaryDirectory(prefix="imkit-chatview-") as tmp:
        root = Path(tmp)
        data = root / "server"
        seeding = IMServer(
            ServerConfig(data_dir=data, port=0, rate_per_second=1e6, rate_burst=10**6)
        )
        await seeding.start()
        store_path = root / "me.db"
        began = time.perf_counter()
        await seed(seeding, store_path, "huge", history)
        await seed(seeding, store_path, "small", 50)
        seeded = time.perf_counter() - began
        await seeding.stop()
        secret = load_or_create_secret(data)
        server, url = start_server(data)
        me = IMClient(server_url=url, token=issue_token(secret, "me"), store_path=store_path)
        await me.start()
        await me.wait_synced(timeout=30)
        app = IMKitApp(me, themes=load_themes(), state=UiState(root / "ui.json"))
        handled: list[float] = []
        viewed: list[float] = []
        view_opens: list[float] = []
        plain_add, plain_show = ChatView.add, ChatView.show
        ChatView.add = timing(viewed, plain_add)  # type: ignore[method-assign]
        ChatView.show = timing(view_opens, plain_show)  # type: ignore[method-assign]
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                received_total = [0]
                plain_received = screen._on_received

                async def on_received(conv: ConvRef, received: Any) -> None:
                    # A burst of pushes arrives as one event: count messages, not calls.
                    received_total[0] += len(received)
                    await plain_received(conv, received)

                screen._on_received = timing(handled, on_received)  # type: ignore[method-assign]
                opens_huge: list[float] = []
                opens_small: list[float] = []
                shows_huge: list[float] = []
                shows_small: list[float] = []
                for _ in range(10):
                    for conv, sink, shows in (
                        (ConvRef.private("huge"), opens_huge, shows_huge),
                        (ConvRef.private("small"), opens_small, shows_small),
                    ):
                        view_opens.clear()
                        started = time.perf_counter()
                        await screen.open_conversation(conv)  # returns with bubbles shown
                        sink.append(time.perf_counter() - started)
                        shows.extend(view_opens)
                        await pilot.pause()
                results: dict[str, list[float]] = {}
                views: dict[str, list[float]] = {}
                phases = (("huge", "huge", stream), ("small", "small", stream),
                          ("elsewhere", "huge", max(1, stream // 5)))  # fmt: skip
                for phase, opened, count in phases:
                    await screen.open_conversation(ConvRef.private(opened))
                    await pilot.pause()
                    sender = "small" if phase == "elsewhere" else phase
                    handled.clear()
                    viewed.clear()
                    received_total[0] = 0
                    peer = await asyncio.create_subprocess_exec(
                        sys.executable, "-c", PEER_SCRIPT, url, issue_token(secret, sender),
                        str(root / f"{sender}.db"), str(count), str(rate),
                    )  # fmt: skip
                    await peer.wait()
                    while received_total[0] < count:
                        await pilot.pause(0.05)
                    results[phase] = list(handled)
                    views[phase] = list(viewed)
        finally:
            ChatView.add = plain_add  # type: ignore[method-assign]
            ChatView.show = plain_show  # type: ignore[method-assign]
            await me.close()
            server.terminate()
            server.wait(10)
    return {
        "seeded_seconds": seeded,
        "open_huge": ms(opens_huge),
        "open_small": ms(opens_small),
        "show_huge": ms(shows_huge),
        "show_small": ms(shows_small),
        "receive_open": ms(results["huge"]),
        "receive_open_small": ms(results["small"]),
        "receive_elsewhere": ms(results["elsewhere"]),
        "view_add": ms(views["huge"]),
        "view_add_small": ms(views["small"]),
    }


def main() -> int:
    """Print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--stream", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    figures = asyncio.run(run(args.history, args.stream, args.rate))
    huge, small = figures["open_huge"], figures["open_small"]
    live, elsewhere = figures["receive_open"], figures["receive_elsewhere"]
    live_small = figures["receive_open_small"]
    add, add_small = figures["view_add"], figures["view_add_small"]
    print(f"seeded {args.history} messages in {figures['seeded_seconds']:.1f} s")
    print(f"open {args.history}-message conversation: p50 {huge['p50']:.1f} ms "
          f"(50-message baseline {small['p50']:.1f} ms, ratio {huge['p50'] / small['p50']:.2f}x;"
          f" aim ≤ 50 ms and ratio ≤ 1)")  # fmt: skip
    show, show_small = figures["show_huge"], figures["show_small"]
    ratio_show = show["p50"] / show_small["p50"]
    print(f"  of which the chat view (ChatView.show): p50 {show['p50']:.1f} ms "
          f"(50-message {show_small['p50']:.1f} ms, ratio {ratio_show:.2f}x)")  # fmt: skip
    print(f"receive into the open {args.history}-message view: p50 {live['p50']:.2f} ms, "
          f"p99 {live['p99']:.2f} ms, max {live['max']:.2f} ms")  # fmt: skip
    print(f"receive into the open 50-message view: p50 {live_small['p50']:.2f} ms, "
          f"p99 {live_small['p99']:.2f} ms, max {live_small['max']:.2f} ms")  # fmt: skip
    print(f"  of which the chat view (ChatView.add), {args.history}: p50 {add['p50']:.2f} ms, "
          f"p99 {add['p99']:.2f} ms; 50: p50 {add_small['p50']:.2f} ms, "
          f"p99 {add_small['p99']:.2f} ms; ratio p99 {add['p99'] / add_small['p99']:.2f}x "
          f"(aim p99 ≤ 8 ms)")  # fmt: skip
    ratio = live["p99"] / elsewhere["p99"]
    print(f"baseline, conversation not open: p50 {elsewhere['p50']:.2f} ms, "
          f"p99 {elsewhere['p99']:.2f} ms; ratio open {args.history} / not open p99 "
          f"{ratio:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A busy chatroom in the app's chat view: what the stream costs the event loop.

A room's messages arrive at a steady rate (default 200 a second, 2,000 of them) into
the line-drawn chat view of a headless app, two ways in the same run:

- batched, as the chatroom screen feeds it (ui/screens/room_feed.py: one ``ChatView.add``
  a frame, 1/30 s, with whatever arrived meanwhile);
- baseline: one ``ChatView.add`` per message, as it arrives.

For each it reports the time the view spent adding (the loop's busy time), and the lag
of a probe that asks the loop to wake it every 5 ms (how late a keystroke would be
handled: p50, p99, max), and every message's presence in the view at the end. The
ratios batched/baseline are what to read; on a noisy machine the milliseconds are not.
Run: ``python bench/chatroom_view.py [--messages N] [--rate R]``. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from _args import positive_int
from textual.app import App, ComposeResult

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.core.chatroom_store import room_ref
from imkit_tui.ui.screens.room_feed import RoomFeed
from imkit_tui.ui.widgets.chat_view import ChatView

PROBE = 0.005


def _message(n: int) -> Message:
    return Message(
        id=n,
        conv=room_ref("busy"),
        seq=n,
        uid=f"u{n}",
        cmid=f"c{n}",
        sender=f"user{n % 7}",
        object_name=messages.TEXT,
        content={"content": f"message {n} in a busy room, a line of ordinary length"},
        sent_at=1_700_000_000_000 + n * 5,
        direction=Direction.RECEIVED,
        status=SendStatus.RECEIVED,
    )


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        async def nothing(before_seq: int, limit: int) -> list[Message]:
            return []

        yield ChatView(me="me", loader=nothing, window=300, show_senders=True, id="view")


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(v * 1000 for v in values) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


async def _run(count: int, rate: float, batched: bool) -> dict[str, object]:
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        chat = app.query_one(ChatView)
        busy = 0.0
        add: Callable[[list[Message]], Awaitable[None]] = chat.add

        async def timed_add(batch: list[Message]) -> None:
            nonlocal busy
            started = time.perf_counter()
            await add(batch)
            busy += time.perf_counter() - started

        chat.add = timed_add  # type: ignore[method-assign]
        feed = RoomFeed(app.screen, chat)
        lags: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                asked = time.perf_counter()
                await asyncio.sleep(PROBE)
                lags.append(time.perf_counter() - asked - PROBE)

        probing = asyncio.create_task(probe())
        start = time.perf_counter()
        for n in range(1, count + 1):
            if batched:
                feed.received([_message(n)])
            else:
                await chat.add([_message(n)])
            delay = start + n / rate - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
        await feed.flush()
        await pilot.pause(0.1)
        done.set()
        await probing
        shown = [m.seq for m in chat.shown]
        whole = shown == list(range(max(1, count - 299), count + 1))
        return {"busy_s": busy, "lag_ms": _ms(lags), "all_shown": whole, "flushes": feed.flushes}


def main() -> None:
    """Run both ways and print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=positive_int, default=2000)
    parser.add_argument("--rate", type=positive_int, default=200)
    args = parser.parse_args()
    batched = asyncio.run(_run(args.messages, args.rate, batched=True))
    single = asyncio.run(_run(args.messages, args.rate, batched=False))
    print(f"{args.messages} messages at {args.rate}/s into the chat view")
    for name, found in (("batched (per frame)", batched), ("one add per message", single)):
        lag = found["lag_ms"]
        assert isinstance(lag, dict)
        print(
            f"  {name:22} view busy {found['busy_s']:.2f} s · loop lag p50 {lag['p50']:.2f} /"
            f" p99 {lag['p99']:.2f} / max {lag['max']:.2f} ms · newest 300 shown:"
            f" {found['all_shown']}"
        )
    b_lag, s_lag = batched["lag_ms"], single["lag_ms"]
    assert isinstance(b_lag, dict) and isinstance(s_lag, dict)
    busy_b, busy_s = batched["busy_s"], single["busy_s"]
    assert isinstance(busy_b, float) and isinstance(busy_s, float)
    print(
        f"  ratio batched/baseline: view busy {busy_b / busy_s:.2f}x,"
        f" loop lag p99 {b_lag['p99'] / max(s_lag['p99'], 1e-9):.2f}x"
    )


if __name__ == "__main__":
    main()

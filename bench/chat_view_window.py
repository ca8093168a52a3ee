"""Chat view cost: show() a page and add() messages one at a time, against plain Statics.

    python bench/chat_view_window.py [--messages N] [--page P] [--window W] [--json]

Headless (``App.run_test()``), in one process and one run:

- imkit: a ``ChatView`` shows a page of P text messages (timed over several repeats),
  then N messages are added one at a time with ``add()``; the view holds at most W
  messages and mounts none (it draws lines).
- baseline: a plain ``VerticalScroll`` gets the same page as P ``Static`` widgets, then
  N more ``Static`` widgets appended one at a time (nothing is ever pruned).

Each step is timed until its result is on screen (two ``call_after_refresh`` rounds:
the new widgets, then the deferred ``scroll_end()``), so layout and rendering count.
``pilot.pause()`` is not used: it polls for CPU idleness (about 30 ms each) and visits
every widget, which would swamp the figures. Prints p50/p99 per step and the ratios
imkit / baseline. Asserts nothing and exits 0: these machines are noisy, compare the
ratios. The default run takes a few minutes (the baseline grows to N + P widgets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from functools import partial

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.widgets.chat_view import ChatView

ME = "alice"
CONV = ConvRef.private("bob")
SIZE = (100, 40)
SHOW_REPEATS = 20
START_MS = 1_700_000_000_000


def message(n: int) -> Message:
    """The n-th message of a conversation: alternating senders, a minute apart."""
    own = n % 2 == 0
    words = " ".join(["message", str(n), "你好", "👍"] + ["lorem"] * (n % 17))
    return Message(
        id=n,
        conv=CONV,
        seq=n,
        uid=f"u{n}",
        cmid=f"c{n}",
        sender=ME if own else "bob",
        object_name="RC:TxtMsg",
        content={"content": words},
        sent_at=START_MS + n * 60_000,
        direction=Direction.SENT if own else Direction.RECEIVED,
        status=SendStatus.SENT if own else SendStatus.RECEIVED,
    )


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at ``fraction`` (0..1) of the sorted samples, in milliseconds."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index] * 1000


async def refreshed(widget: Widget) -> None:
    """Return once the screen has been laid out and drawn after what is pending."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    widget.call_after_refresh(finish)
    await done


async def timed(widget: Widget, step: Callable[[], Awaitable[None]]) -> float:
    """Seconds from the start of ``step`` until its result is on screen.

    Two refreshes: the first draws the new widgets, the second the deferred
    ``scroll_end()`` that both sides call.
    """
    started = time.perf_counter()
    await step()
    await refreshed(widget)
    await refreshed(widget)
    return time.perf_counter() - started


class _ChatApp(App[None]):
    def __init__(self, window: int) -> None:
        super().__init__()
        self.window = window

    def compose(self) -> ComposeResult:
        yield ChatView(me=ME, loader=self.load, window=self.window)

    async def load(self, before_seq: int, limit: int) -> list[Message]:
        return []


class _BaselineApp(App[None]):
    def compose(self) -> ComposeResult:
        yield VerticalScroll()


async def measure_imkit(count: int, page: int, window: int) -> dict[str, list[float]]:
    """Time ChatView.show() of one page (repeated) and add() of ``count`` messages."""
    app = _ChatApp(window)
    first_page = [message(n) for n in range(1, page + 1)]
    async with app.run_test(size=SIZE):
        view = app.query_one(ChatView)
        show = [await timed(view, lambda: view.show(first_page)) for _ in range(SHOW_REPEATS)]
        add = []
        for n in range(page + 1, page + count + 1):
            add.append(await timed(view, partial(view.add, [message(n)])))
        mounted = [float(view.held_count)]
    return {"show": show, "add": add, "mounted": mounted}


async def measure_baseline(count: int, page: int) -> dict[str, list[float]]:
    """The same steps with plain Statics in a VerticalScroll, never pruned."""
    app = _BaselineApp()

    def static(n: int) -> Static:
        return Static(Text(str(message(n).content["content"])))

    async with app.run_test(size=SIZE):
        scroll = app.query_one(VerticalScroll)

        async def show() -> None:
            await scroll.remove_children()
            await scroll.mount_all([static(n) for n in range(1, page + 1)])
            scroll.scroll_end(animate=False)

        async def add(n: int) -> None:
            await scroll.mount(static(n))
            scroll.scroll_end(animate=False)

        shows = [await timed(scroll, show) for _ in range(SHOW_REPEATS)]
        adds = [await timed(scroll, partial(add, n)) for n in range(page + 1, page + count + 1)]
        mounted = [float(len(scroll.children))]
    return {"show": shows, "add": adds, "mounted": mounted}


def summary(samples: list[float]) -> dict[str, float]:
    """p50, p99 and mean in milliseconds."""
    return {
        "p50": percentile(samples, 0.50),
        "p99": percentile(samples, 0.99),
        "mean": statistics.fmean(samples) * 1000,
    }


async def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1000, help="messages added one by one")
    parser.add_argument("--page", type=int, default=50, help="messages in the shown page")
    parser.add_argument("--window", type=int, default=300, help="the chat view's window")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    imkit = await measure_imkit(args.messages, args.page, args.window)
    baseline = await measure_baseline(args.messages, args.page)
    result: dict[str, dict[str, dict[str, float]]] = {
        "mounted at the end": {
            "imkit": {"held, none mounted": imkit["mounted"][0]},
            "baseline": {"statics": baseline["mounted"][0]},
        }
    }
    for step in ("show", "add"):
        ours, theirs = summary(imkit[step]), summary(baseline[step])
        result[step] = {
            "imkit": ours,
            "baseline": theirs,
            "ratio": {key: ours[key] / theirs[key] for key in ("p50", "p99")},
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"chat view: show() of {args.page} messages ({SHOW_REPEATS} repeats), then "
        f"{args.messages} add() one at a time; window {args.window}; terminal {SIZE}"
    )
    for step in ("show", "add"):
        figures = result[step]
        print(f"\n{step}() per call, ms        p50      p99     mean")
        for who in ("imkit", "baseline"):
            f = figures[who]
            print(f"  {who:<22}{f['p50']:8.2f} {f['p99']:8.2f} {f['mean']:8.2f}")
        ratio = figures["ratio"]
        print(f"  ratio imkit/baseline  {ratio['p50']:8.2f} {ratio['p99']:8.2f}")
    bubbles = int(imkit["mounted"][0])
    statics = int(baseline["mounted"][0])
    print(
        f"\nat the end: {bubbles} messages held, none mounted (imkit); "
        f"{statics} Statics mounted (baseline)"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""ConversationList cost at 10,000 conversations beside the same operations at 100.

Inside one headless Textual app (`App.run_test`, a 60x40 terminal) it times, for a list
of N conversations and for the 100-item baseline in the same run:

- `set_conversations(N items)`;
- one screenful: `render_line(y)` for every visible line, at the top and, for the large
  list, scrolled to the middle;
- `upsert` of one conversation into N: the last conversation gets a newer message and
  moves to the top (the most list shifting an upsert can cause).

Each figure is the median of several repeats, in milliseconds, with the ratio to the
baseline. A Line-API list should show a screenful ratio near 1 (cost follows the visible
rows, not the list) and ratios well below N/100 for the rest.

Run: ``python bench/conversation_list.py [--size N] [--repeats R]``. Always exits 0; this
is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from textual.app import App, ComposeResult

from imkit_tui.core.models import Conversation
from imkit_tui.core.profile_store import Profile
from imkit_tui.core.profiles import Profiles
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import display_name
from imkit_tui.ui.names import NameBook, install
from imkit_tui.ui.widgets.conversation_list import ROW_HEIGHT, ConversationList

BASELINE = 100
NOW_MS = int(time.time() * 1000)


def conversations(count: int) -> list[Conversation]:
    """`count` conversations in list order, a mix of types, drafts, mutes and badges."""
    items = []
    for n in range(count):
        group = n % 3 == 0
        items.append(
            Conversation(
                ref=ConvRef(type=3 if group else 1, target=f"conv{n:06d}"),
                last_at=NOW_MS - n * 60_000,
                preview=f"message number {n} with some text to truncate at the edge",
                last_sender=f"user{n % 50}" if group else "",
                unread=n % 120,
                pinned=False,
                muted=n % 7 == 0,
                draft="a draft" if n % 11 == 0 else "",
                max_seq=n,
                sort_at=NOW_MS - n * 60_000,
            )
        )
    return items


class BenchApp(App[None]):
    """Just the list, nothing else to draw; with `named`, people shown by display
    names from the app's NameBook (every user has one), as the main screen does."""

    def __init__(self, named: int = 0) -> None:
        super().__init__()
        self._named = named

    def compose(self) -> ComposeResult:
        if not self._named:
            yield ConversationList()
            return
        profiles = Profiles(cast(Any, None))  # memory only: every name is known
        for n in range(self._named):
            for user in (f"conv{n:06d}", f"user{n % 50}"):
                profiles._known[user] = Profile(user, f"Person {user}", "", 1, 1)
        install(self, NameBook(lambda: profiles))
        yield ConversationList(names=display_name)


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """The median wall time of `action`, in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def screenful(widget: ConversationList) -> None:
    """Draw every visible line, as the compositor would after a full refresh."""
    for y in range(widget.scrollable_content_region.height):
        widget.render_line(y)


async def measure(size: int, repeats: int, named: bool = False) -> dict[str, float]:
    """Time the operations on a list of `size` conversations (`named`: people by their
    display names)."""
    items = conversations(size)
    app = BenchApp(size if named else 0)
    figures: dict[str, float] = {}
    async with app.run_test(size=(60, 40)) as pilot:
        widget = app.query_one(ConversationList)
        figures["set_conversations"] = median_ms(lambda: widget.set_conversations(items), repeats)
        await pilot.pause()
        screenful(widget)  # warm Textual's style caches once
        figures["screenful (top)"] = median_ms(lambda: screenful(widget), repeats * 5)
        widget.scroll_to(y=(size // 2) * ROW_HEIGHT, animate=False, immediate=True)
        await pilot.pause()
        figures["screenful (middle)"] = median_ms(lambda: screenful(widget), repeats * 5)

        # Each upsert moves the current bottom row to the top; after `size` of them the
        # original order is back, so the k-th bottom row is known without peeking.
        order = [item.ref for item in items]
        moves = [0]

        def upsert_bottom() -> None:
            bottom = widget.get(order[-1 - moves[0] % size])
            assert bottom is not None
            moves[0] += 1
            when = NOW_MS + moves[0]
            widget.upsert(
                replace(bottom, last_at=when, sort_at=when, preview="new", unread=bottom.unread + 1)
            )

        figures["upsert (bottom to top)"] = median_ms(upsert_bottom, repeats * 20)
        await pilot.pause()
    return figures


async def main() -> None:
    """Run both sizes in one process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=10_000, help="the large list (10000)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats per figure (7)")
    args = parser.parse_args()

    baseline = await measure(BASELINE, args.repeats)
    large = await measure(args.size, args.repeats)
    named = await measure(args.size, args.repeats, named=True)

    print(f"ConversationList: {args.size} conversations vs {BASELINE} (median ms, 60x40)")
    print(f"{'operation':<24} {BASELINE:>10} {args.size:>10} {'ratio':>8}")
    for name, small in baseline.items():
        big = large[name]
        ratio = big / small if small > 0 else float("inf")
        print(f"{name:<24} {small:>10.3f} {big:>10.3f} {ratio:>7.1f}x")
    print(f"\nWith display names (NameBook) vs ids, both at {args.size} (median ms)")
    print(f"{'operation':<24} {'ids':>10} {'names':>10} {'ratio':>8}")
    for name, by_id in large.items():
        by_name = named[name]
        ratio = by_name / by_id if by_id > 0 else float("inf")
        print(f"{name:<24} {by_id:>10.3f} {by_name:>10.3f} {ratio:>7.1f}x")


if __name__ == "__main__":
    asyncio.run(main())

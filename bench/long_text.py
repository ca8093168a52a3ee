"""Repainting a long text bubble: what a redraw costs against a short one.

    python bench/long_text.py [--chars N] [--repeats R] [--json]

Headless (``App.run_test()``), in one process and one run, three bubbles side by side in
the same app at the same width, each repainted R times (``refresh()`` then every line
of it drawn, as the compositor does after a selection or theme change):

- short: a text message of 100 characters (the baseline);
- folded: a text message of N characters (default 100,000), folded as the chat shows it;
- whole: a plain Rich ``Text`` of N characters in a ``Static``, drawn whole on every
  repaint, as a bubble without the wrapped-lines cache would.

Prints the mean per repaint and the ratios folded / short and whole / short. Asserts
nothing and exits 0: compare the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.bubbles import bubble_for


def text_of(chars: int) -> str:
    """``chars`` characters of words and line breaks."""
    words = " ".join(f"word{i}" for i in range(chars // 6 + 1))
    lines = [words[i : i + 300] for i in range(0, len(words), 300)]
    return "\n".join(lines)[:chars]


def message(id: int, text: str) -> Message:
    """A text message from bob."""
    return Message(
        id=id,
        conv=ConvRef.private("bob"),
        seq=id,
        uid=f"u{id}",
        cmid=f"c{id}",
        sender="bob",
        object_name="RC:TxtMsg",
        content={"content": text},
        sent_at=int(time.time() * 1000),
        direction=Direction.RECEIVED,
        status=SendStatus.RECEIVED,
    )


class Bench(App[None]):
    """The three widgets, one above the other."""

    def __init__(self, chars: int) -> None:
        super().__init__()
        self.short = bubble_for(message(1, text_of(100)), me="me")
        self.folded = bubble_for(message(2, text_of(chars)), me="me")
        self.whole = Static(Text(text_of(chars)))

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.short
            yield self.folded
            yield self.whole


def repaint(widget: Widget, repeats: int) -> float:
    """Mean seconds to draw every line of ``widget`` after a refresh."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    started = time.perf_counter()
    for _ in range(repeats):
        widget.refresh()
        widget.render_lines(region)
    return (time.perf_counter() - started) / repeats


async def run(chars: int, repeats: int) -> dict[str, float]:
    app = Bench(chars)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        figures = {
            name: repaint(widget, repeats)
            for name, widget in (("short", app.short), ("folded", app.folded))
        }
        figures["whole"] = repaint(app.whole, max(1, repeats // 10))
    figures["folded/short"] = figures["folded"] / figures["short"]
    figures["whole/short"] = figures["whole"] / figures["short"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.chars, args.repeats))
    if args.json:
        print(json.dumps(figures))
        return
    for name in ("short", "folded", "whole"):
        print(f"{name:>7}: {figures[name] * 1000:8.3f} ms a repaint")
    print(f"folded / short: {figures['folded/short']:.2f}x")
    print(f" whole / short: {figures['whole/short']:.2f}x")


if __name__ == "__main__":
    main()

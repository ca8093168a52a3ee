"""Private: long text drawn folded, wrapped once per width.

A message may hold a hundred thousand characters. Wrapping that on every repaint would
make each redraw of the chat cost what the text is long, so :class:`FoldedText` wraps
the text once per width (and keeps a few widths), measures it once, and draws only the
first :data:`FOLD_LINES` lines with a hint under them until it is unfolded.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

FOLD_LINES = 10
"""Lines of a long text shown while it is folded."""

KEPT_WIDTHS = 3
"""How many widths' wrapped lines are kept (a resize, then back)."""


def hint(hidden: int) -> str:
    """The line under a folded text: how much is hidden and how to read it."""
    lines = "line" if hidden == 1 else "lines"
    return f"… {hidden:,} more {lines} · press o / enter to read all, z to unfold"


class FoldedText:
    """A Rich renderable of ``text`` that draws at most :data:`FOLD_LINES` lines while
    :attr:`folded`, then a hint; the wrapped lines are cached per width."""

    def __init__(self, text: Text, hint_style: Style) -> None:
        self.text = text
        self.hint_style = hint_style
        self.folded = True
        self.wraps = 0
        """How many times the text was wrapped (once per width, unless evicted)."""
        self.hidden = 0
        """How many lines the last render left out (0 when all were shown)."""
        self._lines: dict[int, list[list[Segment]]] = {}
        self._measurement: Measurement | None = None

    def line_count(self, console: Console, options: ConsoleOptions) -> int:
        """How many lines the whole text takes at the width of ``options``."""
        return len(self._wrapped(console, options))

    def _wrapped(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        width = options.max_width
        lines = self._lines.get(width)
        if lines is None:
            if len(self._lines) >= KEPT_WIDTHS:
                self._lines.pop(next(iter(self._lines)))
            lines = console.render_lines(self.text, options.update(height=None), pad=False)
            self._lines[width] = lines
            self.wraps += 1
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self._wrapped(console, options)
        # Folding away a line or two would hide less than the hint takes.
        fold = self.folded and len(lines) > FOLD_LINES + 2
        shown = lines[:FOLD_LINES] if fold else lines
        self.hidden = len(lines) - len(shown)
        for line in shown:
            yield from line
            yield Segment.line()
        if self.hidden:
            yield Text(hint(self.hidden), style=self.hint_style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if self._measurement is None:
            self._measurement = Measurement.get(console, options.update_width(1 << 30), self.text)
        return self._measurement.clamp(max_width=options.max_width)

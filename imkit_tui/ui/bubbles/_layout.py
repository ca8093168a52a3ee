"""Private: how a bubble's parts are laid out for Rich, and a body that cannot break
the bubble (a body that fails to render shows its fallback instead)."""

from __future__ import annotations

from rich.align import Align, AlignMethod
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style

BODY_WIDTH = 0.7
"""The widest a bubble's body gets, as a fraction of the view."""

BODY_KEY = "imkit.body"
"""The style meta key that marks the cells of a boxed body (to tell a click on it)."""

_BODY_META = Style.from_meta({BODY_KEY: True})


class BubbleLayout:
    """The parts of a bubble, laid out for whatever width Rich renders them at."""

    def __init__(
        self,
        lines: list[RenderableType],
        body: RenderableType,
        after: list[RenderableType],
        *,
        side: AlignMethod,
        body_style: Style | None,
    ) -> None:
        self.lines, self.body, self.after = lines, body, after
        self.side, self.body_style = side, body_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines
        if self.body_style is None:
            yield self.body
        else:
            width = max(4, int(options.max_width * BODY_WIDTH))
            boxed = Padding(self.body, (0, 1), style=self.body_style + _BODY_META, expand=False)
            yield Align(Constrain(boxed, width), self.side)
        yield from self.after


class GuardedBody:
    """A body renderable that shows ``fallback`` instead when it fails to render."""

    def __init__(self, body: RenderableType, fallback: RenderableType) -> None:
        self.body, self.fallback = body, fallback

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        try:
            lines = console.render_lines(self.body, options, pad=False)
        except Exception:
            yield self.fallback
            return
        for line in lines:
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        try:
            return Measurement.get(console, options, self.body)
        except Exception:
            return Measurement.get(console, options, self.fallback)

"""Private: the transfer progress line of media bubbles, ``▕████░░░░▏ 45%``."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from imkit_tui.media.probe import describe_size

BAR_CELLS = 8
"""The width of the bar between its end marks."""


def progress_text(done: int, total: int, *, style: Style | None = None) -> Text:
    """Return the progress bar of ``done`` out of ``total`` bytes.

    With an unknown total (0) the bar is empty and the bytes done are shown instead of
    a percentage.
    """
    if total <= 0:
        return Text(f"▕{'░' * BAR_CELLS}▏ {describe_size(done)}", style=style or "")
    fraction = min(1.0, max(0.0, done / total))
    full = min(BAR_CELLS, int(fraction * BAR_CELLS + 0.5))
    percent = int(fraction * 100)
    return Text(f"▕{'█' * full}{'░' * (BAR_CELLS - full)}▏ {percent}%", style=style or "")


def with_progress(
    body: RenderableType, transfer: tuple[int, int] | None, *, style: Style | None = None
) -> RenderableType:
    """Return ``body`` with the progress bar of ``transfer`` under it; ``body`` alone without."""
    if transfer is None:
        return body
    return Group(body, progress_text(*transfer, style=style))

"""Private text helpers of the bubbles and the chat view: safe text, times, wrapping."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.containers import Lines
from rich.text import Text

from imkit_tui.ui.linebreak import break_offsets

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod, OverflowMethod

MAX_TEXT = 20_000
"""Characters of a message body drawn at most; the rest is cut with an ellipsis."""


def clean_text(text: str, *, keep_newlines: bool = True, limit: int = MAX_TEXT) -> str:
    """Return ``text`` safe to draw: no control characters, tabs expanded, bounded.

    Content comes off the wire; an escape character would reach the terminal. Line
    breaks are kept (``\\r\\n`` and ``\\r`` become ``\\n``) unless ``keep_newlines`` is
    false, in which case they become spaces. Text over ``limit`` characters is cut.
    """
    cut = len(text) > limit
    text = text[:limit].replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append("\n" if keep_newlines else " ")
        elif char < " " or unicodedata.category(char) == "Cc":
            continue
        else:
            out.append(char)
    if cut:
        out.append("…")
    return "".join(out)


def local_time(sent_at: int) -> datetime | None:
    """Return a time in milliseconds since the epoch as a local datetime, or None."""
    try:
        return datetime.fromtimestamp(sent_at / 1000)
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def clock(sent_at: int) -> str:
    """Format a time in milliseconds since the epoch as local ``HH:MM``; never raises."""
    when = local_time(sent_at)
    return when.strftime("%H:%M") if when is not None else "--:--"


def middle_ellipsis(text: str, cells: int) -> str:
    """Shorten ``text`` to at most ``cells`` terminal cells by cutting out its middle.

    ``"quarterly-report-final-v2.pdf"`` becomes ``"quarterly-re…nal-v2.pdf"``: the end
    (a file's extension) stays readable. Wide characters count as two cells.
    """
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return "…"[:cells]
    tail_cells = (cells - 1) // 2
    head_cells = cells - 1 - tail_cells
    head: list[str] = []
    used = 0
    for char in text:
        width = cell_len(char)
        if used + width > head_cells:
            break
        head.append(char)
        used += width
    tail: list[str] = []
    used = 0
    for char in reversed(text):
        width = cell_len(char)
        if used + width > tail_cells:
            break
        tail.append(char)
        used += width
    return "".join(head) + "…" + "".join(reversed(tail))


class WrappedText(Text):
    """Rich text that wraps by :func:`~imkit_tui.ui.linebreak.break_offsets`: between CJK
    characters too, and never with "，" or "。" at the start of a row."""

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        """Rich's wrap with our line breaks (no_wrap and the overflow modes as in Rich)."""
        if no_wrap or self.no_wrap or overflow == "ignore":
            return super().wrap(
                console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=True
            )
        method = overflow or self.overflow or "fold"
        align = justify or self.justify or "default"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            rows = line.divide(break_offsets(line.plain, width))
            for row in rows:
                row.rstrip_end(width)
            rows.justify(console, width, justify=align, overflow=method)
            for row in rows:
                row.truncate(width, overflow=method)
            lines.extend(rows)
        return lines

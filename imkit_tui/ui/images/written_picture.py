"""A blank area of the screen that a picture is written over (sixel, iTerm2, kitty).

These protocols paint at the cursor, outside Textual's grid of cells: Textual does not
know the picture is there, and whenever it repaints those cells (a layout, a resize,
a screen coming back) it writes spaces over it (sixel and iTerm2 pictures live in the
cells). So the picture is written again after every frame in which Textual painted the
area: :meth:`WrittenPicture.render_lines` is called for exactly those frames, and the
write is queued after the frame (``call_after_refresh``), at the area's place on the
screen. It is the viewer's: a whole screen for one picture, which nothing else moves.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from imkit_tui.ui.images.placement import at_cell

Writer = Callable[[str], None]
"""Writes escape sequences to the terminal, in order with Textual's frames."""


class WrittenPicture(Widget):
    """A blank ``size`` of cells with a picture written over it after each repaint."""

    DEFAULT_CSS = """
    WrittenPicture {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """An empty area; :meth:`show` gives it a picture."""
        super().__init__(id=id)
        self._sequence = ""
        self._size = Size(0, 0)
        self._writer: Writer | None = None
        self._queued = False
        self.writes = 0
        """How many times the picture was written (each after a repaint of the area)."""

    @property
    def sequence(self) -> str:
        """The escape sequence that draws the picture at the cursor (empty: none)."""
        return self._sequence

    def show(self, sequence: str, columns: int, rows: int, writer: Writer | None) -> None:
        """Draw ``sequence`` over ``columns``×``rows`` blank cells, through ``writer``."""
        self._sequence = sequence
        self._writer = writer
        self._size = Size(max(0, columns), max(0, rows))
        self.refresh(layout=True)

    def clear(self) -> None:
        """No picture: the area shrinks to nothing and nothing more is written."""
        self.show("", 0, 0, None)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as the picture."""
        return self._size.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As tall as the picture."""
        return self._size.height

    def render_line(self, y: int) -> Strip:
        """A blank line (the picture is written over it)."""
        return Strip.blank(self._size.width, self.rich_style)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual paints the area in this frame: write the picture again after it."""
        if self._sequence and not self._queued:
            self._queued = True
            self.call_after_refresh(self._write)
        return super().render_lines(crop)

    def _write(self) -> None:
        self._queued = False
        region = self.content_region
        if not self._sequence or self._writer is None or not self.screen.is_current:
            return
        self._writer(at_cell(self._sequence, region.x, region.y))
        self.writes += 1

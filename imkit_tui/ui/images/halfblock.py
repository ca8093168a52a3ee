"""Pictures drawn with half blocks: two pixels per terminal cell, in any terminal.

Each cell shows the upper half block ``▀``: its foreground colour is the top pixel and
its background colour the bottom one. A cell is about twice as tall as it is wide, so
one cell stands for a 1×2 pixel area and pictures keep their proportions. Transparent
pixels leave the terminal's own background showing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

if TYPE_CHECKING:
    from PIL import Image

UPPER_HALF = "▀"
LOWER_HALF = "▄"
OPAQUE = 128
"""Alpha from which a pixel is drawn; more transparent pixels are left out."""

_CACHED_WIDTHS = 4

_RGB = tuple[int, int, int]
_Cell = tuple[str, _RGB | None, _RGB | None]


def fit_cells(size: tuple[int, int], max_width: int, max_height: int) -> tuple[int, int]:
    """Return the ``(columns, rows)`` a picture of ``size`` pixels takes in half blocks.

    The picture keeps its proportions (one cell is one pixel wide and two tall), fits
    within ``max_width`` columns and ``max_height`` rows, is never enlarged, and is at
    least one cell in each direction.
    """
    width, height = max(1, size[0]), max(1, size[1])
    max_width, max_height = max(1, max_width), max(1, max_height)
    scale = min(1.0, max_width / width, 2 * max_height / height)
    columns = min(max_width, max(1, math.floor(width * scale + 0.5)))
    rows = min(max_height, max(1, math.floor(height * scale / 2 + 0.5)))
    return columns, rows


@lru_cache(maxsize=8192)
def _style(top: _RGB, bottom: _RGB | None) -> Style:
    return Style(
        color=Color.from_rgb(*top),
        bgcolor=Color.from_rgb(*bottom) if bottom is not None else None,
    )


def _resized(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return ``image`` as RGBA at exactly ``width``×``height`` pixels."""
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    if rgba.size == (width, height):
        return rgba
    shrinking = width * height <= rgba.width * rgba.height
    from PIL import Image  # Pillow loads on the first picture, not at start-up

    method = Image.Resampling.LANCZOS if shrinking else Image.Resampling.NEAREST
    return rgba.resize((width, height), method)


def render_cells(image: Image.Image, width: int, height: int) -> list[list[Segment]]:
    """Draw ``image`` in exactly ``width`` columns and ``height`` rows of half blocks.

    The picture is resized to ``width``×``2·height`` pixels (stretched if that is not
    its proportion; see :func:`fit_cells`). Returns one list of segments per row, runs
    of identical cells merged, without line breaks.

    A cell whose two pixels are opaque is ``▀`` on a background; one whose bottom pixel
    is transparent has no background; one whose top pixel is transparent is ``▄`` in
    the bottom pixel's colour; one fully transparent is a space without style.
    """
    width, height = max(1, width), max(1, height)
    pixels = _resized(image, width, 2 * height).tobytes()
    stride = 4 * width
    lines: list[list[Segment]] = []
    for row in range(height):
        segments: list[Segment] = []
        run: _Cell | None = None
        count = 0
        for t in range(2 * row * stride, (2 * row + 1) * stride, 4):
            b = t + stride
            top = (pixels[t], pixels[t + 1], pixels[t + 2]) if pixels[t + 3] >= OPAQUE else None
            bottom = (pixels[b], pixels[b + 1], pixels[b + 2]) if pixels[b + 3] >= OPAQUE else None
            if top is not None:
                cell: _Cell = (UPPER_HALF, top, bottom)
            elif bottom is not None:
                cell = (LOWER_HALF, bottom, None)
            else:
                cell = (" ", None, None)
            if cell == run:
                count += 1
                continue
            if run is not None:
                segments.append(_segment(run, count))
            run, count = cell, 1
        if run is not None:
            segments.append(_segment(run, count))
        lines.append(segments)
    return lines


def _segment(cell: _Cell, count: int) -> Segment:
    char, fg, bg = cell
    return Segment(char * count, None if fg is None else _style(fg, bg))


class HalfBlockImage:
    """A picture as a Rich renderable, drawn in half blocks.

    It fits within ``max_width`` columns (or the width Rich offers, if narrower) and
    ``max_height`` rows, keeping its proportions, and is never enlarged beyond one
    pixel per half cell. The rows drawn for the last few widths are kept, since
    bubbles are drawn again on every refresh.
    """

    def __init__(self, image: Image.Image, *, max_width: int = 40, max_height: int = 20) -> None:
        """Prepare ``image`` for drawing; it is copied and the original is not kept.

        Args:
            image: The picture, in any mode.
            max_width: The widest it is drawn, in columns.
            max_height: The tallest it is drawn, in rows.
        """
        self.max_width = max(1, max_width)
        """The widest the picture is drawn, in columns."""
        self.max_height = max(1, max_height)
        """The tallest the picture is drawn, in rows."""
        self._size = image.size
        columns, rows = self.cell_size
        self._image = _resized(image, columns, 2 * rows).copy()
        self._lines: OrderedDict[tuple[int, int], list[list[Segment]]] = OrderedDict()

    @property
    def cell_size(self) -> tuple[int, int]:
        """The ``(columns, rows)`` the picture takes when ``max_width`` columns are free."""
        return fit_cells(self._size, self.max_width, self.max_height)

    def size_for(self, available: int) -> tuple[int, int]:
        """Return the ``(columns, rows)`` the picture takes when ``available`` columns are free."""
        return fit_cells(self._size, min(self.max_width, available), self.max_height)

    def lines(self, available: int) -> list[list[Segment]]:
        """Return the rows of segments drawn when ``available`` columns are free."""
        size = self.size_for(available)
        lines = self._lines.get(size)
        if lines is None:
            lines = render_cells(self._image, *size)
            self._lines[size] = lines
            while len(self._lines) > _CACHED_WIDTHS:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(size)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        columns, _ = self.size_for(options.max_width)
        return Measurement(columns, columns)

"""A person's portrait drawn small: half blocks, and a PNG for kitty's placeholders
(ui/portraits.py asks for it on a worker thread, so Pillow is not loaded before the
first portrait)."""

from __future__ import annotations

from pathlib import Path

from rich.segment import Segment

from imkit_tui.media.images import open_image
from imkit_tui.ui.images.graphics import crop_centre
from imkit_tui.ui.images.halfblock import render_cells
from imkit_tui.ui.images.kitty_inline import encode_png

MAX_PORTRAIT_BYTES = 5 * 1024 * 1024
"""A portrait file larger than this is not drawn (the letter stays)."""


def draw_portrait(path: Path, columns: int, rows: int) -> tuple[list[list[Segment]], bytes]:
    """The picture at `path`, its middle cropped to the tile's shape: in `columns` x
    `rows` half-block cells, and as a PNG for kitty. Raises ValueError (ImageError) for
    a file that is not a picture or is too large."""
    if path.stat().st_size > MAX_PORTRAIT_BYTES:
        raise ValueError("the portrait file is too large")
    image = open_image(path.read_bytes(), name=path.name)
    # The tile is `columns` pixels wide and 2*`rows` tall: keep the middle of that shape.
    side = min(image.width / columns, image.height / (2 * rows))
    image = crop_centre(image, round(side * columns), round(side * 2 * rows))
    return render_cells(image, columns, rows), encode_png(image, columns=columns, rows=rows)

"""A whole picture on the screen, in whichever protocol the terminal speaks.

The full-screen viewer uses these: :func:`fitted_sequence` draws a picture scaled to
fit an area of cells, :func:`true_size_sequence` draws it pixel for pixel (the middle
of it, when it is larger than the screen), and :func:`at_cell` puts either at a cell
of the screen without moving the cursor Textual left. Kitty's placeholders are not
drawn here: they are text, and go through Textual like the chat's pictures.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from imkit_tui.ui.images import graphics
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.kitty_inline import (
    MAX_IMAGE_ID,
    encode_png,
    id_color,
    placeholder_row,
    transmit_sequence,
)

if TYPE_CHECKING:
    from PIL import Image

VIEWER_IMAGE_ID = MAX_IMAGE_ID + 1
"""The kitty image id of the viewer's picture: above every placeholder picture's id."""


def at_cell(sequence: str, x: int, y: int) -> str:
    """Return ``sequence`` drawn with its top-left corner at cell ``x``, ``y`` (from 0).

    The cursor is saved before and restored after (DECSC/DECRC), so the program that
    draws the rest of the screen finds it where it left it.
    """
    return f"\x1b7\x1b[{y + 1};{x + 1}H{sequence}\x1b8"


def fitted_sequence(
    image: Image.Image,
    protocol: GraphicsProtocol,
    *,
    columns: int,
    rows: int,
    cell_pixels: tuple[int, int],
) -> str:
    """Return the sequence that draws ``image`` as large as fits ``columns``×``rows`` cells.

    For kitty placed directly, sixel and iTerm2; empty for any other protocol.
    Proportions are kept; the picture may be enlarged.
    """
    width, height = graphics.fit_in_cells(
        image.size, columns=columns, rows=rows, cell_pixels=cell_pixels
    )
    if protocol is GraphicsProtocol.KITTY_DIRECT:
        return graphics.kitty_sequence(image, columns=width, rows=height, image_id=VIEWER_IMAGE_ID)
    if protocol is GraphicsProtocol.SIXEL:
        box = (width * cell_pixels[0], height * cell_pixels[1])
        return graphics.sixel_sequence(
            enlarged(image, *box), max_width_px=box[0], max_height_px=box[1]
        )
    if protocol is GraphicsProtocol.ITERM:
        return graphics.iterm_sequence(image, width=str(width), height=str(height))
    return ""


def enlarged(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return ``image`` scaled up, proportions kept, to fill ``width``×``height`` pixels one
    way (the same image when it is as large already: shrinking is the encoder's job)."""
    scale = min(width / max(1, image.width), height / max(1, image.height))
    if scale <= 1:
        return image
    from PIL import Image  # Pillow loads on the first picture, not at start-up

    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def placeholder_text(image_id: int, columns: int, rows: int) -> str:
    """Return kitty placeholder cells of image ``image_id`` as text to print, row by row."""
    red, green, blue = id_color(image_id).get_truecolor()
    colour = f"\x1b[38;2;{red};{green};{blue}m"
    return "\r\n".join(f"{colour}{placeholder_row(row, columns)}\x1b[39m" for row in range(rows))


def true_size_sequence(
    image: Image.Image,
    protocol: GraphicsProtocol,
    *,
    columns: int,
    rows: int,
    cell_pixels: tuple[int, int],
) -> str:
    """Return the sequence that draws ``image`` pixel for pixel at the cursor.

    A picture larger than ``columns``×``rows`` cells is cut to its middle. Kitty
    with placeholders transmits the picture and prints its placeholder cells (which
    works inside tmux too); the other protocols draw it directly. Empty for NONE.
    """
    if protocol is GraphicsProtocol.NONE:
        return ""
    cell_width, cell_height = max(1, cell_pixels[0]), max(1, cell_pixels[1])
    shown = graphics.crop_centre(image, columns * cell_width, rows * cell_height)
    width, height = shown.size
    if protocol is GraphicsProtocol.SIXEL:
        return graphics.sixel_sequence(shown, max_width_px=width, max_height_px=height)
    if protocol is GraphicsProtocol.ITERM:
        return graphics.iterm_sequence(shown, width=f"{width}px", height=f"{height}px")
    cells = (
        max(1, min(columns, math.ceil(width / cell_width))),
        max(1, min(rows, math.ceil(height / cell_height))),
    )
    if protocol is GraphicsProtocol.KITTY_DIRECT:
        return graphics.kitty_sequence(shown, columns=cells[0], rows=cells[1])
    png = encode_png(shown, columns=cells[0], rows=cells[1])
    transmit = transmit_sequence(png, MAX_IMAGE_ID, columns=cells[0], rows=cells[1])
    return transmit + placeholder_text(MAX_IMAGE_ID, *cells)

"""Pictures in the terminal: half-block rendering, GIF animation, kitty and sixel output."""

from imkit_tui.ui.images.animation import AnimatedImage
from imkit_tui.ui.images.graphics import (
    GraphicsProtocol,
    kitty_sequence,
    probe_graphics,
    sixel_sequence,
    terminal_cell_pixels,
)
from imkit_tui.ui.images.halfblock import HalfBlockImage, render_cells

__all__ = [
    "AnimatedImage",
    "GraphicsProtocol",
    "HalfBlockImage",
    "kitty_sequence",
    "probe_graphics",
    "render_cells",
    "sixel_sequence",
    "terminal_cell_pixels",
]

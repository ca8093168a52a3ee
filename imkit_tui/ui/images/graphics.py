"""Real pictures through the kitty, sixel and iTerm2 graphics protocols.

:func:`kitty_sequence`, :func:`sixel_sequence` and :func:`iterm_sequence` build the
escape sequences that draw a picture at the cursor; the full-screen viewer writes them
(see :mod:`~imkit_tui.ui.images.terminal_probe` for which one a terminal gets).
Terminals that speak none get half blocks instead.
"""

from __future__ import annotations

import base64
import io
import re
import struct
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

KITTY_CHUNK = 4096
"""Base64 characters per kitty graphics escape sequence."""

DEFAULT_CELL_PIXELS = (10, 20)
"""The cell size assumed when the terminal does not report its pixel size."""

_MAX_CELL_PIXELS = (32, 64)
_RUN = re.compile(r"(.)\1{3,}")
_SIXEL_CHARS = bytes(63 + value if value < 64 else 63 for value in range(256))
_TRANSPARENT = 255


class GraphicsProtocol(StrEnum):
    """How the terminal can show pictures at full resolution."""

    KITTY = "kitty"
    """Kitty graphics with Unicode placeholders: pictures inline in the chat, too."""
    KITTY_DIRECT = "kitty-direct"
    """Kitty graphics placed at the cursor only (no placeholders, e.g. kitty 0.26)."""
    SIXEL = "sixel"
    ITERM = "iterm"
    """The iTerm2 inline-image protocol (OSC 1337), spoken by iTerm2 and WezTerm."""
    NONE = "none"

    @property
    def draws_pixels(self) -> bool:
        """Whether this protocol draws real pictures (anything but half blocks)."""
        return self is not GraphicsProtocol.NONE


def terminal_cell_pixels(fd_out: int) -> tuple[int, int]:
    """Return the ``(width, height)`` in pixels of one cell of the terminal on ``fd_out``.

    Computed from the window size the terminal reports (``TIOCGWINSZ``); many
    terminals report no pixel size, and then :data:`DEFAULT_CELL_PIXELS` is returned.
    """
    try:
        import fcntl
        import termios

        packed = fcntl.ioctl(fd_out, termios.TIOCGWINSZ, bytes(8))
        rows, columns, x_pixels, y_pixels = struct.unpack("HHHH", packed)
    except (ImportError, OSError, ValueError, struct.error):
        return DEFAULT_CELL_PIXELS
    if not (rows and columns and x_pixels and y_pixels):
        return DEFAULT_CELL_PIXELS
    return max(1, x_pixels // columns), max(1, y_pixels // rows)


def fit_in_cells(
    size: tuple[int, int], *, columns: int, rows: int, cell_pixels: tuple[int, int]
) -> tuple[int, int]:
    """Return the ``(columns, rows)`` a picture of ``size`` pixels fills, proportions kept.

    The picture fits within ``columns``×``rows`` cells of ``cell_pixels`` pixels each
    (see :func:`terminal_cell_pixels`); it may be enlarged. At least one cell each way.
    Pass the result to :func:`kitty_sequence`, which stretches to what it is given.
    """
    width, height = max(1, size[0]), max(1, size[1])
    cell_width, cell_height = max(1, cell_pixels[0]), max(1, cell_pixels[1])
    scale = min(columns * cell_width / width, rows * cell_height / height)
    return (
        max(1, min(columns, round(width * scale / cell_width))),
        max(1, min(rows, round(height * scale / cell_height))),
    )


def kitty_sequence(
    image: Image.Image, *, columns: int, rows: int, image_id: int | None = None
) -> str:
    """Return the kitty graphics escape sequences that show ``image`` at the cursor.

    The picture is sent as PNG (``f=100``), transmitted and displayed at once
    (``a=T``), quietly (``q=2``), scaled by the terminal to exactly ``columns``×``rows``
    cells — use :func:`fit_in_cells` to keep its proportions. The base64 payload is
    cut into chunks of :data:`KITTY_CHUNK` characters, each in its own sequence, all
    but the last with ``m=1``. Pictures far larger than the area are scaled down
    first so as not to send pixels nobody sees.
    """
    columns, rows = max(1, columns), max(1, rows)
    picture = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    bound = (columns * _MAX_CELL_PIXELS[0], rows * _MAX_CELL_PIXELS[1])
    if picture.width > bound[0] or picture.height > bound[1]:
        picture = picture.copy()
        from PIL import Image  # Pillow loads on the first picture, not at start-up

        picture.thumbnail(bound, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "PNG")
    payload = base64.b64encode(out.getvalue()).decode("ascii")
    chunks = [payload[i : i + KITTY_CHUNK] for i in range(0, len(payload), KITTY_CHUNK)]
    named = f"i={image_id},C=1," if image_id is not None else ""
    first = f"a=T,f=100,{named}c={columns},r={rows},q=2,"
    parts: list[str] = []
    for number, chunk in enumerate(chunks):
        more = 1 if number < len(chunks) - 1 else 0
        parts.append(f"\x1b_G{first if number == 0 else ''}m={more};{chunk}\x1b\\")
    return "".join(parts)


def _run_length(data: str) -> str:
    return _RUN.sub(lambda match: f"!{len(match.group(0))}{match.group(1)}", data)


def sixel_sequence(image: Image.Image, *, max_width_px: int, max_height_px: int) -> str:
    """Return the sixel escape sequence that draws ``image`` at the cursor.

    The picture is scaled down (never up) to fit ``max_width_px``×``max_height_px``
    pixels and reduced to at most 256 colours. The sequence is a DCS ``ESC P 0;1;0 q``
    (the second parameter keeps transparent pixels unpainted) with raster attributes,
    colour registers ``#n;2;r;g;b`` in percent, one band per six pixel rows separated
    by ``-``, one ``$``-separated pass per colour in each band, runs of four or more
    identical sixels compressed as ``!count``, and ends with ``ESC \\``.
    """
    picture = image.convert("RGBA")
    bound = (max(1, max_width_px), max(1, max_height_px))
    if picture.width > bound[0] or picture.height > bound[1]:
        from PIL import Image  # Pillow loads on the first picture, not at start-up

        picture.thumbnail(bound, Image.Resampling.LANCZOS)
    width, height = picture.size
    alpha = picture.getchannel("A")
    transparent = min(alpha.tobytes()) < 128
    indexed = picture.convert("RGB").quantize(colors=255 if transparent else 256)
    if transparent:
        indexed.paste(_TRANSPARENT, mask=alpha.point(lambda a: 255 if a < 128 else 0, "1"))
    palette = indexed.getpalette() or []
    pixels = indexed.tobytes()

    bands: list[str] = []
    used: set[int] = set()
    for top in range(0, height, 6):
        rows = [pixels[y * width : (y + 1) * width] for y in range(top, min(top + 6, height))]
        colours = {colour for row in rows for colour in set(row)}
        if transparent:
            colours.discard(_TRANSPARENT)
        passes: list[str] = []
        for colour in sorted(colours):
            bits = 0
            for bit, row in enumerate(rows):
                table = bytearray(256)
                table[colour] = 1 << bit
                bits += int.from_bytes(row.translate(table), "big")
            sixels = bits.to_bytes(width, "big").translate(_SIXEL_CHARS).rstrip(b"?")
            passes.append(f"#{colour}{_run_length(sixels.decode('ascii'))}")
        used |= colours
        bands.append("$".join(passes))

    registers: list[str] = []
    for colour in sorted(used):
        red, green, blue = palette[3 * colour : 3 * colour + 3] or [0, 0, 0]
        registers.append(
            f"#{colour};2;{round(red * 100 / 255)};{round(green * 100 / 255)};"
            f"{round(blue * 100 / 255)}"
        )
    header = f'\x1bP0;1;0q"1;1;{width};{height}'
    return header + "".join(registers) + "-".join(bands) + "\x1b\\"


def kitty_delete(image_id: int | None = None) -> str:
    """Return the kitty sequence that deletes image ``image_id`` (every image when None)."""
    if image_id is None:
        return "\x1b_Ga=d,q=2\x1b\\"
    return f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"


def iterm_sequence(image: Image.Image, *, width: str, height: str) -> str:
    """Return the iTerm2 inline-image sequence (OSC 1337) that draws ``image`` at the cursor.

    ``width`` and ``height`` are in the protocol's units: a number of cells (``"40"``),
    pixels (``"320px"``), a percentage or ``"auto"``; the picture keeps its proportions
    inside them. It is sent as PNG, in one sequence ending with BEL; the cursor stays
    where it was (``doNotMoveCursor``, where the terminal knows it).
    """
    picture = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    out = io.BytesIO()
    picture.save(out, "PNG")
    data = out.getvalue()
    payload = base64.b64encode(data).decode("ascii")
    arguments = (
        f"inline=1;size={len(data)};width={width};height={height};"
        "preserveAspectRatio=1;doNotMoveCursor=1"
    )
    return f"\x1b]1337;File={arguments}:{payload}\a"


def crop_centre(image: Image.Image, width: int, height: int) -> Image.Image:
    """Return the middle ``width``×``height`` pixels of ``image`` (all of it when smaller)."""
    width, height = min(image.width, max(1, width)), min(image.height, max(1, height))
    if (width, height) == image.size:
        return image
    left, top = (image.width - width) // 2, (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))

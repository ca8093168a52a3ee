"""True-resolution pictures through the kitty and sixel graphics protocols.

Used by the full-screen viewer while the Textual app is suspended (``App.suspend()``),
when the program owns the real terminal. :func:`probe_graphics` asks the terminal what
it supports; :func:`kitty_sequence` and :func:`sixel_sequence` build the escape
sequences to write. Terminals that answer neither get half blocks instead.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import select
import struct
import time
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
"""Asks a kitty-compatible terminal to check a 1×1 image; it answers ``OK``."""

DA1_QUERY = "\x1b[c"
"""Primary Device Attributes: every terminal answers, so the probe never waits long."""

KITTY_CHUNK = 4096
"""Base64 characters per kitty graphics escape sequence."""

DEFAULT_CELL_PIXELS = (10, 20)
"""The cell size assumed when the terminal does not report its pixel size."""

_MAX_CELL_PIXELS = (32, 64)
_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK")
_DA1_REPLY = re.compile(rb"\x1b\[\?([0-9;]*)c")
_RUN = re.compile(r"(.)\1{3,}")
_SIXEL_CHARS = bytes(63 + value if value < 64 else 63 for value in range(256))
_TRANSPARENT = 255


class GraphicsProtocol(StrEnum):
    """How the terminal can show pictures at full resolution."""

    KITTY = "kitty"
    SIXEL = "sixel"
    NONE = "none"


def parse_probe_reply(reply: bytes) -> GraphicsProtocol:
    """Return what the terminal supports, from its answers to the probe's queries.

    Kitty when it answered the graphics query with ``OK``, sixel when its Primary
    Device Attributes include ``4``, none otherwise.
    """
    if _KITTY_OK.search(reply):
        return GraphicsProtocol.KITTY
    match = _DA1_REPLY.search(reply)
    if match is not None and b"4" in match.group(1).split(b";"):
        return GraphicsProtocol.SIXEL
    return GraphicsProtocol.NONE


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def probe_graphics(fd_in: int, fd_out: int, *, timeout: float = 0.3) -> GraphicsProtocol:
    """Ask the terminal on ``fd_in``/``fd_out`` which graphics protocol it speaks.

    The terminal is put in raw mode (restored before returning), sent the kitty query
    and a Primary Device Attributes request, and read until it answers the latter or
    ``timeout`` seconds pass. Call it only while nothing else reads the terminal
    (the Textual app suspended). Never raises: anything that is not a terminal, or
    any error, gives :attr:`GraphicsProtocol.NONE` (and nothing is written to a
    file descriptor that is not a terminal).
    """
    try:
        import termios
        import tty
    except ImportError:  # not a POSIX system
        return GraphicsProtocol.NONE
    try:
        if not (os.isatty(fd_in) and os.isatty(fd_out)):
            return GraphicsProtocol.NONE
        saved = termios.tcgetattr(fd_in)
    except (OSError, termios.error):
        return GraphicsProtocol.NONE
    reply = b""
    try:
        tty.setraw(fd_in, termios.TCSANOW)
        _write_all(fd_out, (KITTY_QUERY + DA1_QUERY).encode("ascii"))
        deadline = time.monotonic() + timeout
        while _DA1_REPLY.search(reply) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            reply += chunk
    except (OSError, ValueError, termios.error):
        return GraphicsProtocol.NONE
    finally:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
    return parse_probe_reply(reply)


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


def kitty_sequence(image: Image.Image, *, columns: int, rows: int) -> str:
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
    first = f"a=T,f=100,c={columns},r={rows},q=2,"
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

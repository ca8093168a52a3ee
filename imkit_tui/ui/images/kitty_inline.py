"""Pictures drawn inline, inside Textual's screen, with kitty's Unicode placeholders.

Textual draws a grid of text cells; it cannot place pixels. Kitty's graphics protocol
has a mode made for such programs: the picture is transmitted once with a *virtual
placement* (``U=1``) of ``c`` columns by ``r`` rows, and then drawn wherever the
program prints the placeholder character U+10EEEE. Each placeholder cell carries:

* two combining diacritics after it, from kitty's ``rowcolumn-diacritics`` table
  (:data:`DIACRITICS`): the first is the cell's row in the picture, the second its
  column;
* its foreground colour, which is the image id (24-bit: ``0xRRGGBB``; so ids run
  from 1 to :data:`MAX_IMAGE_ID`, and the terminal must be drawn in true colour);
* its background colour, shown where the picture is transparent.

The terminal fits the picture into the ``c``×``r`` box, keeping its proportions.
Because the cells are ordinary text, Textual moves, clips and scrolls them like any
other; Rich measures a placeholder cell (U+10EEEE plus two combining marks) as one
cell and never splits it (see ``rich.cells.split_graphemes``).

:class:`KittyImages` gives out the ids of one terminal session and sends each picture
once; :class:`KittyPicture` is the Rich renderable a bubble draws. Sixel has no such
mode: a sixel image is painted at the cursor and would be overwritten by the next
frame of the compositor, so sixel stays in the full-screen viewer (with the app
suspended) and pictures in the chat fall back to half blocks there.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from imkit_tui.ui.images.graphics import KITTY_CHUNK
from imkit_tui.ui.images.halfblock import fit_cells

if TYPE_CHECKING:
    from PIL import Image

PLACEHOLDER = "\U0010eeee"
"""The character a terminal replaces with a cell of a picture."""

_DIACRITIC_CODES = """
0305 030D 030E 0310 0312 033D 033E 033F 0346 034A 034B 034C 0350 0351 0352 0357
035B 0363 0364 0365 0366 0367 0368 0369 036A 036B 036C 036D 036E 036F 0483 0484
0485 0486 0487 0592 0593 0594 0595 0597 0598 0599 059C 059D 059E 059F 05A0 05A1
05A8 05A9 05AB 05AC 05AF 05C4 0610 0611 0612 0613 0614 0615 0616 0617 0657 0658
0659 065A 065B 065D 065E 06D6 06D7 06D8 06D9 06DA 06DB 06DC 06DF 06E0 06E1 06E2
06E4 06E7 06E8 06EB 06EC 0730 0732 0733 0735 0736 073A 073D 073F 0740 0741 0743
0745 0747 0749 074A 07EB 07EC 07ED 07EE 07EF 07F0 07F1 07F3 0816 0817 0818 0819
081B 081C 081D 081E 081F 0820 0821 0822 0823 0825 0826 0827 0829 082A 082B 082C
082D 0951 0953 0954 0F82 0F83 0F86 0F87 135D 135E 135F 17DD 193A 1A17 1A75 1A76
1A77 1A78 1A79 1A7A 1A7B 1A7C 1B6B 1B6D 1B6E 1B6F 1B70 1B71 1B72 1B73 1CD0 1CD1
1CD2 1CDA 1CDB 1CE0 1DC0 1DC1 1DC3 1DC4 1DC5 1DC6 1DC7 1DC8 1DC9 1DCB 1DCC 1DD1
1DD2 1DD3 1DD4 1DD5 1DD6 1DD7 1DD8 1DD9 1DDA 1DDB 1DDC 1DDD 1DDE 1DDF 1DE0 1DE1
1DE2 1DE3 1DE4 1DE5 1DE6 1DFE 20D0 20D1 20D4 20D5 20D6 20D7 20DB 20DC 20E1 20E7
20E9 20F0 2CEF 2CF0 2CF1 2DE0 2DE1 2DE2 2DE3 2DE4 2DE5 2DE6 2DE7 2DE8 2DE9 2DEA
2DEB 2DEC 2DED 2DEE 2DEF 2DF0 2DF1 2DF2 2DF3 2DF4 2DF5 2DF6 2DF7 2DF8 2DF9 2DFA
2DFB 2DFC 2DFD 2DFE 2DFF A66F A67C A67D A6F0 A6F1 A8E0 A8E1 A8E2 A8E3 A8E4 A8E5
A8E6 A8E7 A8E8 A8E9 A8EA A8EB A8EC A8ED A8EE A8EF A8F0 A8F1 AAB0 AAB2 AAB3 AAB7
AAB8 AABE AABF AAC1 FE20 FE21 FE22 FE23 FE24 FE25 FE26 10A0F 10A38 1D185 1D186
1D187 1D188 1D189 1D1AA 1D1AB 1D1AC 1D1AD 1D242 1D243 1D244
"""

DIACRITICS: tuple[str, ...] = tuple(chr(int(code, 16)) for code in _DIACRITIC_CODES.split())
"""Kitty's row/column diacritics: ``DIACRITICS[n]`` stands for the number ``n``."""

MAX_CELLS = len(DIACRITICS)
"""The most rows or columns a placeholder picture can have (297)."""

MAX_IMAGE_ID = 0xFFFFFF
"""The largest image id a 24-bit foreground colour can carry."""

CELL_PIXELS = (20, 40)
"""Pixels per cell the transmitted picture keeps at most (it is scaled down to that)."""

_NUMBER_OF = {mark: number for number, mark in enumerate(DIACRITICS)}

Writer = Callable[[str], None]
"""Writes escape sequences to the terminal (between frames, from the event loop)."""


def id_color(image_id: int) -> Color:
    """Return the foreground colour that names image ``image_id`` (``0xRRGGBB``)."""
    return Color.from_rgb((image_id >> 16) & 255, (image_id >> 8) & 255, image_id & 255)


def id_of_color(color: Color) -> int:
    """Return the image id a placeholder's foreground ``color`` names (0 for none)."""
    red, green, blue = color.get_truecolor()
    return (red << 16) | (green << 8) | blue


def placeholder_cell(row: int, column: int) -> str:
    """Return the placeholder of the cell at ``row``, ``column`` (both from 0) of a picture.

    Raises:
        IndexError: ``row`` or ``column`` is not below :data:`MAX_CELLS`.
    """
    if not (0 <= row < MAX_CELLS and 0 <= column < MAX_CELLS):
        raise IndexError(f"cell ({row}, {column}) is outside {MAX_CELLS}×{MAX_CELLS}")
    return PLACEHOLDER + DIACRITICS[row] + DIACRITICS[column]


@lru_cache(maxsize=512)
def placeholder_row(row: int, columns: int) -> str:
    """Return row ``row`` of a picture ``columns`` cells wide: one placeholder per cell."""
    return "".join(placeholder_cell(row, column) for column in range(columns))


def decode_placeholders(text: str) -> list[tuple[int, int]]:
    """Return the ``(row, column)`` of each placeholder cell in ``text``, in order.

    The inverse of :func:`placeholder_row`; characters that are not placeholder
    cells are skipped. A cell without both diacritics gives -1 for what is missing.
    """
    cells: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        if char != PLACEHOLDER:
            continue
        marks = [_NUMBER_OF.get(mark, -1) for mark in text[index + 1 : index + 3]]
        marks += [-1] * (2 - len(marks))
        cells.append((marks[0], marks[1]))
    return cells


def placeholder_lines(image_id: int, columns: int, rows: int) -> list[list[Segment]]:
    """Return the rows of segments that show image ``image_id`` in ``columns``×``rows`` cells.

    One segment per row, its foreground the id (:func:`id_color`), no background (the
    bubble's shows through transparent pixels), without line breaks.
    """
    style = _id_style(image_id)
    return [[Segment(placeholder_row(row, columns), style)] for row in range(rows)]


@lru_cache(maxsize=1024)
def _id_style(image_id: int) -> Style:
    return Style(color=id_color(image_id))


def encode_png(image: Image.Image, *, columns: int, rows: int) -> bytes:
    """Return ``image`` as PNG, scaled down to at most :data:`CELL_PIXELS` per cell.

    The terminal scales the picture to whatever box it is placed in, so one PNG
    serves every size up to ``columns``×``rows`` cells.
    """
    picture = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    bound = (max(1, columns) * CELL_PIXELS[0], max(1, rows) * CELL_PIXELS[1])
    if picture.width > bound[0] or picture.height > bound[1]:
        picture = picture.copy()
        from PIL import Image  # Pillow loads on the first picture, not at start-up

        picture.thumbnail(bound, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def transmit_sequence(png: bytes, image_id: int, *, columns: int, rows: int) -> str:
    """Return the escape sequences that send ``png`` as image ``image_id``, placed virtually.

    ``a=T`` transmits and places at once; ``U=1`` makes the placement virtual (shown
    only where placeholders are printed), ``columns``×``rows`` cells; ``f=100`` says
    PNG; ``q=2`` keeps the terminal from answering (an answer would reach Textual as
    input). The base64 payload is cut into chunks of ``KITTY_CHUNK`` characters, each
    in its own sequence, all but the last with ``m=1``.

    Raises:
        ValueError: ``image_id`` is not in 1..:data:`MAX_IMAGE_ID`.
    """
    if not 0 < image_id <= MAX_IMAGE_ID:
        raise ValueError(f"image id {image_id} is not in 1..{MAX_IMAGE_ID}")
    columns = min(MAX_CELLS, max(1, columns))
    rows = min(MAX_CELLS, max(1, rows))
    payload = base64.b64encode(png).decode("ascii")
    chunks = [payload[i : i + KITTY_CHUNK] for i in range(0, len(payload), KITTY_CHUNK)] or [""]
    first = f"a=T,U=1,i={image_id},f=100,c={columns},r={rows},q=2,"
    parts: list[str] = []
    for number, chunk in enumerate(chunks):
        more = 1 if number < len(chunks) - 1 else 0
        keys = first if number == 0 else "q=2,"
        parts.append(f"\x1b_G{keys}m={more};{chunk}\x1b\\")
    return "".join(parts)


def delete_sequence(image_id: int) -> str:
    """Return the escape sequence that deletes image ``image_id`` and frees its data."""
    return f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"


class KittyImages:
    """The kitty images of one terminal session: their ids, and which were sent.

    A picture is named by a key (what it shows) and the cells it fills; each pair
    gets its own image id, from 1 up, and is transmitted at most once — the first
    time it is drawn — through :attr:`writer`. Without a writer (no real terminal:
    headless tests, the web) nothing is sent, and placeholders are still drawn.
    """

    def __init__(self, writer: Writer | None = None) -> None:
        """Start with no image; ``writer`` sends escape sequences to the terminal."""
        self.writer: Writer | None = writer
        """Where sequences go; set by the app once it owns a real terminal."""
        self._ids: dict[tuple[str, int, int], int] = {}
        self._sent: set[int] = set()
        self._next = 1

    def image_id(self, key: str, columns: int, rows: int) -> int:
        """Return the id of picture ``key`` in ``columns``×``rows`` cells (made on first use)."""
        name = (key, columns, rows)
        image_id = self._ids.get(name)
        if image_id is None:
            image_id = self._next
            self._next = self._next % MAX_IMAGE_ID + 1
            self._ids[name] = image_id
        return image_id

    def is_sent(self, image_id: int) -> bool:
        """Whether image ``image_id`` was transmitted in this terminal session."""
        return image_id in self._sent

    @property
    def sent(self) -> frozenset[int]:
        """The ids of the images transmitted so far."""
        return frozenset(self._sent)

    def show(self, key: str, png: bytes, columns: int, rows: int) -> int:
        """Return the id to draw picture ``key`` with, sending ``png`` first if not yet sent.

        Call it from the event loop while rendering: the sequence then reaches the
        terminal before the frame that holds the placeholders.
        """
        image_id = self.image_id(key, columns, rows)
        writer = self.writer
        if writer is not None and image_id not in self._sent:
            writer(transmit_sequence(png, image_id, columns=columns, rows=rows))
            self._sent.add(image_id)
        return image_id

    def forget_sent(self) -> None:
        """Say that the terminal lost every image (it left the screen they were on).

        Each is sent again the next time it is drawn.
        """
        self._sent.clear()

    def release(self) -> None:
        """Delete every image sent (through the writer, if any) and forget them."""
        writer = self.writer
        if writer is not None and self._sent:
            writer("".join(delete_sequence(image_id) for image_id in sorted(self._sent)))
        self._sent.clear()


class KittyPicture:
    """A picture as a Rich renderable: kitty placeholder cells, sent on first draw.

    It takes the cells a :class:`~imkit_tui.ui.images.halfblock.HalfBlockImage` of
    the same picture would (see :func:`~imkit_tui.ui.images.halfblock.fit_cells`), so
    bubbles keep their size whichever way they draw; the terminal fits the picture
    into that box, keeping its proportions.
    """

    def __init__(
        self,
        png: bytes,
        size: tuple[int, int],
        *,
        key: str,
        images: KittyImages,
        max_width: int = 40,
        max_height: int = 20,
    ) -> None:
        """Prepare the picture ``png`` of ``size`` pixels, named ``key`` among ``images``.

        Use :meth:`from_image` to start from a Pillow image.
        """
        self.max_width = min(MAX_CELLS, max(1, max_width))
        """The widest the picture is drawn, in columns."""
        self.max_height = min(MAX_CELLS, max(1, max_height))
        """The tallest the picture is drawn, in rows."""
        self.key = key
        """What the picture shows; with its size in cells, it names the image."""
        self._png = png
        self._size = size
        self._images = images

    @classmethod
    def from_image(
        cls,
        image: Image.Image,
        *,
        key: str,
        images: KittyImages,
        max_width: int = 40,
        max_height: int = 20,
    ) -> KittyPicture:
        """Encode ``image`` (any mode) for drawing within ``max_width``×``max_height`` cells.

        Encoding is the slow part (Pillow): call it in a thread for large pictures.
        """
        png = encode_png(image, columns=max_width, rows=max_height)
        return cls(
            png, image.size, key=key, images=images, max_width=max_width, max_height=max_height
        )

    @property
    def cell_size(self) -> tuple[int, int]:
        """The ``(columns, rows)`` the picture takes when ``max_width`` columns are free."""
        return fit_cells(self._size, self.max_width, self.max_height)

    def size_for(self, available: int) -> tuple[int, int]:
        """Return the ``(columns, rows)`` the picture takes when ``available`` columns are free."""
        return fit_cells(self._size, min(self.max_width, available), self.max_height)

    def lines(self, available: int) -> list[list[Segment]]:
        """Send the picture if needed; return its placeholder rows for ``available`` columns."""
        columns, rows = self.size_for(available)
        image_id = self._images.show(self.key, self._png, columns, rows)
        return placeholder_lines(image_id, columns, rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        columns, _ = self.size_for(options.max_width)
        return Measurement(columns, columns)

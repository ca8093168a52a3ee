"""imkit_tui.ui.images: half blocks, GIF animation, kitty, sixel and iTerm2 output."""

from __future__ import annotations

import base64
import io
import math
import random
import re

import pytest
from PIL import Image
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.segment import Segment

from imkit_tui.media.images import Frame
from imkit_tui.ui.images.animation import AnimatedImage
from imkit_tui.ui.images.graphics import (
    KITTY_CHUNK,
    GraphicsProtocol,
    crop_centre,
    fit_in_cells,
    iterm_sequence,
    kitty_delete,
    kitty_sequence,
    sixel_sequence,
)
from imkit_tui.ui.images.halfblock import HalfBlockImage, fit_cells, render_cells
from imkit_tui.ui.images.kitty_inline import decode_placeholders
from imkit_tui.ui.images.placement import VIEWER_IMAGE_ID, fitted_sequence, true_size_sequence

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def console(width: int) -> Console:
    return Console(width=width, color_system="truecolor", file=io.StringIO(), legacy_windows=False)


def draw(renderable: RenderableType, width: int) -> list[list[Segment]]:
    """Render through a real Rich console: the rows of segments, without padding."""
    terminal = console(width)
    return terminal.render_lines(renderable, terminal.options, pad=False)


def shape(lines: list[list[Segment]]) -> tuple[int, int]:
    """(widest row, number of rows) of rendered lines."""
    return max(Segment.get_line_length(line) for line in lines), len(lines)


def two_by_two(top: tuple[int, ...], bottom: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (2, 2))
    image.putpixel((0, 0), top)
    image.putpixel((1, 0), top)
    image.putpixel((0, 1), bottom)
    image.putpixel((1, 1), bottom)
    return image


# -- half blocks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("console_width", "expected"),
    [(80, (20, 5)), (20, (20, 5)), (10, (10, 3)), (4, (4, 1)), (1, (1, 1))],
)
def test_a_20x10_picture_fits_the_width(console_width: int, expected: tuple[int, int]) -> None:
    image = HalfBlockImage(Image.new("RGB", (20, 10), RED))
    assert shape(draw(image, console_width)) == expected


def test_max_width_and_max_height_bound_the_picture() -> None:
    wide = HalfBlockImage(Image.new("RGB", (200, 100), RED), max_width=30, max_height=20)
    assert wide.cell_size == (30, 8)
    assert shape(draw(wide, 100)) == (30, 8)
    tall = HalfBlockImage(Image.new("RGB", (40, 400), RED), max_width=40, max_height=10)
    assert tall.cell_size == (2, 10)
    assert shape(draw(tall, 100)) == (2, 10)


def test_never_wider_than_the_console() -> None:
    image = HalfBlockImage(Image.new("RGB", (300, 90), GREEN), max_width=60, max_height=30)
    for width in range(1, 70):
        columns, rows = shape(draw(image, width))
        assert 1 <= columns <= min(width, 60)
        assert 1 <= rows <= 30


def test_the_colours_of_a_2x2_picture() -> None:
    (line,) = draw(HalfBlockImage(two_by_two(RED, BLUE)), 40)
    (segment,) = [segment for segment in line if segment.text.strip()]
    assert segment.text == "▀▀"
    assert segment.style is not None
    assert segment.style.color is not None and segment.style.bgcolor is not None
    assert segment.style.color.get_truecolor() == RED
    assert segment.style.bgcolor.get_truecolor() == BLUE


def test_the_escape_codes_reach_the_terminal() -> None:
    file = io.StringIO()
    terminal = Console(width=40, color_system="truecolor", file=file, legacy_windows=False)
    terminal.print(HalfBlockImage(two_by_two(RED, BLUE)), end="")
    assert "\x1b[38;2;255;0;0;48;2;0;0;255m▀▀" in file.getvalue()


def test_transparent_pixels_leave_the_background_alone() -> None:
    cases = [
        ((*RED, 255), (*BLUE, 0), "▀", RED, None),
        ((*RED, 0), (*GREEN, 255), "▄", GREEN, None),
        ((*RED, 0), (*BLUE, 0), " ", None, None),
    ]
    for top, bottom, char, fg, bg in cases:
        ((segment,),) = render_cells(two_by_two(top, bottom, "RGBA"), 2, 1)
        assert segment.text == char * 2
        style = segment.style
        if fg is None:
            assert style is None or (style.color is None and style.bgcolor is None)
            continue
        assert style is not None and style.color is not None
        assert style.color.get_truecolor() == fg
        assert style.bgcolor is None if bg is None else style.bgcolor.get_truecolor() == bg


def test_render_cells_merges_runs_and_draws_every_cell() -> None:
    image = Image.new("RGB", (6, 4), RED)
    image.paste(BLUE, (3, 0, 6, 4))
    rows = render_cells(image, 6, 2)
    assert len(rows) == 2
    for row in rows:
        assert [segment.text for segment in row] == ["▀▀▀", "▀▀▀"]
        assert [s.style.color.get_truecolor() for s in row if s.style and s.style.color] == [
            RED,
            BLUE,
        ]


def test_measurement_and_cache() -> None:
    image = HalfBlockImage(Image.new("RGB", (20, 10), RED))
    terminal = console(12)
    assert Measurement.get(terminal, terminal.options, image) == Measurement(12, 12)
    first = image.lines(12)
    assert image.lines(12) is first  # drawn once per width
    for width in (5, 6, 7):
        image.lines(width)
    assert image.lines(12) is first  # a few widths are kept
    for width in (5, 6, 7, 8):
        image.lines(width)
    again = image.lines(12)
    assert again is not first and again == first  # the oldest width was dropped


def test_fit_cells_keeps_proportions_and_never_enlarges() -> None:
    assert fit_cells((2, 2), 40, 20) == (2, 1)
    assert fit_cells((400, 400), 40, 20) == (40, 20)
    assert fit_cells((400, 100), 40, 20) == (40, 5)
    assert fit_cells((0, 0), 0, 0) == (1, 1)


# -- animation -------------------------------------------------------------------------


def frames(*colours_and_delays: tuple[tuple[int, int, int], int]) -> list[Frame]:
    return [Frame(Image.new("RGBA", (8, 4), (*c, 255)), d) for c, d in colours_and_delays]


def colour_of(image: HalfBlockImage) -> tuple[int, int, int]:
    ((segment,),) = image.lines(40)[:1]
    assert segment.style is not None and segment.style.color is not None
    return segment.style.color.get_truecolor()


def test_animation_advances_wraps_and_reports_delays() -> None:
    animation = AnimatedImage(frames((RED, 50), (GREEN, 100), (BLUE, 200)))
    assert animation.frame_count == 3
    assert (animation.index, animation.delay_ms(), colour_of(animation.current())) == (0, 50, RED)
    assert animation.advance() == 100
    assert (animation.index, colour_of(animation.current())) == (1, GREEN)
    assert animation.advance() == 200
    assert (animation.index, colour_of(animation.current())) == (2, BLUE)
    assert animation.advance() == 50
    assert (animation.index, animation.delay_ms(), colour_of(animation.current())) == (0, 50, RED)


def test_animation_frames_fit_its_size() -> None:
    big = [Frame(Image.new("RGBA", (400, 200), (*RED, 255)), 100)] * 2
    animation = AnimatedImage(big, max_width=30, max_height=16)
    assert animation.current().cell_size == (30, 8)
    assert shape(draw(animation.current(), 80)) == (30, 8)


def test_an_animation_needs_frames() -> None:
    with pytest.raises(ValueError):
        AnimatedImage([])


# -- kitty -----------------------------------------------------------------------------

APC = re.compile(r"\x1b_G([^;\x1b]*);([^\x1b]*)\x1b\\")


def noise(width: int, height: int) -> Image.Image:
    rng = random.Random(7)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def test_kitty_sequence_is_chunked() -> None:
    sequence = kitty_sequence(noise(120, 90), columns=30, rows=10)
    chunks = APC.findall(sequence)
    assert "".join(f"\x1b_G{k};{p}\x1b\\" for k, p in chunks) == sequence  # nothing else
    assert len(chunks) > 2
    keys = [dict(item.split("=") for item in k.split(",")) for k, _ in chunks]
    assert keys[0] == {"a": "T", "f": "100", "c": "30", "r": "10", "q": "2", "m": "1"}
    assert all(k == {"m": "1"} for k in keys[1:-1])
    assert keys[-1] == {"m": "0"}
    assert all(len(payload) == KITTY_CHUNK for _, payload in chunks[:-1])
    assert 0 < len(chunks[-1][1]) <= KITTY_CHUNK
    png = Image.open(io.BytesIO(base64.b64decode("".join(p for _, p in chunks))))
    assert png.format == "PNG" and png.size == (120, 90)


def test_kitty_sequence_of_a_small_picture_is_one_chunk() -> None:
    ((keys, payload),) = APC.findall(kitty_sequence(two_by_two(RED, BLUE), columns=1, rows=1))
    assert keys.endswith("m=0")
    png = Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB")
    assert png.getpixel((0, 0)) == RED and png.getpixel((1, 1)) == BLUE


def test_fit_in_cells() -> None:
    assert fit_in_cells((1000, 500), columns=80, rows=24, cell_pixels=(10, 20)) == (80, 20)
    assert fit_in_cells((1000, 100), columns=80, rows=24, cell_pixels=(10, 20)) == (80, 4)
    assert fit_in_cells((1, 1), columns=80, rows=24, cell_pixels=(10, 20)) == (48, 24)
    assert fit_in_cells((300, 900), columns=80, rows=24, cell_pixels=(8, 16)) == (16, 24)


# -- sixel -----------------------------------------------------------------------------

SIXEL = re.compile(r'\x1bP0;1;0q"1;1;(\d+);(\d+)(.*)\x1b\\', re.DOTALL)
REGISTER = re.compile(r"#(\d+);2;(\d+);(\d+);(\d+)")


def percent(value: str) -> int:
    return round(int(value) * 255 / 100)


def decode_sixel(sequence: str) -> tuple[int, list[list[tuple[int, int, int] | None]]]:
    """A small sixel decoder: (number of bands, the painted pixels; None where unpainted)."""
    match = SIXEL.fullmatch(sequence)
    assert match is not None, "not a sixel sequence"
    width, height, body = int(match[1]), int(match[2]), match[3]
    colours = {
        int(n): (percent(r), percent(g), percent(b)) for n, r, g, b in REGISTER.findall(body)
    }
    assert colours, "no colour registers"
    data = REGISTER.sub("", body)
    pixels: list[list[tuple[int, int, int] | None]] = [[None] * width for _ in range(height)]
    x = y = 0
    colour: tuple[int, int, int] | None = None
    for token in re.findall(r"#\d+|!\d+.|[?-~]|\$|-", data):
        if token.startswith("#"):
            colour = colours[int(token[1:])]
            continue
        if token == "$":
            x = 0
            continue
        if token == "-":
            x, y = 0, y + 6
            continue
        count, char = (int(token[1:-1]), token[-1]) if token.startswith("!") else (1, token)
        bits = ord(char) - 63
        for _ in range(count):
            for bit in range(6):
                if bits >> bit & 1:
                    assert y + bit < height and x < width, "painted outside the picture"
                    pixels[y + bit][x] = colour
            x += 1
    return data.count("-") + 1, pixels


def test_sixel_sequence_decodes_back_to_the_picture() -> None:
    image = Image.new("RGB", (10, 13), WHITE)
    image.paste(RED, (0, 0, 5, 7))
    image.paste(BLUE, (5, 7, 10, 13))
    image.paste(GREEN, (2, 11, 4, 12))
    sequence = sixel_sequence(image, max_width_px=100, max_height_px=100)
    assert sequence.startswith("\x1bP") and sequence.endswith("\x1b\\")
    bands, pixels = decode_sixel(sequence)
    assert bands == math.ceil(13 / 6)
    expected = [[image.getpixel((x, y)) for x in range(10)] for y in range(13)]
    assert pixels == expected


def test_sixel_sequence_compresses_runs() -> None:
    sequence = sixel_sequence(Image.new("RGB", (200, 6), RED), max_width_px=500, max_height_px=500)
    assert "!200~" in sequence
    bands, pixels = decode_sixel(sequence)
    assert bands == 1 and all(pixel == RED for row in pixels for pixel in row)


def test_sixel_sequence_leaves_transparent_pixels_unpainted() -> None:
    image = Image.new("RGBA", (8, 8), (*RED, 255))
    image.paste((0, 0, 0, 0), (0, 0, 8, 4))
    _, pixels = decode_sixel(sixel_sequence(image, max_width_px=8, max_height_px=8))
    assert all(pixel is None for row in pixels[:4] for pixel in row)
    assert all(pixel == RED for row in pixels[4:] for pixel in row)


def test_sixel_sequence_scales_down_to_fit_and_keeps_many_colours() -> None:
    sequence = sixel_sequence(noise(300, 120), max_width_px=100, max_height_px=100)
    assert sequence.startswith('\x1bP0;1;0q"1;1;100;40')
    bands, pixels = decode_sixel(sequence)
    assert bands == math.ceil(40 / 6)
    assert all(pixel is not None for row in pixels for pixel in row)
    assert 64 < len(REGISTER.findall(sequence)) <= 256


# -- iTerm2 and whole-screen placement ---------------------------------------------------

OSC1337 = re.compile(r"\x1b\]1337;File=([^:]*):([A-Za-z0-9+/=]*)\a")


def decode_iterm(sequence: str) -> tuple[dict[str, str], Image.Image]:
    """Read an OSC 1337 sequence back: its arguments and the picture it carries."""
    match = OSC1337.fullmatch(sequence)
    assert match is not None, "not an OSC 1337 sequence"
    arguments = dict(item.split("=", 1) for item in match[1].split(";"))
    data = base64.b64decode(match[2])
    assert int(arguments["size"]) == len(data)
    return arguments, Image.open(io.BytesIO(data))


def test_iterm_sequence_carries_the_picture() -> None:
    image = two_by_two(RED, BLUE)
    arguments, png = decode_iterm(iterm_sequence(image, width="40", height="12"))
    assert arguments["inline"] == "1" and arguments["preserveAspectRatio"] == "1"
    assert (arguments["width"], arguments["height"]) == ("40", "12")
    assert png.format == "PNG" and png.convert("RGB").getpixel((0, 1)) == BLUE
    _, palette = decode_iterm(iterm_sequence(image.convert("P"), width="1px", height="auto"))
    assert palette.size == (2, 2)


def test_kitty_sequence_with_an_id_keeps_the_cursor() -> None:
    ((keys, _),) = APC.findall(kitty_sequence(two_by_two(RED, BLUE), columns=2, rows=1, image_id=9))
    assert {"i=9", "C=1", "c=2", "r=1"} <= set(keys.split(","))
    assert kitty_delete(9) == "\x1b_Ga=d,d=I,i=9,q=2\x1b\\"


def test_crop_centre() -> None:
    image = noise(100, 50)
    middle = crop_centre(image, 20, 10)
    assert middle.size == (20, 10)
    assert middle.getpixel((0, 0)) == image.getpixel((40, 20))
    assert crop_centre(image, 500, 500) is image


@pytest.mark.parametrize(
    "protocol", [GraphicsProtocol.KITTY_DIRECT, GraphicsProtocol.SIXEL, GraphicsProtocol.ITERM]
)
def test_fitted_pictures_fill_the_area_and_keep_proportions(protocol: GraphicsProtocol) -> None:
    sequence = fitted_sequence(noise(400, 100), protocol, columns=30, rows=20, cell_pixels=(8, 16))
    if protocol is GraphicsProtocol.SIXEL:
        assert sequence.startswith('\x1bP0;1;0q"1;1;240;60')  # 30 columns, 60 of 320 pixels
        small = fitted_sequence(noise(40, 25), protocol, columns=30, rows=20, cell_pixels=(8, 16))
        assert small.startswith('\x1bP0;1;0q"1;1;230;144')  # enlarged to fill 30×9 cells
    elif protocol is GraphicsProtocol.ITERM:
        arguments, _ = decode_iterm(sequence)
        assert (arguments["width"], arguments["height"]) == ("30", "4")
    else:
        keys = APC.findall(sequence)[0][0].split(",")
        assert {"c=30", "r=4", f"i={VIEWER_IMAGE_ID}"} <= set(keys)
    assert (
        fitted_sequence(noise(4, 4), GraphicsProtocol.NONE, columns=3, rows=3, cell_pixels=(8, 16))
        == ""
    )


def test_true_size_is_pixel_for_pixel_and_cut_to_the_screen() -> None:
    cell = (10, 20)
    small = true_size_sequence(
        noise(35, 30), GraphicsProtocol.SIXEL, columns=80, rows=24, cell_pixels=cell
    )
    assert small.startswith('\x1bP0;1;0q"1;1;35;30')
    large = true_size_sequence(
        noise(900, 300), GraphicsProtocol.ITERM, columns=40, rows=10, cell_pixels=cell
    )
    arguments, png = decode_iterm(large)
    assert png.size == (400, 200) and arguments["width"] == "400px"
    direct = true_size_sequence(
        noise(35, 30), GraphicsProtocol.KITTY_DIRECT, columns=80, rows=24, cell_pixels=cell
    )
    assert {"c=4", "r=2"} <= set(APC.findall(direct)[0][0].split(","))
    placed = true_size_sequence(
        noise(35, 30), GraphicsProtocol.KITTY, columns=80, rows=24, cell_pixels=cell
    )
    assert "U=1" in APC.findall(placed)[0][0]
    rows = placed[placed.rindex("\x1b\\") + 2 :].split("\r\n")
    assert [decode_placeholders(row) for row in rows] == [
        [(r, 0), (r, 1), (r, 2), (r, 3)] for r in range(2)
    ]
    assert (
        true_size_sequence(noise(3, 3), GraphicsProtocol.NONE, columns=8, rows=8, cell_pixels=cell)
        == ""
    )

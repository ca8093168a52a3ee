"""Pictures inline with kitty's Unicode placeholders: encoding, sending, bubbles, the switch."""

from __future__ import annotations

import base64
import os
import random
import re
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from textual._segment_tools import line_crop
from textual.pilot import Pilot
from textual.strip import Strip

from imkit_tui.cli import build_parser
from imkit_tui.commands.app import GRAPHICS_ENV, choose_graphics
from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.bubbles.image import ImageBubble
from imkit_tui.ui.bubbles.location import LocationBubble
from imkit_tui.ui.bubbles.video import VideoBubble
from imkit_tui.ui.images.graphics import KITTY_CHUNK, GraphicsProtocol
from imkit_tui.ui.images.halfblock import UPPER_HALF, fit_cells
from imkit_tui.ui.images.kitty_inline import (
    DIACRITICS,
    MAX_CELLS,
    MAX_IMAGE_ID,
    PLACEHOLDER,
    KittyImages,
    KittyPicture,
    decode_placeholders,
    delete_sequence,
    encode_png,
    id_color,
    id_of_color,
    placeholder_cell,
    placeholder_lines,
    placeholder_row,
    transmit_sequence,
)
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui import drawn
from tests.ui.test_app import until
from tests.ui.test_bubbles import BubbleApp, gradient, jpeg_base64, make, settle

CELL = re.compile(f"{PLACEHOLDER}[^{PLACEHOLDER}]*")


def noise(width: int, height: int) -> Image.Image:
    """A picture PNG cannot squeeze: its base64 runs over several chunks."""
    rng = random.Random(7)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def cells_of(segments: list[Segment]) -> list[tuple[int, int, int]]:
    """``(image id, row, column)`` of every placeholder cell in a line of segments."""
    found: list[tuple[int, int, int]] = []
    for segment in segments:
        if PLACEHOLDER not in segment.text:
            continue
        assert segment.style is not None and segment.style.color is not None
        image_id = id_of_color(segment.style.color)
        found += [(image_id, row, column) for row, column in decode_placeholders(segment.text)]
    return found


def drawn_cells(bubble: Bubble) -> list[tuple[int, int, int]]:
    """Every placeholder cell of the bubble as Textual renders it, top to bottom."""
    return [cell for strip in drawn.strips(bubble) for cell in cells_of(list(strip))]


def drawn_text(bubble: Bubble) -> str:
    return "\n".join(drawn.lines(bubble))


def transmissions(sent: list[str]) -> list[str]:
    return [data for data in sent if "a=T" in data]


# The encoding ------------------------------------------------------------------------


def test_the_diacritics_are_kittys_table() -> None:
    codes = [ord(mark) for mark in DIACRITICS]
    assert MAX_CELLS == len(DIACRITICS) == 297
    assert codes[:6] == [0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D]
    assert codes[-3:] == [0x1D242, 0x1D243, 0x1D244]
    assert codes == sorted(set(codes))
    assert all(
        unicodedata.category(mark) == "Mn" and unicodedata.combining(mark) == 230
        for mark in DIACRITICS
    )


def test_a_3x2_picture_decodes_back_to_its_rows_columns_and_id() -> None:
    image_id = 0x12AB34
    lines = placeholder_lines(image_id, 3, 2)
    assert len(lines) == 2
    for row, line in enumerate(lines):
        assert len(line) == 1
        assert cells_of(line) == [(image_id, row, column) for column in range(3)]
        text = line[0].text
        assert CELL.findall(text) == [placeholder_cell(row, column) for column in range(3)]
        assert text == f"{PLACEHOLDER}{DIACRITICS[row]}{DIACRITICS[0]}" + "".join(
            f"{PLACEHOLDER}{DIACRITICS[row]}{DIACRITICS[column]}" for column in (1, 2)
        )
        assert line[0].style is not None and line[0].style.bgcolor is None


def test_the_foreground_colour_is_the_24_bit_id() -> None:
    assert id_color(1).get_truecolor() == (0, 0, 1)
    assert id_color(0x123456).get_truecolor() == (0x12, 0x34, 0x56)
    assert id_color(MAX_IMAGE_ID).get_truecolor() == (255, 255, 255)
    for image_id in (1, 255, 256, 65_536, 0xABCDEF, MAX_IMAGE_ID):
        assert id_of_color(id_color(image_id)) == image_id


def test_cells_outside_the_table_are_refused() -> None:
    with pytest.raises(IndexError):
        placeholder_cell(MAX_CELLS, 0)
    with pytest.raises(IndexError):
        placeholder_cell(0, -1)


# Cell widths: Rich and Textual must see one cell per placeholder ------------------------


@pytest.mark.parametrize("columns", [1, 3, 32, MAX_CELLS])
def test_rich_measures_a_placeholder_row_as_its_columns(columns: int) -> None:
    assert cell_len(placeholder_cell(0, 0)) == 1
    assert cell_len(placeholder_row(5, columns)) == columns
    assert Segment.get_line_length(placeholder_lines(9, columns, 1)[0]) == columns
    assert Strip(placeholder_lines(9, columns, 1)[0]).cell_length == columns


def test_cutting_a_row_anywhere_keeps_whole_cells() -> None:
    """Rich splits by grapheme: a cut never strands a diacritic from its placeholder."""
    line = placeholder_lines(42, 5, 1)[0]
    for cut in range(6):
        left, right = line[0].split_cells(cut)
        assert cell_len(left.text) == cut and cell_len(right.text) == 5 - cut
        assert [c for _, _, c in cells_of([left])] == list(range(cut))
        assert [c for _, _, c in cells_of([right])] == list(range(cut, 5))
    for start in range(5):
        for end in range(start + 1, 6):
            cropped = line_crop(line, start, end, 5)  # what Textual's compositor does
            assert [c for _, _, c in cells_of(cropped)] == list(range(start, end))


def test_a_kitty_picture_renders_its_size_in_rich() -> None:
    picture = KittyPicture.from_image(
        gradient(48, 32), key="k", images=KittyImages(), max_width=32, max_height=12
    )
    console = Console(width=80, color_system="truecolor")
    lines = console.render_lines(picture, console.options, pad=False)
    assert picture.cell_size == (32, 11)
    assert len(lines) == 11
    assert all(Segment.get_line_length(line) == 32 for line in lines)
    narrow = console.render_lines(picture, console.options.update_width(10), pad=False)
    assert (Segment.get_line_length(narrow[0]), len(narrow)) == picture.size_for(10) == (10, 3)
    ansi = "".join(segment.text for line in lines for segment in line)
    assert ansi.count(PLACEHOLDER) == 32 * 11


# Sending -----------------------------------------------------------------------------


def test_the_transmission_is_chunked_with_a_virtual_placement() -> None:
    png = encode_png(noise(120, 90), columns=32, rows=12)
    sequence = transmit_sequence(png, 0x0A0B0C, columns=32, rows=12)
    chunks = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", sequence)
    assert "".join(f"\x1b_G{keys};{data}\x1b\\" for keys, data in chunks) == sequence
    assert len(chunks) > 2
    first = dict(pair.split("=") for pair in chunks[0][0].split(","))
    assert first == {
        "a": "T",
        "U": "1",
        "i": str(0x0A0B0C),
        "f": "100",
        "c": "32",
        "r": "12",
        "q": "2",
        "m": "1",
    }
    assert [keys for keys, _ in chunks[1:-1]] == ["q=2,m=1"] * (len(chunks) - 2)
    assert chunks[-1][0] == "q=2,m=0"
    assert all(len(data) <= KITTY_CHUNK for _, data in chunks)
    assert all(len(data) == KITTY_CHUNK for _, data in chunks[:-1])
    assert base64.b64decode("".join(data for _, data in chunks)) == png


def test_the_png_is_bounded_and_ids_outside_24_bits_are_refused() -> None:
    import io

    png = encode_png(noise(2000, 1500), columns=4, rows=2)
    with Image.open(io.BytesIO(png)) as decoded:
        assert decoded.width <= 4 * 20 and decoded.height <= 2 * 40
    for bad in (0, MAX_IMAGE_ID + 1):
        with pytest.raises(ValueError):
            transmit_sequence(png, bad, columns=1, rows=1)


def test_each_picture_and_size_is_sent_once() -> None:
    sent: list[str] = []
    images = KittyImages()
    first = images.show("a", b"png-a", 3, 2)
    assert first == 1 and sent == [] and not images.is_sent(first)  # no terminal yet
    images.writer = sent.append
    assert images.show("a", b"png-a", 3, 2) == first
    assert images.show("a", b"png-a", 3, 2) == first
    assert len(sent) == 1 and f"i={first}," in sent[0] and images.sent == {first}
    other_size = images.show("a", b"png-a", 2, 1)
    other_picture = images.show("b", b"png-b", 3, 2)
    assert len({first, other_size, other_picture}) == 3
    assert len(transmissions(sent)) == 3
    images.forget_sent()  # the terminal came back from a suspension
    images.show("a", b"png-a", 3, 2)
    assert len(transmissions(sent)) == 4
    images.release()
    assert sent[-1].count("a=d,d=I") == 1 and sent[-1] == delete_sequence(first)
    assert images.sent == frozenset()


# Bubbles in apps -----------------------------------------------------------------------


class KittyBubbleApp(BubbleApp):
    """Bubbles in an app that draws pictures with kitty, its writes collected."""

    def __init__(self, bubbles: list[Bubble]) -> None:
        super().__init__(bubbles)
        self.sent: list[str] = []
        self.inline_pictures = KittyImages(self.sent.append)


def image_message(id: int, own: bool = False, **extra: object) -> ImageBubble:
    content: dict[str, object] = {"imageUri": "https://example.com/p.jpg", **extra}
    return ImageBubble(make(id, "RC:ImgMsg", content, own=own), me="me")


async def test_a_thumbnail_is_drawn_with_placeholders_and_sent_once() -> None:
    bubble = image_message(1, content=jpeg_base64(48, 32))
    app = KittyBubbleApp([bubble])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        cells = drawn_cells(bubble)
        (image_id,) = {image_id for image_id, _, _ in cells}
        columns, rows = 32, 11
        assert [(r, c) for _, r, c in cells] == [
            (r, c) for r in range(rows) for c in range(columns)
        ]
        assert UPPER_HALF not in drawn_text(bubble)
        (sent,) = transmissions(app.sent)
        assert f"a=T,U=1,i={image_id},f=100,c={columns},r={rows},q=2," in sent
        for _ in range(3):
            bubble.refresh()
            await settle(pilot)
            assert drawn_cells(bubble) == cells
        assert len(transmissions(app.sent)) == 1


async def test_local_pictures_locations_and_videos_draw_with_kitty_too(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    gradient(40, 40).save(path)
    local = image_message(1, own=True, localPath=str(path))
    location = LocationBubble(
        make(2, "RC:LBSMsg", {"latitude": 31.2, "longitude": 121.4, "content": jpeg_base64()}),
        me="me",
    )
    video = VideoBubble(
        make(
            3, "RC:SightMsg", {"duration": 8, "sightUrl": "https://v/1", "content": jpeg_base64()}
        ),
        me="me",
    )
    app = KittyBubbleApp([local, location, video])
    async with app.run_test(size=(100, 60)) as pilot:
        columns, rows = fit_cells((40, 40), 32, 12)
        whole = [(r, c) for r in range(rows) for c in range(columns)]
        await until(
            pilot, lambda: [(r, c) for _, r, c in drawn_cells(local)] == whole, "the local picture"
        )
        assert drawn_cells(location) and drawn_cells(video)
        ids = {cells[0][0] for cells in map(drawn_cells, (local, location, video))}
        assert len(ids) == 3  # the same thumbnail, but 30×10 cells for one, 32×11 the other
        assert len(transmissions(app.sent)) == 3


async def test_plain_apps_draw_half_blocks() -> None:
    bubble = image_message(1, content=jpeg_base64(48, 32))
    app = BubbleApp([bubble])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert UPPER_HALF in drawn_text(bubble) and PLACEHOLDER not in drawn_text(bubble)


async def _open_picture(client: IMClient, app: IMKitApp, pilot: Pilot[None]) -> ImageBubble:
    await pilot.press("enter")  # bob's conversation, the only one
    chat = app.screen.query_one(ChatView)
    pictures = lambda: [b for b in chat.bubbles() if isinstance(b, ImageBubble)]  # noqa: E731
    await until(pilot, lambda: bool(pictures()), "the image bubble")
    (bubble,) = pictures()
    await until(pilot, lambda: drawn.height(bubble) > 0, "the bubble laid out")
    return bubble


@pytest.fixture
async def picture_from_bob(make_client: ClientFactory) -> IMClient:
    bob = await make_client("bob")
    content = {"content": jpeg_base64(48, 32), "imageUri": "https://example.com/p.jpg"}
    sent = await bob.send(ConvRef.private("me"), "RC:ImgMsg", content)
    await bob.wait_sent([sent.id], timeout=10)
    return await make_client("me")


def make_app(client: IMClient, tmp_path: Path, **options: object) -> IMKitApp:
    state = UiState(tmp_path / "ui-state.json")
    return IMKitApp(client, themes=load_themes(), state=state, **options)  # type: ignore[arg-type]


async def test_the_app_with_kitty_draws_placeholders_and_sends_once(
    picture_from_bob: IMClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    app = make_app(picture_from_bob, tmp_path, graphics=GraphicsProtocol.KITTY)
    assert app.graphics == GraphicsProtocol.KITTY
    images = app.inline_pictures
    assert images is not None
    async with app.run_test(size=(110, 30)) as pilot:
        assert images.writer is None  # headless: the app itself never sends anything
        sent: list[str] = []
        images.writer = sent.append
        bubble = await _open_picture(picture_from_bob, app, pilot)
        cells = drawn_cells(bubble)
        assert cells and UPPER_HALF not in drawn_text(bubble)
        (image_id,) = {image_id for image_id, _, _ in cells}
        assert images.sent == {image_id}
        bubble.refresh()
        await pilot.pause()
        assert drawn_cells(bubble) == cells
        assert len(transmissions(sent)) == 1 and f"i={image_id}," in sent[0]
        app.app_resume_signal.publish(app)  # back from a suspension: a new screen
        await until(pilot, lambda: len(transmissions(sent)) == 2, "the picture sent again")
        assert transmissions(sent)[1] == transmissions(sent)[0]
        await pilot.press("ctrl+q")
    assert sent[-1] == delete_sequence(image_id)  # freed as the app quit
    assert images.writer is None and images.sent == frozenset()


async def test_the_app_draws_half_blocks_by_default_and_without_true_colour(
    picture_from_bob: IMClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for app in (
        make_app(picture_from_bob, tmp_path),
        make_app(picture_from_bob, tmp_path, graphics=GraphicsProtocol.KITTY),
    ):
        assert app.inline_pictures is None
        async with app.run_test(size=(110, 30)) as pilot:
            bubble = await _open_picture(picture_from_bob, app, pilot)
            assert UPPER_HALF in drawn_text(bubble) and PLACEHOLDER not in drawn_text(bubble)


# IMKIT_GRAPHICS and the probe ------------------------------------------------------------


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    yield read, write
    os.close(read)
    os.close(write)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("kitty", GraphicsProtocol.KITTY),
        (" KITTY ", GraphicsProtocol.KITTY),
        ("kitty-direct", GraphicsProtocol.KITTY_DIRECT),
        ("sixel", GraphicsProtocol.SIXEL),
        ("iterm", GraphicsProtocol.ITERM),
        ("halfblock", GraphicsProtocol.NONE),
        ("none", GraphicsProtocol.NONE),
        ("", GraphicsProtocol.NONE),
        ("auto", GraphicsProtocol.NONE),
        ("sparkles", GraphicsProtocol.NONE),
    ],
)
def test_imkit_graphics_forces_or_leaves_it_to_the_probe(
    setting: str, expected: GraphicsProtocol, pipe: tuple[int, int]
) -> None:
    # Pipes are not terminals: whatever asks the terminal gets NONE and writes nothing.
    read, write = pipe
    assert choose_graphics({GRAPHICS_ENV: setting}, read, write).protocol == expected
    os.set_blocking(read, False)
    with pytest.raises(BlockingIOError):
        os.read(read, 1)


def test_inside_tmux_graphics_are_always_wrapped(pipe: tuple[int, int]) -> None:
    read, write = pipe
    environ = {"TMUX": "/tmp/tmux-0/default,1,0"}
    for setting in ("kitty", "none", "auto"):
        chosen = choose_graphics({**environ, GRAPHICS_ENV: setting}, read, write)
        assert chosen.tmux and chosen.wrap("\x1b_Ga=d\x1b\\").startswith("\x1bPtmux;")
    assert not choose_graphics({GRAPHICS_ENV: "kitty"}, read, write).tmux


def _answer_as_kitty(master: int, heard: list[bytes]) -> None:
    """A terminal on the far side of a pty that answers the probe like kitty."""
    data = b""
    while b"\x1b[c" not in data:
        data += os.read(master, 1024)
    heard.append(data)
    os.write(master, b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.41.1)\x1b\\\x1b[?62;22c")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")
def test_the_terminal_is_probed_unless_told_not_to() -> None:
    master, slave = os.openpty()
    try:
        heard: list[bytes] = []
        answering = threading.Thread(target=_answer_as_kitty, args=(master, heard), daemon=True)
        answering.start()
        assert choose_graphics({}, slave, slave).protocol == GraphicsProtocol.KITTY
        answering.join(5)
        assert heard and b"\x1b_Gi=31" in heard[0]
        for setting in ("none", "halfblock"):
            chosen = choose_graphics({GRAPHICS_ENV: setting}, slave, slave)
            assert chosen.protocol == GraphicsProtocol.NONE
        os.set_blocking(master, False)
        with pytest.raises(BlockingIOError):
            os.read(master, 1)  # "none" and "halfblock" asked nothing
    finally:
        os.close(master)
        os.close(slave)


def test_the_help_names_the_switch() -> None:
    assert GRAPHICS_ENV in " ".join(build_parser().format_help().split())

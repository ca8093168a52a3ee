"""The image viewer draws with the terminal's best protocol; the app's graphics hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import Static

from imkit_tui.core import IMClient
from imkit_tui.media.probe import MediaKind
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.halfblock import HalfBlockImage
from imkit_tui.ui.images.kitty_inline import PLACEHOLDER, KittyImages, KittyPicture
from imkit_tui.ui.images.placement import VIEWER_IMAGE_ID
from imkit_tui.ui.images.terminal_probe import TerminalGraphics
from imkit_tui.ui.images.written_picture import WrittenPicture
from imkit_tui.ui.screens.image_viewer import ImageViewerScreen
from imkit_tui.ui.screens.main import MainScreen
from tests.conftest import ClientFactory
from tests.ui.test_actions import ME, SIZE, select_last, sent_by, until
from tests.ui.test_attachments import notices
from tests.ui.test_kitty_inline import make_app


@pytest.fixture
async def sky_from_bob(make_client: ClientFactory, tmp_path: Path) -> IMClient:
    bob = await make_client("bob")
    picture = tmp_path / "sky.png"
    Image.new("RGB", (320, 200), (30, 120, 220)).save(picture)
    await sent_by(bob, ME, picture, MediaKind.IMAGE)
    return await make_client("me")


async def open_viewer(app: object, pilot: object) -> ImageViewerScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await select_last(pilot)
    await pilot.press("o")
    await until(pilot, lambda: isinstance(pilot.app.screen, ImageViewerScreen), "the viewer")
    viewer = pilot.app.screen
    assert isinstance(viewer, ImageViewerScreen)
    await until(pilot, lambda: viewer.loaded, "the picture")
    return viewer


@pytest.mark.parametrize(
    ("protocol", "start"),
    [
        (GraphicsProtocol.SIXEL, "\x1bP0;1;0q"),
        (GraphicsProtocol.ITERM, "\x1b]1337;File="),
        (GraphicsProtocol.KITTY_DIRECT, f"\x1b_Ga=T,f=100,i={VIEWER_IMAGE_ID},C=1,"),
    ],
)
async def test_the_viewer_writes_the_picture_over_a_blank_area(
    sky_from_bob: IMClient, tmp_path: Path, protocol: GraphicsProtocol, start: str
) -> None:
    app = make_app(sky_from_bob, tmp_path, graphics=protocol)
    async with app.run_test(size=SIZE) as pilot:
        viewer = await open_viewer(app, pilot)
        await until(pilot, lambda: viewer.written.startswith(start), "the picture written")
        assert viewer.drawn_with is protocol
        assert not viewer.query_one("#viewer-picture", Static).display
        area = viewer.query_one(WrittenPicture)
        width, height = area.content_region.size
        assert width == SIZE[0] or height == SIZE[1] - 1  # as large as fits, one way full
        assert "".join(strip.text for strip in area.render_lines(area.region)).strip() == ""
        await until(pilot, lambda: area.writes >= 1, "the picture written")
        before = area.writes
        app.screen.refresh()  # Textual paints the area again: the picture follows
        await until(pilot, lambda: area.writes > before, "the picture written again")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert viewer.drawn_with is GraphicsProtocol.NONE


async def test_the_viewer_draws_kitty_placeholders_where_the_terminal_has_them(
    sky_from_bob: IMClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    app = make_app(sky_from_bob, tmp_path, graphics=GraphicsProtocol.KITTY)
    images = app.inline_pictures
    assert isinstance(images, KittyImages)
    async with app.run_test(size=SIZE) as pilot:
        sent: list[str] = []
        images.writer = sent.append
        viewer = await open_viewer(app, pilot)
        area = viewer.query_one("#viewer-picture", Static)
        await until(pilot, lambda: isinstance(area.content, KittyPicture), "placeholders")
        await pilot.pause()
        assert viewer.drawn_with is GraphicsProtocol.KITTY and viewer.written == ""
        assert PLACEHOLDER in "".join(strip.text for strip in area.render_lines(area.region))
        assert any("a=T,U=1," in data for data in sent)


async def test_the_viewer_draws_half_blocks_without_graphics(
    sky_from_bob: IMClient, tmp_path: Path
) -> None:
    app = make_app(sky_from_bob, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        viewer = await open_viewer(app, pilot)
        assert viewer.drawn_with is GraphicsProtocol.NONE and viewer.written == ""
        area = viewer.query_one("#viewer-picture", Static)
        await until(pilot, lambda: isinstance(area.content, HalfBlockImage), "half blocks")


async def test_the_graphics_hint_is_given_once(sky_from_bob: IMClient, tmp_path: Path) -> None:
    hint = "for real pictures add to ~/.tmux.conf: set -g allow-passthrough on"
    chosen = TerminalGraphics(GraphicsProtocol.NONE, tmux=True, hint=hint)
    for times in (1, 0):  # the second start remembers it was said
        app = make_app(sky_from_bob, tmp_path, graphics=chosen)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert notices(app).count(hint) == times

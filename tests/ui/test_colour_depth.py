"""In a 256-colour terminal every cell keeps close to its true colour, dialogs included."""

from __future__ import annotations

import asyncio
import io
import itertools
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from textual import constants
from textual.color import Color

from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.colour_depth import NearestPalette, entry_rgb, nearest_entry
from imkit_tui.ui.theme_colours import difference
from tests.ui.test_snapshots import _app, utc  # noqa: F401  (utc: pins the time zone)

SIZE = (100, 28)
NEAR = 12.0
"""A CIE76 ΔE between a cell's true colour and the palette entry drawn for it that the
eye takes for a slightly different shade; past it, a tint starts to change hue."""
FAR = 30.0
"""A ΔE no background may reach: a grey turned navy, a brown turned red."""
FEW = 0.05
"""The share of background cells allowed past :data:`NEAR` (the 256-colour palette has
no entry near some saturated dark colours, e.g. the avatars under a dimmed screen)."""

Cell = tuple[Color, Color]


def _cells(app: IMKitApp, system: ColorSystem) -> list[Cell]:
    """The (text, background) colour of every cell as a terminal of ``system`` gets it."""
    console = Console(
        width=SIZE[0], color_system="truecolor", file=io.StringIO(), legacy_windows=False
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    cells: list[Cell] = []
    for segment in console.render(update):
        if segment.control or segment.style is None or segment.text == "\n":
            continue
        style = segment.style
        pair = []
        for colour, foreground in ((style.color, True), (style.bgcolor, False)):
            colour = colour or RichColor.default()
            drawn = colour.downgrade(system).get_truecolor(foreground=foreground)
            pair.append(Color(*drawn))
        cells += [(pair[0], pair[1])] * Segment.get_line_length([segment])
    return cells


def _drawn(tmp_path: Path, theme: str, system: str) -> tuple[IMKitApp, list[Cell]]:
    """The main screen of ``theme`` with the "New chat with…" dialog over it."""
    app = _app(tmp_path / system, theme)
    result: list[Cell] = []

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("ctrl+n")
            for _ in range(3):
                await pilot.pause()
            depth = ColorSystem.EIGHT_BIT if system == "256" else ColorSystem.TRUECOLOR
            result.extend(_cells(app, depth))

    asyncio.run(run())
    return app, result


@pytest.mark.parametrize("theme", ["nord", "dracula", "textual-light", "imkit-dark"])
def test_256_colours_stay_near_the_true_colours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    (tmp_path / "256").mkdir()
    (tmp_path / "truecolor").mkdir()
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")
    true_app, true_cells = _drawn(tmp_path, theme, "truecolor")
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "256")
    app, cells = _drawn(tmp_path, theme, "256")
    assert true_app.console.color_system == "truecolor"
    assert app.console.color_system == "256"
    assert not any(isinstance(f, NearestPalette) for f in true_app.get_line_filters())
    assert len(cells) == len(true_cells) == SIZE[0] * SIZE[1]
    # Backgrounds make the look: the screen, the bubbles, the dialog and the dimmed
    # screen behind it.
    errors = [difference(drawn[1], true[1]) for drawn, true in zip(cells, true_cells, strict=True)]
    far = sum(error > NEAR for error in errors) / len(errors)
    assert far <= FEW, f"{theme}: {far:.0%} of the cells are off their true colour"
    assert max(errors) < FAR, f"{theme}: a cell is ΔE {max(errors):.0f} off its true colour"


def test_tinted_greys_stay_grey() -> None:
    """The colours Rich's shortcut turns to navy, teal and olive find grey entries."""
    for grey, entry in (("#2E3440", 236), ("#242933", 235), ("#3B4252", 238)):
        red, green, blue = Color.parse(grey).rgb
        assert nearest_entry(red, green, blue) == entry, grey
    # A real tint keeps its hue: the xterm cube's blue, not a grey.
    assert nearest_entry(0x1F, 0x4A, 0x87) in range(16, 232)


def test_the_nearest_entry_is_the_nearest_of_all() -> None:
    """The early-stopping search agrees with comparing every entry, over a grid."""
    entries = [(number, Color(*entry_rgb(number))) for number in range(16, 256)]
    for red, green, blue in itertools.product(range(3, 256, 36), repeat=3):
        colour = Color(red, green, blue)
        best = min(difference(colour, entry) for _, entry in entries)
        found = dict(entries)[nearest_entry(red, green, blue)]
        assert difference(colour, found) == pytest.approx(best), colour

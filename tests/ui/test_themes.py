"""Loading, registering and switching the TOML themes."""

from __future__ import annotations

import asyncio
import importlib.resources
import importlib.util
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.terminal_theme import TerminalTheme
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from imkit_tui import messages
from imkit_tui.ui import themes
from imkit_tui.ui.bubbles import Bubble, bubble_for
from imkit_tui.ui.colour_depth import nearest_entry
from imkit_tui.ui.theme_colours import difference
from imkit_tui.ui.themes import (
    DEFAULT_THEME,
    LIGHT_THEME,
    load_themes,
    register_themes,
    theme_variable_defaults,
)
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.ui import drawn as on_screen
from tests.ui.test_bubbles import ME, PEER, BubbleApp, make, settle
from tests.ui.test_snapshots import _app


class ThemedApp(App[None]):
    """An app whose CSS uses the imkit variables, so a theme lacking them would fail."""

    CSS = """
    #own { background: $bubble-own; color: $foreground; }
    #peer { background: $bubble-peer; }
    #notice { color: $notice; }
    """

    def compose(self) -> ComposeResult:
        yield Static("mine", id="own")
        yield Static("theirs", id="peer")
        yield Static("recalled", id="notice")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)


def _contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two opaque colours."""

    def luminance(colour: str) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = Color.parse(colour).rgb
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_shipped_themes_load_cleanly() -> None:
    theme_set = load_themes()
    assert theme_set.problems == []
    assert {DEFAULT_THEME, LIGHT_THEME} <= set(theme_set.themes)
    dark, light = theme_set.themes[DEFAULT_THEME], theme_set.themes[LIGHT_THEME]
    assert dark.dark and not light.dark
    for theme in (dark, light):  # plain Textual themes: the chat's colours are derived
        assert not {"bubble-own", "bubble-peer", "notice"} & set(theme.variables)


@pytest.mark.parametrize("name", [DEFAULT_THEME, LIGHT_THEME])
def test_shipped_themes_have_good_contrast(name: str) -> None:
    theme = load_themes().themes[name]
    assert theme.foreground and theme.background and theme.surface and theme.panel
    fg = theme.foreground
    for back in (theme.background, theme.surface, theme.panel):
        assert _contrast(fg, back) >= 7, back
    derived = theme_variable_defaults(theme)
    for var in ("bubble-own", "bubble-peer"):
        assert _contrast(fg, derived[var]) >= 7, var
    for colour in (theme.primary, theme.error, theme.warning, theme.success, theme.accent):
        assert colour is not None
        assert _contrast(colour, theme.background) >= 4.5, colour


async def test_register_and_switch() -> None:
    theme_set = load_themes()
    app = ThemedApp()
    async with app.run_test() as pilot:
        register_themes(app, theme_set)
        app.theme = DEFAULT_THEME
        await pilot.pause()
        own = app.query_one("#own")
        dark_bubble = theme_variable_defaults(theme_set.themes[DEFAULT_THEME])["bubble-own"]
        assert own.styles.background == Color.parse(dark_bubble)

        app.theme = LIGHT_THEME
        await pilot.pause()
        assert app.current_theme.name == LIGHT_THEME
        light_bubble = theme_variable_defaults(theme_set.themes[LIGHT_THEME])["bubble-own"]
        assert own.styles.background == Color.parse(light_bubble)
        assert light_bubble != dark_bubble

        # A Textual theme knows nothing of our variables: they are derived from it.
        app.theme = "nord"
        await pilot.pause()
        nord_bubble = theme_variable_defaults(app.current_theme)["bubble-own"]
        assert own.styles.background == Color.parse(nord_bubble)
        assert nord_bubble not in (dark_bubble, light_bubble)


def test_broken_file_reported_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('name = "oops\nprimary = ', encoding="utf-8")
    (tmp_path / "mine.toml").write_text('primary = "#ff0000"\n', encoding="utf-8")
    theme_set = load_themes([tmp_path])
    assert len(theme_set.problems) == 1
    assert "broken.toml" in theme_set.problems[0]
    assert "mine" in theme_set.themes  # named after the file
    assert {DEFAULT_THEME, LIGHT_THEME} <= set(theme_set.themes)
    assert theme_set.sources["mine"] == str(tmp_path / "mine.toml")


def test_bad_values_skip_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "a"\nprimary = "not-a-colour"\n')
    (tmp_path / "b.toml").write_text('name = "b"\nbackground = "#000000"\n')
    (tmp_path / "c.toml").write_text('name = "c"\nprimary = "#123456"\ndark = "yes"\n')
    (tmp_path / "d.toml").write_text('name = "d"\nprimary = "#123456"\nvariables = 3\n')
    (tmp_path / "e.bin").write_bytes(b"\xff\xfe")  # not *.toml: not looked at
    (tmp_path / "f.toml").write_bytes(b"\xff\xfe")
    theme_set = load_themes([tmp_path])
    assert not {"a", "b", "c", "d", "f"} & set(theme_set.themes)
    for name in ("a.toml", "b.toml", "c.toml", "d.toml", "f.toml"):
        assert any(name in problem for problem in theme_set.problems), name


def test_unknown_fields_ignored(tmp_path: Path) -> None:
    (tmp_path / "shiny.toml").write_text(
        'name = "shiny"\nprimary = "#336699"\nshininess = 11\ndark = false\n'
        '[variables]\nbubble-own = "#eeeeee"\nbadge-size = 2\n',
        encoding="utf-8",
    )
    theme_set = load_themes([tmp_path])
    theme = theme_set.themes["shiny"]
    assert theme.primary == "#336699"
    assert theme.dark is False
    assert theme.variables["bubble-own"] == "#eeeeee"
    assert theme.variables["badge-size"] == "2"
    # A colour it names replaces the derived one; those it leaves out are derived.
    defaults = theme_variable_defaults(theme)
    assert defaults["bubble-own"] == "#EEEEEE"
    assert defaults["notice"] and "notice" not in theme.variables
    # The unknown field is mentioned (a typo helper) but did not stop the load.
    assert any("shininess" in problem for problem in theme_set.problems)


def test_user_theme_overrides_shipped_and_missing_dir_is_fine(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(f'name = "{LIGHT_THEME}"\nprimary = "#00ff00"\n')
    theme_set = load_themes([tmp_path / "does-not-exist", tmp_path])
    assert theme_set.problems == []
    assert theme_set.themes[LIGHT_THEME].primary == "#00ff00"


def test_source_checkout_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(package: str) -> object:
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(importlib.resources, "files", not_installed)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    folder = themes.builtin_theme_dir()
    assert folder is not None
    assert folder.joinpath("dark.toml").is_file()
    assert {DEFAULT_THEME, LIGHT_THEME} <= set(load_themes().themes)


def test_default_theme_always_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(themes, "builtin_theme_dir", lambda: None)
    theme_set = load_themes()
    assert DEFAULT_THEME in theme_set.themes
    assert len(theme_set.problems) == 1


# ---------------------------------------------------------------- every theme, as drawn

DISTINCT = 10.0
"""The least CIE76 colour difference (ΔE) between two areas that must be told apart."""

READABLE = 4.5
"""The least WCAG contrast of message text on its bubble."""

MUTED_READABLE = 3.0
"""The least WCAG contrast of names, notices and times on the screen background."""


def _solid(colour: RichColor, *, foreground: bool, terminal: TerminalTheme) -> Color:
    """A drawn colour as RGB; ANSI colours as the terminal theme shows them."""
    return Color(*colour.get_truecolor(terminal, foreground=foreground))


def _cell(bubble: Bubble, word: str) -> tuple[Color, Color]:
    """The drawn (text, background) colours of the first cell holding ``word``."""
    terminal = bubble.app.ansi_theme
    for strip in on_screen.strips(bubble):
        for segment in strip:
            if word in segment.text and segment.style is not None:
                style = segment.style
                assert style.color is not None and style.bgcolor is not None, word
                return (
                    _solid(style.color, foreground=True, terminal=terminal),
                    _solid(style.bgcolor, foreground=False, terminal=terminal),
                )
    raise AssertionError(f"{word!r} not drawn")


def _screen_background(bubble: Bubble) -> Color:
    """The drawn background beside a bubble (its last cell on the first line)."""
    style = list(on_screen.strips(bubble)[0])[-1].style
    assert style is not None and style.bgcolor is not None
    return _solid(style.bgcolor, foreground=False, terminal=bubble.app.ansi_theme)


def _theme_bubbles() -> list[Bubble]:
    return [
        bubble_for(make(1, messages.TEXT, {"content": "theirs"}), me=ME, show_sender=True),
        bubble_for(make(2, messages.TEXT, {"content": "mine"}, own=True), me=ME),
        bubble_for(make(3, messages.RECALL, {"messageUId": "x"}), me=ME),
    ]


def _every_theme() -> list[str]:
    app = App[None]()
    register_themes(app, load_themes())
    return sorted(app.available_themes)


@pytest.mark.parametrize("name", _every_theme())
async def test_every_theme_tells_bubbles_apart(name: str) -> None:
    """Textual's themes and imkit's alike: own, peer and screen differ, and text reads."""
    peer, own, notice = bubbles = _theme_bubbles()
    app = BubbleApp(bubbles, theme=name)
    async with app.run_test(size=(60, 14)) as pilot:
        await settle(pilot)
        assert app.theme == name
        screen = _screen_background(peer)
        own_text, own_box = _cell(own, "mine")
        peer_text, peer_box = _cell(peer, "theirs")
        sender, sender_back = _cell(peer, PEER)
        notice_text, notice_back = _cell(notice, "recalled")
        meta, meta_back = _cell(own, ":")
        report = f"{name}: own {own_box.hex} peer {peer_box.hex} screen {screen.hex}"
        assert difference(own_box, screen) >= DISTINCT, report
        assert difference(peer_box, screen) >= DISTINCT, report
        assert difference(own_box, peer_box) >= DISTINCT, report
        if not app.current_theme.ansi:  # a 256-colour terminal shows three colours too
            entries = {nearest_entry(*colour.rgb) for colour in (own_box, peer_box, screen)}
            assert len(entries) == 3, report
        assert _contrast(own_text.hex, own_box.hex) >= READABLE, report
        assert _contrast(peer_text.hex, peer_box.hex) >= READABLE, report
        for what, text, back in (
            ("sender", sender, sender_back),
            ("notice", notice_text, notice_back),
            ("time", meta, meta_back),
        ):
            assert back == screen, what
            assert _contrast(text.hex, back.hex) >= MUTED_READABLE, f"{report}: {what}"


def test_a_textual_theme_is_drawn_at_once_and_remembered(tmp_path: Path) -> None:
    """Switching to nord redraws the open chat in nord's colours; a restart keeps nord."""
    app = _app(tmp_path, DEFAULT_THEME)
    drawn: list[Color] = []

    async def switch() -> None:
        async with app.run_test(size=(100, 28)) as pilot:
            await pilot.press("enter")  # alice's chat, with one own message
            await settle(pilot)
            own = next(bubble for bubble in app.screen.query_one(ChatView).bubbles() if bubble.own)
            drawn.append(_cell(own, "green")[1])
            app.theme = "nord"
            await settle(pilot)
            drawn.append(_cell(own, "green")[1])
            drawn.append(Color.parse(theme_variable_defaults(app.current_theme)["bubble-own"]))

    asyncio.run(switch())
    before, after, nord = drawn
    assert after == nord != before
    again = _app(tmp_path, None)

    async def restart() -> None:
        async with again.run_test(size=(100, 28)):
            assert again.theme == "nord"

    asyncio.run(restart())

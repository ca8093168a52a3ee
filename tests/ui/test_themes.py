"""Loading, registering and switching the TOML themes."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from imkit_tui.ui import themes
from imkit_tui.ui.themes import (
    DEFAULT_THEME,
    LIGHT_THEME,
    load_themes,
    register_themes,
    theme_variable_defaults,
)


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
        return theme_variable_defaults(self.current_theme.dark)


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
    for theme in (dark, light):
        assert {"bubble-own", "bubble-peer", "notice"} <= set(theme.variables)


@pytest.mark.parametrize("name", [DEFAULT_THEME, LIGHT_THEME])
def test_shipped_themes_have_good_contrast(name: str) -> None:
    theme = load_themes().themes[name]
    assert theme.foreground and theme.background and theme.surface and theme.panel
    fg = theme.foreground
    for back in (theme.background, theme.surface, theme.panel):
        assert _contrast(fg, back) >= 7, back
    for var in ("bubble-own", "bubble-peer"):
        assert _contrast(fg, theme.variables[var]) >= 7, var
    # Bubbles must stand out from the background, and from each other.
    assert _contrast(theme.variables["bubble-own"], theme.background) >= 1.4
    assert _contrast(theme.variables["notice"], theme.background) >= 7
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
        dark_bubble = theme_set.themes[DEFAULT_THEME].variables["bubble-own"]
        assert own.styles.background == Color.parse(dark_bubble)

        app.theme = LIGHT_THEME
        await pilot.pause()
        assert app.current_theme.name == LIGHT_THEME
        light_bubble = theme_set.themes[LIGHT_THEME].variables["bubble-own"]
        assert own.styles.background == Color.parse(light_bubble)

        # A Textual theme without our variables works thanks to the defaults.
        app.theme = "nord"
        await pilot.pause()
        assert own.styles.background == Color.parse(theme_variable_defaults(True)["bubble-own"])


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
    # Variables it leaves out come from the light defaults.
    assert theme.variables["notice"] == theme_variable_defaults(False)["notice"]
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
    folder = themes.builtin_theme_dir()
    assert folder is not None
    assert folder.joinpath("dark.toml").is_file()
    assert {DEFAULT_THEME, LIGHT_THEME} <= set(load_themes().themes)


def test_default_theme_always_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(themes, "builtin_theme_dir", lambda: None)
    theme_set = load_themes()
    assert DEFAULT_THEME in theme_set.themes
    assert len(theme_set.problems) == 1

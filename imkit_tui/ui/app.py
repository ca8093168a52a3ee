"""IMKitApp: the Textual application around one client core."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import ANSIToTruecolor, LineFilter
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget

from imkit_tui import ui
from imkit_tui.config import UiState
from imkit_tui.ui import screens
from imkit_tui.ui.colour_depth import NearestPalette
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.kitty_inline import KittyImages
from imkit_tui.ui.images.terminal_probe import TerminalGraphics
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.start_up import CoreFailed, DeferredClient
from imkit_tui.ui.themes import (
    DEFAULT_THEME,
    ThemeSet,
    register_themes,
    theme_variable_defaults,
)

if TYPE_CHECKING:
    from imkit_tui.core import IMClient


class IMKitApp(App[None]):
    """The chat app. The client must be started (or at least opened) by the caller.

    `embedded` says the server runs in this process (shown in the status bar); with
    `connect` False the app only shows the local store (the client stays offline); else
    `start` (default: the client's own) connects it, after the first frame. The theme
    comes from `theme`, else the remembered choice, else the default; a theme picked
    from the palette is remembered in `state`.

    `graphics` is what `imkit` chose from the terminal's answers (default NONE: half
    blocks, as in tests and for any other caller). With KITTY, pictures in the chat are
    drawn inline through kitty's Unicode placeholders (see `inline_pictures`); the other
    protocols cannot be kept inside Textual's layout and serve the full-screen viewer.
    """

    TITLE = "imkit"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", priority=True)]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 - typed as Textual types it
    """Screens get `-narrow` below 100 columns (the layout makes room for the chat)."""

    def __init__(
        self,
        client: IMClient | DeferredClient,
        *,
        themes: ThemeSet,
        state: UiState | None = None,
        theme: str | None = None,
        notifications: bool = True,
        notification_text: bool = True,
        recall_window: int = 120,
        embedded: bool = False,
        connect: bool = True,
        graphics: GraphicsProtocol | TerminalGraphics = GraphicsProtocol.NONE,
        start: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(graphics, GraphicsProtocol):
            graphics = TerminalGraphics(graphics)
        self.terminal_graphics = graphics
        """How pictures are drawn and written to this terminal."""
        self._graphics = graphics.protocol
        self._kitty_images = KittyImages()
        self._client = client
        self._main: MainScreen | None = None
        self.embedded = embedded
        self._connect = connect
        self._start = start
        self._themes = themes
        self._state = state
        self._wanted_theme = theme
        self._notify_enabled = notifications
        self._notification_text = notification_text
        self.recall_window = recall_window
        """Seconds after sending during which the app offers to recall a message."""
        #: Why the server refused the login, when it did (the app then exits with 3).
        self.refusal: str | None = None
        #: Why the client could not start, when it could not (the app then exits with 1).
        self.failure: str | None = None
        #: time.monotonic() of the last key or mouse press (for idle-time chores).
        self.last_input = time.monotonic()
        # In 256 colours Rich's own choice turns tinted greys into navy and teal.
        self._palette_filter = NearestPalette() if self.console.color_system == "256" else None
        register_themes(self, themes)
        remembered = state.get("theme") if state else None
        for name in (theme, remembered, DEFAULT_THEME):
            if name and name in self.available_themes:
                self.theme = name
                break

    @property
    def graphics(self) -> GraphicsProtocol:
        """The graphics protocol the terminal answered at start (NONE when not probed)."""
        return self._graphics

    @property
    def inline_pictures(self) -> KittyImages | None:
        """The kitty images of this session when chat pictures are drawn with kitty, else None.

        Only when the terminal answered kitty, the app draws in true colour (a
        placeholder's foreground colour is its image id) with no colour filter, and it
        is not served to a browser. Bubbles draw half blocks when this is None.
        """
        if self._graphics != GraphicsProtocol.KITTY or self.is_web:
            return None
        if self.console.color_system != "truecolor" or self.no_color:
            return None
        if any(not isinstance(line, ANSIToTruecolor) for line in self.get_line_filters()):
            return None  # dim, monochrome… would change the ids
        return self._kitty_images

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters; in a 256-colour terminal then :class:`NearestPalette`."""
        filters = super().get_line_filters()
        return filters if self._palette_filter is None else [*filters, self._palette_filter]

    def write_to_terminal(self, data: str) -> None:
        """Write escape sequences through the driver, in order with Textual's frames."""
        if self._driver is not None:
            self._driver.write(data)

    def write_graphics(self, data: str) -> None:
        """Write graphics sequences, wrapped for tmux when inside it (never a raw APC)."""
        self.write_to_terminal(self.terminal_graphics.wrap(data))

    def _terminal_lost_images(self, _app: App[None]) -> None:
        """After a suspension the alternate screen is new: send pictures again."""
        self._kitty_images.forget_sent()
        for screen in self.screen_stack:
            for widget in screen.walk_children(Widget):
                widget.refresh()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """imkit's own CSS variables, derived from the theme (Textual's built-in ones too)."""
        defaults = dict(super().get_theme_variable_defaults())
        defaults.update(theme_variable_defaults(self.current_theme))
        return defaults

    def action_chatrooms(self) -> None:
        """The chatrooms the server offers (or any by id); the one chosen opens on a
        screen of its own (ctrl+r on the main screen)."""
        if self._main is not None:
            screens.open_chatrooms(self, self._main.client)

    async def action_quit(self) -> None:
        """Keep the open conversation's draft, then quit."""
        if isinstance(self.screen, MainScreen):
            await self.screen.keep_draft()
        self.exit()

    async def on_mount(self) -> None:
        """Show the main screen, report theme problems, remember theme choices; load
        plugins once the first frame is out.

        The client opens its store when the main screen mounts and connects after the
        first frame (see MainScreen). On a real terminal that speaks kitty, pictures
        sent for the chat go through the driver from now on."""
        if self.inline_pictures is not None:
            self.app_resume_signal.subscribe(self, self._terminal_lost_images)
            if not self.is_headless:  # only a real terminal gets images, never tests
                self._kitty_images.writer = self.write_graphics
        self._main = MainScreen(
            self._client,
            server_label="embedded server" if self.embedded else "",
            idle_seconds=lambda: time.monotonic() - self.last_input,
            notifications=self._notify_enabled,
            notification_text=self._notification_text,
            connect=self._connect,
            start=self._start,
        )
        await self.push_screen(self._main)
        # Importing every bubble takes ~70 ms; the list needs none of them to draw.
        self.call_after_refresh(self._load_plugins)
        for problem in self._themes.problems:
            self.notify(problem, title="Theme skipped", severity="warning")
        if self._wanted_theme and self._wanted_theme not in self.available_themes:
            self.notify(f"No theme named {self._wanted_theme!r}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        # A toast is not part of the first frame: it comes right after.
        self.call_after_refresh(self._give_graphics_hint)

    def _give_graphics_hint(self) -> None:
        """Say once (ever, when there is a state file) what would bring real pictures."""
        hint = self.terminal_graphics.hint
        if hint is None or (self._state is not None and self._state.get("graphics-hint") == hint):
            return
        self.notify(hint, title="Pictures", timeout=15)
        if self._state is not None:
            self._state.set("graphics-hint", hint)

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        """Free the pictures sent to the terminal, then exit as Textual does.

        Now, while the terminal still shows the app's screen (the images live there):
        Textual leaves it before the app unmounts. Nothing is sent after this.
        """
        self._kitty_images.release()
        self._kitty_images.writer = None
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        """Note the time of every key and click, then handle the event as usual.

        Keys, clicks and pastes that come before the main screen's client core is ready
        (the first frame is drawn before it is made) wait for it, in order."""
        if isinstance(event, events.Key | events.MouseDown):
            self.last_input = time.monotonic()
        main = self._main
        if (
            main is not None
            and not main.core.core_ready.is_set()
            and isinstance(event, events.Key | events.MouseEvent | events.Paste)
        ):
            await main.core.core_ready.wait()
        await super().on_event(event)

    def on_main_screen_login_refused(self, event: MainScreen.LoginRefused) -> None:
        """A refused token ends the app with a clear message and exit code 3."""
        self.refusal = event.reason
        self.exit(return_code=3)

    def on_core_failed(self, event: CoreFailed) -> None:
        """A client that cannot open its store ends the app with a clear message."""
        self.failure = event.reason
        self.exit(return_code=1)

    def _load_plugins(self) -> None:
        """Set up the plugins (idempotent) and name those that failed."""
        for failure in ui.load_plugins().failures:
            self.notify(
                f"Plugin {failure.name} was not loaded: {failure.reason}",
                title="Plugins",
                severity="warning",
                markup=False,
            )

    def _remember_theme(self, theme: Theme) -> None:
        if self._state is not None:
            self._state.set("theme", theme.name)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette: Textual's own commands and one entry per imkit theme (each
        screen adds its own entries through the providers in its ``COMMANDS``)."""
        yield from super().get_system_commands(screen)
        for name in sorted(self._themes.themes):
            yield SystemCommand(
                f"Theme: {name}", "Switch to this theme (remembered)", _set_theme(self, name)
            )


def _set_theme(app: App[None], name: str) -> Callable[[], None]:
    def apply() -> None:
        app.theme = name

    return apply

"""The menu bar of a public service account: shown under its chat instead of the
composer, one cell per top item of the account's menu.

Keys while it has focus: left/right move between the items, enter (or the item's
number, 1–3) chooses one, ``i`` switches to typing where the account takes text. A click
chooses the item under it. What a choice does (send the command, open the link, list a
sub-menu) is its owner's: the bar calls `on_choose` with the item, or `on_type` for ``i``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widget import Widget

from imkit_tui.protocol.public_frames import MenuItem

_GLYPHS = {"group": " ▴", "view": " ↗", "click": ""}
"""After an item's name: it opens a sub-menu, or a link; a command has none."""
_SEPARATOR = " │ "


def item_label(item: MenuItem) -> str:
    """An item as the bar (or a sub-menu) names it."""
    return f"{item.name}{_GLYPHS.get(item.kind, '')}"


class MenuBar(Widget, can_focus=True):
    """The account's top menu items in a row, one highlighted."""

    DEFAULT_CSS = """
    MenuBar {
        display: none;
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $surface;
    }
    MenuBar:focus {
        background: $boost;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous", show=False),
        Binding("right", "move(1)", "Next", show=False),
        Binding("enter", "choose", "Choose"),
        Binding("1", "choose_at(0)", show=False),
        Binding("2", "choose_at(1)", show=False),
        Binding("3", "choose_at(2)", show=False),
        Binding("i", "type", "Type"),
    ]

    def __init__(
        self,
        on_choose: Callable[[MenuItem], None],
        on_type: Callable[[], None],
        *,
        id: str | None = None,
    ) -> None:
        """An empty bar (hidden until :meth:`show_menu`) that calls `on_choose` with the
        item chosen and `on_type` when the user asks to type."""
        super().__init__(id=id)
        self._on_choose = on_choose
        self._on_type = on_type
        self.items: list[MenuItem] = []
        """The top items shown."""
        self.highlighted = 0
        """The index of the highlighted item."""
        self.accepts_text = False
        """Whether ``i`` offers typing."""
        self._spans: list[tuple[int, int]] = []

    def show_menu(self, items: list[MenuItem], *, accepts_text: bool) -> None:
        """Show these items (the highlight on the first)."""
        self.items = list(items)
        self.accepts_text = accepts_text
        self.highlighted = 0
        self.refresh()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``i`` only where the account takes text."""
        if action == "type":
            return self.accepts_text
        return super().check_action(action, parameters)

    def render(self) -> Text:
        """``1 Latest │ 2 More ▴ │ 3 Site ↗ · i type``, the highlighted item reversed."""
        line = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        if not self.items:
            line.append("This account has no menu.", style="italic")
        for index, item in enumerate(self.items):
            if index:
                line.append(_SEPARATOR, style="dim")
            start = line.cell_len
            style = "reverse bold" if index == self.highlighted and self.has_focus else "bold"
            line.append(f"{index + 1} {item_label(item)}", style=style)
            self._spans.append((start, line.cell_len))
        if self.accepts_text:
            line.append("  ·  i type", style="dim")
        return line

    def on_focus(self) -> None:
        """Show the highlight."""
        self.refresh()

    def on_blur(self) -> None:
        """Hide the highlight."""
        self.refresh()

    def action_move(self, step: int) -> None:
        """Highlight the next (or previous) item, round the ends."""
        if self.items:
            self.highlighted = (self.highlighted + step) % len(self.items)
            self.refresh()

    def action_choose(self) -> None:
        """Choose the highlighted item."""
        self.action_choose_at(self.highlighted)

    def action_choose_at(self, index: int) -> None:
        """Choose the item at `index` (nothing past the end)."""
        if 0 <= index < len(self.items):
            self.highlighted = index
            self.refresh()
            self._on_choose(self.items[index])

    def action_type(self) -> None:
        """Ask to type to the account."""
        self._on_type()

    def on_click(self, event: events.Click) -> None:
        """Choose the item clicked."""
        x = event.x - 1  # the padding
        for index, (start, end) in enumerate(self._spans):
            if start <= x < end:
                self.action_choose_at(index)
                return

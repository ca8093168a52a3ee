"""The footer of keys: Textual's, compact, and never pushing "^q Quit" off the screen.

Textual's footer lays every shown binding out in a row and lets the ones that do not
fit run past the right edge, where nobody sees them; at 80 columns the chat's keys
pushed out "^q Quit". This one leaves out the keys that do not fit instead, keeping
the focused widget's keys first (they come first), and always keeps Quit and the
palette key.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["KeyFooter"]

KEPT_ACTIONS = frozenset({"quit", "app.quit"})
"""Keys the footer shows whatever else must go."""


def _width(widget: Widget) -> int:
    """Cells a key takes in a compact footer: key, space, description, margin (a
    widget other than a key: as many as it asks for)."""
    if isinstance(widget, FooterKey):
        return cell_len(widget.key_display) + 1 + cell_len(widget.description) + 1
    return widget.get_content_width(widget.size, widget.size) + 1


class KeyFooter(Footer):
    """A compact footer that shows the keys that fit, and always Quit."""

    def __init__(self, *, id: str | None = None) -> None:
        """A compact footer with the palette key on the right."""
        super().__init__(id=id, compact=True)
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        """The keys that fit in the footer's width (all of them before it has one)."""
        made = list(super().compose())
        for widget in made:
            # Compact from the start: a key that gets the class once mounted restyles.
            if isinstance(widget, FooterKey):
                widget.add_class("-compact", update=False)
        width = self.size.width
        self._laid_out_for = width
        if not width:
            yield from made
            return
        palette = [w for w in made if w.has_class("-command-palette")]
        keys = [w for w in made if w not in palette]
        room = width - sum(_width(w) for w in palette)
        room -= sum(_width(w) for w in keys if _kept(w))
        for widget in keys:
            if _kept(widget):
                yield widget
            elif _width(widget) <= room:
                room -= _width(widget)
                yield widget
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        """Choose the keys again for a new width."""
        if event.size.width != self._laid_out_for and self._bindings_ready:
            self.call_after_refresh(self.recompose)


def _kept(widget: Widget) -> bool:
    return isinstance(widget, FooterKey) and widget.action in KEPT_ACTIONS

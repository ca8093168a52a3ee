"""Keys of the composer, taken in the order they arrive.

Textual runs a *priority* binding when the app reads the key, and a widget's ordinary
binding when the key has bubbled back up to the app; the characters typed meanwhile wait
in the widget's own queue. Either way a key bound on the composer could act before (or
after) the keys typed around it: Enter sent half of a fast-typed line, backspace or
ctrl+u hit the wrong characters. :func:`run_own_binding` runs the composer's bindings
(Textual's TextArea keys and its own, remapped by the app's keymap) from its key
handler instead, in their place among the characters. A key the composer has no use for
(escape, tab, ctrl+n…) runs the screen's or the app's binding there too
(:func:`run_ancestor_binding`), for the same reason; the keys queued behind it are then
handed back to the app, which gives them to whatever has focus once it moved.

The line edits here are readline's, on logical lines (a wrapped line is one line):
ctrl+u deletes back to the start of the line, ctrl+k to its end.
"""

from __future__ import annotations

from textual import events
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import TextArea
from textual.widgets.text_area import Location

__all__ = [
    "MODIFIERS",
    "kill_to_end",
    "kill_to_start",
    "modified_character",
    "run_ancestor_binding",
    "run_own_binding",
]

MODIFIERS = frozenset({"alt", "ctrl", "super", "meta", "hyper"})
"""Modifiers with which a key is a command, never text to insert."""


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run the first enabled binding `widget` itself has for `event`'s key, now.

    The app's keymap applies. Returns whether one ran; the caller then stops the event.
    """
    return await _run_binding(widget, widget, event.key)


async def run_ancestor_binding(widget: Widget, event: events.Key) -> bool:
    """Run the first enabled binding of `widget`'s containers, screen or app for `event`'s
    key (nearest first, as Textual looks them up; priority ones ran when the app read
    the key). Returns whether one ran."""
    for node in widget.ancestors:
        if await _run_binding(widget, node, event.key):
            return True
    return False


async def _run_binding(widget: Widget, node: DOMNode, key: str) -> bool:
    bindings = node._bindings
    keymap = widget.app._keymap
    if keymap:
        bindings = bindings.copy()
        bindings.apply_keymap(keymap)
    for binding in bindings.key_to_bindings.get(key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, node):
            return True
    return False


def modified_character(event: events.Key) -> bool:
    """Whether `event` carries a character but was typed with alt or ctrl (a legacy
    terminal sends alt+m as ESC m, which Textual reports with the character "m")."""
    *modifiers, _ = event.key.split("+")
    return event.character is not None and not MODIFIERS.isdisjoint(modifiers)


def kill_to_start(area: TextArea) -> None:
    """Delete from the cursor back to the start of its logical line (ctrl+u); at the start
    of a line, join it to the line above. A selection is deleted as it is."""
    start, end = area.selection
    if start != end:
        _delete(area, start, end)
        return
    row, column = end
    if column == 0:
        if row > 0:
            _delete(area, (row - 1, len(area.document.get_line(row - 1))), end)
        return
    _delete(area, (row, 0), end)


def kill_to_end(area: TextArea) -> None:
    """Delete from the cursor to the end of its logical line (ctrl+k); at the end of a
    line, join the next one to it. A selection is deleted as it is."""
    start, end = area.selection
    if start != end:
        _delete(area, start, end)
        return
    row, column = end
    length = len(area.document.get_line(row))
    if column < length:
        _delete(area, end, (row, length))
    elif row + 1 < area.document.line_count:
        _delete(area, end, (row + 1, 0))


def _delete(area: TextArea, start: Location, end: Location) -> None:
    if not area.read_only:
        area.delete(start, end, maintain_selection_offset=False)

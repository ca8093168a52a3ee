"""Private: the chat view keeps what the user reads in place while content above changes."""

from __future__ import annotations

from textual.layout import DockArrangeResult
from textual.widget import Widget


def keep_scroll_position(
    widget: Widget, previous: DockArrangeResult, result: DockArrangeResult
) -> None:
    """Scroll ``widget`` by as much as its first visible child moved between two
    arrangements (an older page inserted above, bubbles pruned), so nothing jumps."""
    top = widget.scroll_y
    now = {p.widget: p.region.y for p in result.placements if not p.fixed}
    for placement in previous.placements:
        new_y = now.get(placement.widget)
        if placement.fixed or placement.region.bottom <= top or new_y is None:
            continue
        if delta := new_y - placement.region.y:
            scroll_y = max(0.0, top + delta)
            widget.set_reactive(Widget.scroll_y, scroll_y)
            widget.set_reactive(Widget.scroll_target_y, scroll_y)
            if widget.show_vertical_scrollbar:
                widget.vertical_scrollbar.position = scroll_y
        return

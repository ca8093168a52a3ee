"""Is every text of a screen shown whole? A check any screen test can run.

For each label, static text, button, footer key and empty input's placeholder on the
screen (and the hint of an empty conversation list), the text the widget
holds must appear, whole, in what the terminal shows inside the widget's own area (its
lines joined, so a text that wraps passes; one cut at the edge, hidden past the bottom
of the screen or pushed off the footer does not; blanks are not compared, so where a
line breaks does not matter). The chat view's bubbles are left out:
they draw and cut their own lines.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Input, Static, TextArea
from textual.widgets._footer import FooterKey

from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.conversation_list import EMPTY_HINT, ConversationList


def screen_strips(app: App[object]) -> list[Strip]:
    """What the terminal shows, line by line."""
    return app.screen._compositor.render_strips()


def region_text(strips: list[Strip], region: Region) -> str:
    """The text shown in ``region`` of the screen, its lines joined by spaces, with runs
    of blanks made one space."""
    lines = [
        strips[y].crop(region.x, region.right).text
        for y in range(max(region.y, 0), min(region.bottom, len(strips)))
    ]
    return " ".join(" ".join(lines).split())


def held_text(widget: Widget) -> str | None:
    """The text a widget holds (what it should show), or None when it holds none we know."""
    if isinstance(widget, ChatHeader):
        return widget.text
    if isinstance(widget, ConversationList):
        return EMPTY_HINT if len(widget) == 0 else None
    if isinstance(widget, Input | TextArea):  # what it asks for, while it is empty
        value = widget.value if isinstance(widget, Input) else widget.text
        return None if value else str(widget.placeholder)
    if isinstance(widget, FooterKey):
        return f"{widget.key_display} {widget.description}"
    if isinstance(widget, Button):
        return widget.label.plain
    if isinstance(widget, Static):
        content = widget.content
        if isinstance(content, Text | Content):
            return content.plain
        if isinstance(content, str):
            visual = widget.visual
            return visual.plain if isinstance(visual, Content) else content
    return None


def _shown(widget: Widget) -> bool:
    """Whether the widget and all its containers are meant to be seen."""
    return all(node.display and node.visible for node in widget.ancestors_with_self)


def cut_texts(app: App[object]) -> list[str]:
    """The texts on the app's screen that are not shown whole (empty when all are)."""
    screen = app.screen
    strips = screen_strips(app)
    visible = screen._compositor.visible_widgets
    cut: list[str] = []
    for widget in screen.query("*"):
        text = held_text(widget)
        if not text or not text.strip() or not _shown(widget):
            continue
        if any(isinstance(node, ChatView) for node in widget.ancestors):
            continue
        found = visible.get(widget)
        if found is None:
            cut.append(f"{type(widget).__name__}: {text!r} is not on the screen")
            continue
        region, clip = found
        inside = region.shrink(widget.styles.gutter)  # not its border, nor its padding
        shown = region_text(strips, inside.intersection(clip))
        if "".join(text.split()) not in "".join(shown.split()):
            cut.append(f"{type(widget).__name__}: {text!r} shows as {shown!r}")
    return cut

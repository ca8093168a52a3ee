"""The channel sidebar: the channels of the open ultra group, beside the chat.

One line per channel: ``# name``, "@" while unread messages in it mention the user, 🔕
under do-not-disturb, and its unread count. The open channel is highlighted; enter or a
click opens another (:class:`ChannelSidebar.Chosen`). Hidden while the open conversation
is not an ultra group. While shown, its screen has the class ``-channels``; in a narrow
terminal (the app's ``-narrow`` breakpoint) the sidebar and the conversation list
narrow so the chat keeps room to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from imkit_tui.core import UltraChannelRow
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import badge, one_line, truncate

MENTION_MARK = "@"
"""After a channel's name while unread messages in it mention the user."""
MUTED_MARK = "🔕"
"""After a channel's name under do-not-disturb."""


def channel_line(channel: UltraChannelRow, width: int = 22) -> Text:
    """One channel's line: ``# name``, the @ and 🔕 marks, the unread count."""
    right = Text()
    if channel.mentions:
        right.append(f" {MENTION_MARK}", style="bold red")
    if channel.dnd:
        right.append(f" {MUTED_MARK}")
    count = badge(channel.unread)
    if count:
        right.append(f" {count}", style="bold")
    name = truncate(f"# {one_line(channel.label)}", max(4, width - right.cell_len))
    line = Text(name)
    line.append(" " * max(0, width - line.cell_len - right.cell_len))
    line.append_text(right)
    return line


class ChannelSidebar(OptionList):
    """The channels of one ultra group; `channels` in the order to show them."""

    DEFAULT_CSS = """
    ChannelSidebar {
        width: 26;
        height: 1fr;
        border: none;
        border-right: vkey $panel;
        background: $surface;
        display: none;
    }
    ChannelSidebar.-shown {
        display: block;
    }
    ChannelSidebar:focus {
        border: none;
        border-right: vkey $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
    ]

    class Chosen(Message):
        """The user chose a channel to open."""

        def __init__(self, conv: ConvRef) -> None:
            super().__init__()
            self.conv = conv
            """The channel's conversation."""

    def __init__(self, *, id: str | None = None) -> None:
        """An empty, hidden sidebar."""
        super().__init__(id=id)
        self.group: str | None = None
        """The group shown (None: hidden)."""
        self.channels: list[UltraChannelRow] = []
        """The channels shown, in order."""

    def show_channels(
        self, group: str, channels: Sequence[UltraChannelRow], open_channel: str
    ) -> None:
        """Show `group`'s channels, `open_channel` highlighted."""
        self.group = group
        self.channels = list(channels)
        self._draw(open_channel)
        self.add_class("-shown")
        self.screen.add_class("-channels")  # a narrow screen makes room for it

    def _draw(self, open_channel: str | None) -> None:
        """The options again, as wide as the sidebar now is."""
        width = self.content_region.width - 1 if self.content_region.width > 8 else 22
        self.clear_options()
        self.add_options(
            [Option(channel_line(c, width), id=f"channel-{c.channel}") for c in self.channels]
        )
        index = next((i for i, c in enumerate(self.channels) if c.channel == open_channel), None)
        if index is not None:
            self.highlighted = index

    def on_resize(self) -> None:
        """Lines as wide as the sidebar (narrower in a narrow terminal)."""
        if self.channels:
            highlighted = self.highlighted
            open_channel = (
                self.channels[highlighted].channel
                if highlighted is not None and highlighted < len(self.channels)
                else None
            )
            self._draw(open_channel)

    def hide(self) -> None:
        """Not an ultra group: nothing to show."""
        self.group = None
        self.remove_class("-shown")
        self.screen.remove_class("-channels")

    def lines(self) -> list[str]:
        """The lines shown, as text (for tests and the palette)."""
        return [channel_line(c).plain for c in self.channels]

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.channels):
            self.post_message(self.Chosen(self.channels[event.option_index].ref))

"""The side of the chatroom screen: who is in the room, and the room's attributes.

:class:`RoomMembers` lists the first members by join time (the server gives at most
500) under the exact count; :class:`RoomAttributes` lists the room's keys and values.
Both are OptionLists inside, so 500 members scroll without a widget per member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from imkit_tui.core.chatrooms import Attribute, Member

VALUE_SHOWN = 60
"""Characters of an attribute's value shown on its line."""


def _time(at_ms: int) -> str:
    return dt.datetime.fromtimestamp(at_ms / 1000).strftime("%H:%M")


class RoomMembers(Vertical):
    """The member count, and the first members by join time (you marked)."""

    DEFAULT_CSS = """
    RoomMembers {
        height: 2fr;
    }
    RoomMembers > Label {
        text-style: bold;
        padding: 0 1;
    }
    RoomMembers > OptionList {
        height: 1fr;
        border: none;
        padding: 0;
        background: $panel;
    }
    """

    def __init__(self, me: str, *, id: str | None = None) -> None:
        """An empty panel, as seen by ``me``."""
        super().__init__(id=id)
        self._me = me
        self.count = 0
        """The room's member count, as last told."""

    def compose(self) -> ComposeResult:
        """The count, then the list."""
        yield Label("Members", id="room-member-count")
        yield OptionList(id="room-members")

    @property
    def shown(self) -> list[str]:
        """The members listed, in order."""
        options = self.query_one("#room-members", OptionList).options
        return [option.id for option in options if option.id is not None]

    def show_count(self, count: int) -> None:
        """Show the room's exact member count."""
        self.count = count
        self.query_one("#room-member-count", Label).update(f"Members · {count:,}")

    def show(self, members: Sequence[Member], count: int) -> None:
        """List ``members`` (in the order given: by join time) under ``count``."""
        self.show_count(count)
        options = self.query_one("#room-members", OptionList)
        keep = options.highlighted
        lines: list[Option] = []
        for member in members:
            line = Text(member.user)
            if member.user == self._me:
                line.append("  (you)", style="dim")
            line.append(f"  {_time(member.joined_at)}", style="dim")
            lines.append(Option(line, id=member.user))
        options.clear_options()
        options.add_options(lines)
        if lines and keep is not None:
            options.highlighted = min(keep, len(lines) - 1)


class RoomAttributes(Vertical):
    """The room's attributes: one ``key = value`` line each."""

    DEFAULT_CSS = """
    RoomAttributes {
        height: 1fr;
    }
    RoomAttributes > Label {
        text-style: bold;
        padding: 0 1;
    }
    RoomAttributes > OptionList {
        height: 1fr;
        border: none;
        padding: 0;
        background: $panel;
    }
    """

    def compose(self) -> ComposeResult:
        """The title, then the list."""
        yield Label("Attributes", id="room-attribute-title")
        yield OptionList(id="room-attributes")

    @property
    def shown(self) -> dict[str, str]:
        """The attributes listed, by key."""
        return dict(self._values)

    def __init__(self, *, id: str | None = None) -> None:
        """An empty panel."""
        super().__init__(id=id)
        self._values: dict[str, str] = {}

    def show(self, attributes: Sequence[Attribute]) -> None:
        """List ``attributes`` by key."""
        self._values = {attr.key: attr.value for attr in attributes}
        options = self.query_one("#room-attributes", OptionList)
        options.clear_options()
        for attr in sorted(attributes, key=lambda a: a.key):
            line = Text(attr.key, style="bold")
            value = " ".join(attr.value.split())
            cut = "…" if len(value) > VALUE_SHOWN else ""
            line.append(f" = {value[:VALUE_SHOWN]}{cut}")
            options.add_option(Option(line, id=attr.key))
        title = f"Attributes · {len(attributes)}" if attributes else "Attributes · none"
        self.query_one("#room-attribute-title", Label).update(title)

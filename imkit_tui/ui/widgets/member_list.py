"""A group's members: a search box that filters as you type, and the list below it.

One line a member: the user id, then its marks: "(you)", 👑 owner, 🔇 muted, 🎤 may speak
(on the speak whitelist: may send while the whole group is muted). The list is an
OptionList, so a group of thousands scrolls without a widget per member.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from imkit_tui.core.groups import Group
from imkit_tui.ui.names import name_book

OWNER_MARK = "👑 owner"
MUTED_MARK = "🔇 muted"
SPEAKER_MARK = "🎤 may speak"
ME_MARK = "(you)"


def member_marks(group: Group, member: str, me: str) -> list[str]:
    """What is said after ``member``'s name: you, owner, muted, may speak."""
    marks: list[str] = []
    if member == me:
        marks.append(ME_MARK)
    if member == group.owner:
        marks.append(OWNER_MARK)
    if member in group.muted:
        marks.append(MUTED_MARK)
    if member in group.speakers:
        marks.append(SPEAKER_MARK)
    return marks


class MemberList(Vertical):
    """The members of a group, filtered by the text in the search box above them."""

    DEFAULT_CSS = """
    MemberList {
        height: 1fr;
        min-height: 5;
    }
    MemberList #member-search {
        margin-bottom: 1;
    }
    MemberList #members {
        height: 1fr;
        border: none;
        padding: 0;
        background: $panel;
    }
    MemberList #members:focus {
        background-tint: $foreground 4%;
    }
    """

    def __init__(self, me: str, *, id: str | None = None) -> None:
        """An empty list, as seen by ``me``."""
        super().__init__(id=id)
        self._me = me
        self._group: Group | None = None

    def compose(self) -> ComposeResult:
        """The search box and the list."""
        yield Input(placeholder="Search members…", id="member-search", compact=True)
        yield OptionList(id="members")

    @property
    def search(self) -> Input:
        """The search box."""
        return self.query_one("#member-search", Input)

    @property
    def options(self) -> OptionList:
        """The list of members."""
        return self.query_one("#members", OptionList)

    @property
    def shown(self) -> list[str]:
        """The members the list shows now (those matching the search), in order."""
        options = self.options.options
        return [option.id for option in options if option.id is not None]

    @property
    def selected(self) -> str | None:
        """The highlighted member, if any."""
        option = self.options.highlighted_option
        return option.id if option is not None else None

    def show(self, group: Group | None) -> None:
        """Show ``group``'s members (none when it is not known)."""
        self._group = group
        self._fill()

    def names_changed(self) -> None:
        """People's display names changed: show them (the search matches them too)."""
        self._fill()

    @on(Input.Changed, "#member-search")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(Input.Submitted, "#member-search")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()
        self.options.focus()

    def _fill(self) -> None:
        options = self.options
        keep = self.selected
        group = self._group
        needle = self.search.value.strip().casefold()
        found: list[Option] = []
        if group is not None:
            book = name_book()
            for member in group.members:
                if book.matches(member, needle):
                    line = Text(book.label(member))
                    for mark in member_marks(group, member, self._me):
                        line.append(f"  {mark}", style="dim" if mark == ME_MARK else "")
                    found.append(Option(line, id=member))
        options.clear_options()
        if found:
            options.add_options(found)
            ids = [option.id for option in found]
            options.highlighted = ids.index(keep) if keep in ids else 0
        elif group is not None and needle:
            options.add_option(Option(Text(f"No member matches “{needle}”"), disabled=True))

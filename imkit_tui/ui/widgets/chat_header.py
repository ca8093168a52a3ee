"""The chat header: the conversation's name, who is typing in it right now, how many
unread @mentions of this user wait to be jumped to, and who answers a customer-service
conversation (the robot, an agent)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.timer import Timer
from textual.widgets import Static

from imkit_tui.ui.names import person

TYPING_SHOWN_SECONDS = 6.0
"""How long "… is typing" stays after the last typing status (senders repeat every 5 s)."""


class ChatHeader(Static):
    """The name on the left, "alice is typing…" on the right while she types (below the
    name when both do not fit on one line).

    A typing status shows for :data:`TYPING_SHOWN_SECONDS` unless renewed, and goes as
    soon as that person's message arrives or another conversation opens. "@ 2 mentions"
    shows while :meth:`set_mentions` says some wait (with the key that jumps to them).
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Create an empty header."""
        super().__init__("", id=id)
        self._title = ""
        self._typing: dict[str, Timer] = {}
        self._mentions = 0
        self._jump_key = ""
        self._service = ""

    @property
    def typing_users(self) -> list[str]:
        """Who is typing now, in the order they started."""
        return list(self._typing)

    def set_title(self, title: str) -> None:
        """Show another conversation's name; nobody is typing there yet."""
        for timer in self._typing.values():
            timer.stop()
        self._typing.clear()
        self._title = title
        self._mentions = 0
        self._service = ""
        self._show()

    def rename(self, title: str) -> None:
        """The open conversation has a new name (a group renamed)."""
        if title != self._title:
            self._title = title
            self._show()

    @property
    def mentions(self) -> int:
        """How many unread @mentions the header announces."""
        return self._mentions

    def set_mentions(self, count: int, key: str = "") -> None:
        """Announce `count` unread @mentions of this user (none: 0), and the `key` that
        jumps to the first."""
        self._mentions, self._jump_key = max(count, 0), key
        self._show()

    @property
    def service(self) -> str:
        """Who answers the open customer-service conversation ('' elsewhere)."""
        return self._service

    def set_service(self, note: str) -> None:
        """Say who answers the open customer-service conversation ("robot", "agent
        carol", …; '' says nothing)."""
        if note != self._service:
            self._service = note
            self._show()

    def typing(self, user: str) -> None:
        """`user` is typing: show it, or keep showing it a while longer."""
        timer = self._typing.pop(user, None)
        if timer is not None:
            timer.stop()
        self._typing[user] = self.set_timer(TYPING_SHOWN_SECONDS, lambda: self.stopped(user))
        self._show()

    def stopped(self, user: str) -> None:
        """`user` stopped typing (their message arrived, or the status ran out)."""
        timer = self._typing.pop(user, None)
        if timer is not None:
            timer.stop()
            self._show()

    @property
    def text(self) -> str:
        """Everything the header says: the name, then what is noted about the chat."""
        return " ".join([self._title, Text(" · ").join(self._notes()).plain]).strip()

    def on_resize(self, event: events.Resize) -> None:
        """Lay the notes out again for the new width (beside the name, or below it)."""
        self._show()

    def _show(self) -> None:
        self.update(self._content())

    def _notes(self) -> list[Text]:
        notes: list[Text] = []
        if self._service:
            notes.append(Text(self._service, style="bold not italic"))
        if self._typing:
            names = [person(user) for user in self._typing]
            who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            verb = "is" if len(names) == 1 else "are"
            notes.append(Text(f"{who} {verb} typing…", style="italic not bold"))
        if self._mentions:
            plural = "" if self._mentions == 1 else "s"
            key = f" ({self._jump_key})" if self._jump_key else ""
            notes.append(Text(f"@ {self._mentions} mention{plural}{key}", style="bold"))
        return notes

    def _content(self) -> RenderableType:
        title = Text(self._title)
        notes = self._notes()
        if not notes:
            return title
        said = Text(" · ").join(notes)
        width = self.content_size.width
        if width and title.cell_len + 2 + said.cell_len > width:
            return Group(title, said)  # too narrow for one line: the notes go below
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(title, said)
        return grid

"""@mention completion in the composer: the token being typed, the matches, the list.

In a group chat, ``@`` in the composer opens a :class:`MentionPicker` above it with the
group's members (and "All", for ``@all``), with their display names, filtered as the
user types on: ids or names that start with what follows the ``@`` first, then those
that contain it, case ignored. The
composer (:mod:`~imkit_tui.ui.widgets.composer`) drives it: up/down move, enter or tab
insert ``@userid``, escape closes it. The parsing here is pure, no widgets.

Which ids a sent text mentions (:func:`mentions_in`): each ``@id`` of a member (or one
picked from the list), followed by anything but a letter, digit, ``_`` or ``-``; where
several ids fit after one ``@`` the longest wins; ``@all`` mentions everyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from imkit_tui.ui.names import name_book

__all__ = ["ALL", "MentionPicker", "MentionToken", "matching", "mentions_in", "token_before"]

ALL = "all"
"""The id the "All" entry inserts: ``@all`` mentions every member."""

MAX_QUERY = 64
"""An ``@`` followed by more than this many characters is not being completed."""

_TOKEN = re.compile(r"(?<![\w@.])@([^\s@]*)\Z")
_AFTER_ID = re.compile(r"[\w\-]")


@dataclass(frozen=True, slots=True)
class MentionToken:
    """The ``@…`` just before the cursor: where its ``@`` is on the line, what follows."""

    start: int
    query: str


def token_before(line: str) -> MentionToken | None:
    """The ``@`` token that `line` (the cursor's line up to the cursor) ends with, if any.

    The ``@`` must start a word (so ``me@example.com`` is not a mention) and nothing
    but non-blank characters may follow it.
    """
    match = _TOKEN.search(line)
    if match is None or len(match.group(1)) > MAX_QUERY:
        return None
    return MentionToken(match.start(), match.group(1))


def matching(members: Sequence[str], query: str, limit: int = 50) -> list[str]:
    """The member ids to offer for `query`, at most `limit`: "all" when it fits, then
    the members whose id or display name (a word of it) starts with `query`, then those
    whose id or name contains it (case ignored, each group in the members' order). An
    empty query offers everyone."""
    wanted = query.casefold()
    book = name_book()
    starting = [m for m in members if book.starts(m, wanted)]
    chosen = set(starting)
    inside = [m for m in members if m not in chosen and book.matches(m, wanted)]
    offered = [ALL] if ALL.startswith(wanted) or "everyone".startswith(wanted) else []
    return [*offered, *(m for m in [*starting, *inside] if m != ALL)][:limit]


def mentions_in(text: str, candidates: Iterable[str]) -> tuple[list[str], bool]:
    """The ids `text` @mentions among `candidates` (in order, once each), and whether it
    mentions everyone (``@all``)."""
    ids = sorted({c for c in candidates if c}, key=len, reverse=True)
    found: dict[str, None] = {}
    everyone = False
    for match in re.finditer(r"(?<![\w@.])@", text):
        start = match.end()
        for user_id in ids:
            end = start + len(user_id)
            if text.startswith(user_id, start) and not _AFTER_ID.match(text, end):
                if user_id == ALL:
                    everyone = True
                else:
                    found[user_id] = None
                break
    return list(found), everyone


class MentionPicker(OptionList, can_focus=False):
    """The list of members offered while an ``@mention`` is typed (hidden otherwise).

    It never takes focus: the composer keeps it and moves the highlight; a click on an
    entry calls :attr:`on_pick` with its id.
    """

    DEFAULT_CSS = """
    MentionPicker {
        display: none;
        width: auto;
        min-width: 24;
        max-width: 60;
        height: auto;
        max-height: 8;
        border: round $accent;
        background: $surface;
        &.-open {
            display: block;
        }
    }
    """

    ALL_LABEL: ClassVar[str] = "everyone in the group"
    """What the "All" entry says beside ``@all``."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create a closed picker."""
        super().__init__(id=id)
        self.on_pick: Callable[[str], None] | None = None
        """Called with the id of an entry the user clicked."""
        self._ids: list[str] = []

    @property
    def is_open(self) -> bool:
        """Whether the picker is shown."""
        return self.has_class("-open")

    @property
    def offered(self) -> list[str]:
        """The ids offered, in order."""
        return list(self._ids)

    @property
    def chosen(self) -> str | None:
        """The id of the highlighted entry, if the picker is open."""
        index = self.highlighted
        if not self.is_open or index is None or not 0 <= index < len(self._ids):
            return None
        return self._ids[index]

    def offer(self, ids: Sequence[str]) -> None:
        """Show `ids` (keeping the highlighted one when it is still offered)."""
        if list(ids) != self._ids:
            previous = self.chosen
            self._ids = list(ids)
            self.set_options(self._option(user_id) for user_id in self._ids)
            self.highlighted = self._ids.index(previous) if previous in self._ids else 0
        self.add_class("-open")

    def close(self) -> None:
        """Hide the picker."""
        self.remove_class("-open")

    def move(self, delta: int) -> None:
        """Move the highlight by `delta` entries, wrapping around."""
        if self._ids:
            self.highlighted = ((self.highlighted or 0) + delta) % len(self._ids)

    def _option(self, user_id: str) -> Option:
        label = Text(f"@{user_id}", style="bold")
        if user_id == ALL:
            label.append(f"  {self.ALL_LABEL}", style="italic")
        elif (name := name_book().name(user_id)) != user_id:
            label.append(f"  {name}")
        return Option(label, id=user_id)

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None and self.on_pick is not None:
            self.on_pick(event.option.id)

"""How the app names people: one :class:`NameBook` per app, asked by every widget.

Widgets never look profiles up themselves: they call :func:`person` (a user id's display
name) or :func:`label` ("Name (id)", where the id must stay findable), and
:func:`name_book` for matching. The book answers from the client's memory at once (the
id while the name is unknown) and leaves the lookup to ``client.profiles``, which reads
what the screens asked for in batches and publishes ProfilesChanged; the main screen
then draws again (ui/screens/profile_actions.py). Outside an app (tests of a widget
alone, the command line) names are ids.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual._context import active_app

if TYPE_CHECKING:
    from textual.app import App

    from imkit_tui.core.profiles import Profiles

ProfileSource = Callable[[], "Profiles | None"]
"""Gives the client's profiles once the client is open (None before)."""


class NameBook:
    """Display names and portraits of people, for one app."""

    def __init__(self, source: ProfileSource | None = None) -> None:
        self._source = source or (lambda: None)
        self._waiting: set[str] = set()

    def _profiles(self) -> Profiles | None:
        profiles = self._source()
        if profiles is not None and self._waiting:
            profiles.want(self._waiting)
            self._waiting = set()
        return profiles

    def name(self, user_id: str) -> str:
        """The display name of `user_id` (the id while none is known)."""
        profiles = self._profiles()
        if profiles is None:
            self._waiting.add(user_id)
            return user_id
        return profiles.name(user_id)

    def label(self, user_id: str) -> str:
        """``Name (id)`` when a name is known and differs from the id, else the id."""
        name = self.name(user_id)
        return user_id if name == user_id else f"{name} ({user_id})"

    def portrait(self, user_id: str) -> str:
        """The portrait URL of `user_id` ("" when none is known)."""
        profiles = self._profiles()
        known = profiles.known(user_id) if profiles is not None else None
        return known.portrait if known is not None else ""

    def matches(self, user_id: str, query: str) -> bool:
        """Whether `query` (any case) is in the id or the display name of `user_id`."""
        folded = query.casefold()
        return folded in user_id.casefold() or folded in self.name(user_id).casefold()

    def starts(self, user_id: str, query: str) -> bool:
        """Whether the id or any word of the display name starts with `query`."""
        folded = query.casefold()
        if user_id.casefold().startswith(folded):
            return True
        name = self.name(user_id).casefold()
        return name.startswith(folded) or any(w.startswith(folded) for w in name.split())

    def want(self, user_ids: Iterable[str]) -> None:
        """Look these people up soon (a screen about to show them)."""
        profiles = self._profiles()
        if profiles is None:
            self._waiting.update(user_ids)
        else:
            profiles.want(user_ids)


_NOBODY = NameBook()
_BOOKS: weakref.WeakKeyDictionary[App[object], NameBook] = weakref.WeakKeyDictionary()


def install(app: App[object], book: NameBook) -> None:
    """Make `book` the names of `app`."""
    _BOOKS[app] = book


def name_book() -> NameBook:
    """The running app's names (ids only outside an app)."""
    try:
        app = active_app.get()
    except LookupError:
        return _NOBODY
    return _BOOKS.get(app, _NOBODY)


def person(user_id: str) -> str:
    """The display name of `user_id` in the running app."""
    return name_book().name(user_id)


def label(user_id: str) -> str:
    """``Name (id)`` of `user_id` in the running app (the id when it has no name)."""
    return name_book().label(user_id)

"""User status sync, with no I/O: which users' status to report, coalesced.

A device logging in or out marks its user; once `window_ms` has passed since the first
mark, the user's status is read from the server's sessions (what `/user/checkOnline`
answers) and reported when it differs from the last report. A user who flaps (out and
back within the window) is reported once, or not at all when nothing changed.
On a PostgreSQL store the marks are rows and the truth is every node's (presence.py);
`report_of` decides for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imkit_tui.server.hooks.forms import LOGOUT, OFFLINE, ONLINE


@dataclass(slots=True)
class _Mark:
    due_ms: int
    device: str
    at_ms: int
    logout: bool


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A status to report: `status` is "0" online, "1" offline, "2" logged out."""

    user_id: str
    status: str
    device: str
    at_ms: int


def report_of(reported: str, online: bool, logout: bool) -> str | None:
    """The status to report of a user last reported as `reported`, who is `online` now
    (else gone, by a logout when `logout`); None when nothing changed."""
    status = ONLINE if online else (LOGOUT if logout else OFFLINE)
    return None if status == reported else status


class StatusBoard:
    """The users marked since their last report, and what each was last reported as."""

    def __init__(self, window_ms: int) -> None:
        self._window_ms = window_ms
        self._marked: dict[str, _Mark] = {}
        self._reported: dict[str, str] = {}

    def mark(self, user_id: str, device: str, at_ms: int, *, logout: bool = False) -> None:
        """A device of `user_id` came or went at `at_ms` (`logout`: it logged out)."""
        mark = self._marked.get(user_id)
        if mark is None:
            self._marked[user_id] = _Mark(at_ms + self._window_ms, device, at_ms, logout)
        else:
            mark.device, mark.at_ms, mark.logout = device, at_ms, logout

    def next_due(self) -> int | None:
        """When the earliest marked user is due (None: nobody is marked)."""
        return min((m.due_ms for m in self._marked.values()), default=None)

    def due(self, now_ms: int, online: Callable[[str], bool]) -> list[StatusReport]:
        """The reports due at `now_ms`, each user's status read from `online` now."""
        reports = []
        for user_id, mark in list(self._marked.items()):
            if mark.due_ms > now_ms:
                continue
            del self._marked[user_id]
            status = report_of(self._reported.get(user_id, OFFLINE), online(user_id), mark.logout)
            if status is None:
                continue
            self._reported[user_id] = status
            reports.append(StatusReport(user_id, status, mark.device, mark.at_ms))
        return reports

"""The app-wide chatroom lists: message whitelist, low-priority object names, and each
room's user whitelist. No I/O."""

from __future__ import annotations

from collections.abc import Iterable

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.server.chatrooms.budget import Priority


class RoomPolicy:
    """Which messages a busy room keeps first, and whom it never lets go."""

    def __init__(self, max_low_priority: int) -> None:
        self._max_low = max_low_priority
        self.whitelisted_types: set[str] = set()
        """Object names never dropped (/chatroom/whitelist/add)."""
        self.low_priority: set[str] = set()
        """Object names dropped first (/chatroom/message/priority/add)."""
        self._users: dict[str, set[str]] = {}

    def add_low_priority(self, names: Iterable[str]) -> None:
        """Mark `names` low priority; refused (23412) past the most allowed."""
        merged = self.low_priority | set(names)
        if len(merged) > self._max_low:
            raise ProtocolError(
                ErrorCode.CHATROOM_PARAMETER_INVALID,
                f"at most {self._max_low} object names may be low priority",
            )
        self.low_priority = merged

    def users(self, room: str) -> set[str]:
        """The user whitelist of `room` (users never dropped, never auto-exited)."""
        return self._users.get(room, set())

    def allow_users(self, room: str, users: Iterable[str]) -> None:
        """Put `users` on `room`'s user whitelist."""
        self._users.setdefault(room, set()).update(users)

    def disallow_users(self, room: str, users: Iterable[str]) -> None:
        """Take `users` off `room`'s user whitelist."""
        listed = self._users.get(room)
        if listed is not None:
            listed.difference_update(users)
            if not listed:
                del self._users[room]

    def forget_room(self, room: str) -> None:
        """`room` is gone: its user whitelist goes with it."""
        self._users.pop(room, None)

    def whitelisted(self, room: str, user: str) -> bool:
        """Whether `user` is on `room`'s user whitelist."""
        return user in self._users.get(room, ())

    def priority(self, room: str, user: str, object_name: str) -> Priority:
        """The priority of `user`'s message of `object_name` in `room`."""
        if object_name in self.whitelisted_types or self.whitelisted(room, user):
            return Priority.WHITELISTED
        if object_name in self.low_priority:
            return Priority.LOW
        return Priority.HIGH

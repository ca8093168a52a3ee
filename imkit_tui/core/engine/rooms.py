"""Which chatrooms the client is in, and which it wants to be in, sans I/O.

The app says which rooms it wants (:meth:`RoomPlan.want`, with how many recent messages
a join brings) and which it no longer wants (:meth:`RoomPlan.drop`). The connection's
fate decides the rest, as the service does: a dropped connection leaves every room
(:meth:`RoomPlan.disconnected` names them: their messages are deleted); after the next
login every room still wanted is joined again (:meth:`RoomPlan.to_rejoin`). A room the
server ends for this user (destroyed, kicked, banned, left after being away) is no
longer wanted (:meth:`RoomPlan.ended`): nothing joins it again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wanted:
    """A room the app wants to be in, and how many recent messages a join brings."""

    room: str
    recent: int
    existing: bool = False
    """Join only if it exists (never create it)."""


class RoomPlan:
    """The rooms wanted and the rooms joined on the current connection."""

    def __init__(self) -> None:
        self._wanted: dict[str, Wanted] = {}
        self._joined: set[str] = set()

    @property
    def wanted(self) -> list[str]:
        """The rooms wanted, in the order they were first wanted."""
        return list(self._wanted)

    @property
    def joined(self) -> list[str]:
        """The rooms joined on this connection."""
        return [room for room in self._wanted if room in self._joined]

    def is_joined(self, room: str) -> bool:
        """Whether `room` is joined on this connection."""
        return room in self._joined

    def want(self, room: str, recent: int, *, existing: bool = False) -> None:
        """The app wants to be in `room` (joining it now)."""
        self._wanted[room] = Wanted(room, recent, existing)

    def was_joined(self, room: str) -> bool:
        """The server answered a join of `room`: it is joined, if still wanted (a
        leave may have come first); returns whether it counts."""
        if room not in self._wanted:
            return False
        self._joined.add(room)
        return True

    def drop(self, room: str) -> bool:
        """The app leaves `room`; returns whether it was joined (its messages go)."""
        self._wanted.pop(room, None)
        joined = room in self._joined
        self._joined.discard(room)
        return joined

    def ended(self, room: str) -> bool:
        """The server ended `room` for this user (destroyed, kicked, banned, left while
        away): not wanted any more. Returns whether it was wanted or joined."""
        known = room in self._wanted or room in self._joined
        self.drop(room)
        return known

    def disconnected(self) -> list[str]:
        """The connection dropped: every room is left (still wanted). The rooms that
        were joined, whose messages go."""
        left = self.joined
        self._joined.clear()
        return left

    def to_rejoin(self) -> list[Wanted]:
        """Logged in again: the rooms to join again (wanted, not joined)."""
        return [wanted for room, wanted in self._wanted.items() if room not in self._joined]

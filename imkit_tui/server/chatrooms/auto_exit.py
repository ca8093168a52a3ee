"""When members who went offline leave their rooms. No I/O.

A member whose user has no device online any more is away. Counting from the first
message the room gets after that, they leave once `after_ms` have passed or once
`after_messages` messages have arrived, whichever comes first; coming back online
before then keeps them in. Whitelisted users are never planned out (the service does not
mark them away).

Per room, the away members wait in two queues ordered as they will leave: those who
have seen no new message yet, and those counting (by the room's message count and by
the time of their first new message), so each message costs O(1) plus the members it
lets go.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AutoExitRule:
    """Leave after `after_ms` or `after_messages` new messages (the service's 30 s and 30)."""

    after_ms: int = 30_000
    after_messages: int = 30

    def __post_init__(self) -> None:
        if self.after_ms < 1 or self.after_messages < 1:
            raise ValueError("auto-exit needs a positive time and message count")


@dataclass(slots=True)
class _Away:
    since_count: int
    first_at: int = 0


@dataclass(slots=True)
class _RoomAway:
    count: int = 0
    away: dict[str, _Away] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)
    by_count: deque[tuple[int, str, _Away]] = field(default_factory=deque)
    by_time: deque[tuple[int, str, _Away]] = field(default_factory=deque)


class AutoExitPlanner:
    """The away members of every room and when they leave."""

    def __init__(self, rule: AutoExitRule) -> None:
        self._rule = rule
        self._rooms: dict[str, _RoomAway] = {}

    def away(self, room: str, user: str) -> None:
        """`user` (a member of `room`) went offline."""
        state = self._rooms.setdefault(room, _RoomAway())
        if user not in state.away:
            state.away[user] = _Away(state.count)
            state.waiting.append(user)

    def back(self, room: str, user: str) -> None:
        """`user` is online again, or left `room`: nothing planned for them there."""
        state = self._rooms.get(room)
        if state is not None and state.away.pop(user, None) is not None and not state.away:
            del self._rooms[room]

    def forget_room(self, room: str) -> None:
        """`room` is gone."""
        self._rooms.pop(room, None)

    def message(self, room: str, now_ms: int) -> list[str]:
        """A message arrived in `room` at `now_ms`: the away members who leave now."""
        state = self._rooms.get(room)
        if state is None:
            return []
        state.count += 1
        for user in state.waiting:
            away = state.away.get(user)
            if away is not None and away.first_at == 0:
                away.first_at = now_ms
                state.by_count.append((away.since_count, user, away))
                state.by_time.append((now_ms, user, away))
        state.waiting.clear()
        return self._leaving(room, state, now_ms)

    def due(self, now_ms: int) -> list[tuple[str, str]]:
        """(room, user) of the away members whose time is up at `now_ms`."""
        leaving: list[tuple[str, str]] = []
        for room, state in list(self._rooms.items()):
            leaving.extend((room, user) for user in self._leaving(room, state, now_ms))
        return leaving

    def _leaving(self, room: str, state: _RoomAway, now_ms: int) -> list[str]:
        rule = self._rule
        gone: list[str] = []
        while state.by_count and state.by_count[0][0] + rule.after_messages <= state.count:
            _, user, away = state.by_count.popleft()
            if self._take(state, user, away):
                gone.append(user)
        while state.by_time and state.by_time[0][0] + rule.after_ms <= now_ms:
            _, user, away = state.by_time.popleft()
            if self._take(state, user, away):
                gone.append(user)
        if not state.away:
            self._rooms.pop(room, None)
        return gone

    @staticmethod
    def _take(state: _RoomAway, user: str, away: _Away) -> bool:
        """Take `user` out if still away as queued (a stale queue entry is skipped)."""
        if state.away.get(user) is not away:
            return False
        del state.away[user]
        return True

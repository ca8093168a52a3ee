"""How many upstream messages a room accepts, by priority. No I/O.

Per room, at most `limit` messages are accepted in any window of `window_ms`; of them,
`reserved_high` are kept for high-priority messages: low-priority ones are accepted only
while fewer than `limit - reserved_high` were accepted in the window. Whitelisted
messages (by object name or sender) are always accepted and take nothing from the
budget, so they never crowd out high priority.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass


class Priority(enum.IntEnum):
    """A message's priority in a busy room."""

    LOW = 0
    HIGH = 1
    WHITELISTED = 2


@dataclass(frozen=True, slots=True)
class BudgetRule:
    """The room budget: `limit` messages per `window_ms`, `reserved_high` of them for
    high priority (the service's 40 per 200 ms, 20 reserved)."""

    limit: int = 40
    window_ms: int = 200
    reserved_high: int = 20

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_ms < 1:
            raise ValueError("the chatroom budget must be positive")
        if not 0 <= self.reserved_high <= self.limit:
            raise ValueError("reserved_high must be between 0 and the limit")


class RoomBudget:
    """One room's accepted sends in the current window (their times, oldest first)."""

    __slots__ = ("_accepted", "_rule")

    def __init__(self, rule: BudgetRule) -> None:
        self._rule = rule
        self._accepted: deque[int] = deque()

    def admit(self, priority: Priority, now_ms: int) -> bool:
        """Whether a send of `priority` at `now_ms` is accepted (and if so, counted)."""
        accepted = self._accepted
        start = now_ms - self._rule.window_ms
        while accepted and accepted[0] <= start:
            accepted.popleft()
        if priority is Priority.WHITELISTED:
            return True
        used = len(accepted)
        if priority is Priority.LOW:
            allowed = used < self._rule.limit - self._rule.reserved_high
        else:
            allowed = used < self._rule.limit
        if allowed:
            accepted.append(now_ms)
        return allowed

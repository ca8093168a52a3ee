"""How often the Server API lets a costly call through: no I/O, the caller gives the time.

Broadcasts are limited as the service limits them: by default at most 2 in an hour and
3 in a day (1008 past it; `imkit serve --broadcasts-per-hour/--broadcasts-per-day`).
The times are kept in the server's store too (server/broadcast_log.py), so a restart
does not reset the count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


class CallLimit:
    """At most `per_hour` calls in any hour and `per_day` in any day."""

    def __init__(self, per_hour: int = 2, per_day: int = 3, times: Iterable[int] = ()) -> None:
        """`times`: the calls already let through (oldest first), e.g. read back after a
        restart."""
        if per_hour < 0 or per_day < 0:
            raise ValueError("broadcast limits must not be negative")
        self.per_hour = per_hour
        """Calls let through in any hour."""
        self.per_day = per_day
        """Calls let through in any day."""
        self._times: deque[int] = deque(times)

    def take(self, now_ms: int) -> bool:
        """Count a call at `now_ms` if it is allowed; False (nothing counted) if not."""
        while self._times and self._times[0] <= now_ms - DAY_MS:
            self._times.popleft()
        in_hour = sum(1 for when in self._times if when > now_ms - HOUR_MS)
        if len(self._times) >= self.per_day or in_hour >= self.per_hour:
            return False
        self._times.append(now_ms)
        return True

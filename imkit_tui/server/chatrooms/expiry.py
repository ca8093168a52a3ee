"""Marks that end by themselves: mutes and bans with an expiry in minutes. No I/O.

A mark is kept with the time it ends (0: never). It reads as active until then, and
:meth:`Expiring.due` hands back the marks that ended, once each, for the service to
lift (and tell the users about).
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

FOREVER = 0
"""`until` of a mark without an end."""

MINUTE_MS = 60_000


def until_from_minutes(minutes: int, now_ms: int) -> int:
    """When a mark set for `minutes` at `now_ms` ends (0 minutes: never)."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return now_ms + minutes * MINUTE_MS if minutes else FOREVER


class Expiring(Generic[K]):
    """Keys marked until a time (0: forever)."""

    def __init__(self) -> None:
        self._until: dict[K, int] = {}
        self._ends: list[tuple[int, int, K]] = []
        self._serial = 0

    def set(self, key: K, until: int) -> None:
        """Mark `key` until `until` (FOREVER: no end); a later mark replaces an earlier."""
        self._until[key] = until
        if until != FOREVER:
            self._serial += 1
            heapq.heappush(self._ends, (until, self._serial, key))

    def remove(self, key: K) -> bool:
        """Lift `key` now; False when it was not marked."""
        return self._until.pop(key, None) is not None

    def until(self, key: K, now_ms: int) -> int | None:
        """When `key`'s mark ends (FOREVER: never), or None when it is not active."""
        until = self._until.get(key)
        if until is None or (until != FOREVER and until <= now_ms):
            return None
        return until

    def active(self, key: K, now_ms: int) -> bool:
        """Whether `key` is marked at `now_ms`."""
        return self.until(key, now_ms) is not None

    def due(self, now_ms: int) -> list[K]:
        """The keys whose marks ended by `now_ms`, lifted now (each handed back once)."""
        ended: list[K] = []
        ends = self._ends
        while ends and ends[0][0] <= now_ms:
            until, _serial, key = heapq.heappop(ends)
            if self._until.get(key) == until:
                del self._until[key]
                ended.append(key)
        return ended

    def items(self, now_ms: int) -> Iterator[tuple[K, int]]:
        """Every active mark and when it ends."""
        for key, until in list(self._until.items()):
            if until == FOREVER or until > now_ms:
                yield key, until

"""A token bucket per user, for the send rate limit and the frame budgets (error 20604)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


class TokenBucket:
    """Allows `rate` events a second on average and bursts of up to `burst`."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def allow(self, cost: float = 1.0) -> bool:
        """Take `cost` tokens (at most a burst) if there are as many; False means the
        caller is over the limit."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        cost = min(cost, self._burst)
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False

    def charge(self, cost: float) -> None:
        """Take `cost` tokens whatever is left (events let through elsewhere, by another
        node); the bucket may go as far below empty as a burst."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        self._tokens = max(-self._burst, self._tokens - cost)


class PerUser:
    """A :class:`TokenBucket` for each user, made on their first event (the send limit).

    With several nodes the limit is per user, not per node: each node counts what it let
    through (`take_counts`), tells the others, and charges what they let through to its
    own buckets (`charge`); a user sending on two nodes at once shares one limit, give
    or take what one report interval lets through.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, TokenBucket] = {}
        self._counts: dict[str, int] | None = None

    def share(self) -> None:
        """Count what is let through from now on, for `take_counts`."""
        if self._counts is None:
            self._counts = {}

    def _bucket(self, user_id: str) -> TokenBucket:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = TokenBucket(self._rate, self._burst)
        return bucket

    def allow(self, user_id: str) -> bool:
        """Take one token from `user_id`'s bucket; False when they are over the limit."""
        allowed = self._bucket(user_id).allow()
        if allowed and self._counts is not None:
            self._counts[user_id] = self._counts.get(user_id, 0) + 1
        return allowed

    def take_counts(self) -> dict[str, int]:
        """What was let through since the last call, by user (for the other nodes;
        empty unless shared)."""
        counts = self._counts or {}
        if self._counts is not None:
            self._counts = {}
        return counts

    def charge(self, counts: Mapping[str, int]) -> None:
        """Charge what another node let through, by user, to these buckets."""
        for user_id, count in counts.items():
            self._bucket(user_id).charge(count)

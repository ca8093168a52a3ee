"""A token bucket per user, for the send rate limit and the frame budgets (error 20604)."""

from __future__ import annotations

import time
from collections.abc import Callable


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


class PerUser:
    """A :class:`TokenBucket` for each user, made on their first event (the send limit)."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, user_id: str) -> bool:
        """Take one token from `user_id`'s bucket; False when they are over the limit."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = TokenBucket(self._rate, self._burst)
        return bucket.allow()

"""Exponential backoff with full jitter, so reconnecting clients never stampede."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of `base * 2**attempt`, capped at `cap`, each scaled by a random factor."""

    base: float = 0.25
    cap: float = 15.0
    jitter: float = 0.5

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (counting from 1)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, attempt - 1))
        factor: float = random.uniform(1.0 - self.jitter, 1.0)
        return ceiling * factor

"""Wall-clock time in milliseconds, the unit of every timestamp on the wire."""

from __future__ import annotations

import time


def now_ms() -> int:
    """The current wall-clock time in milliseconds."""
    return int(time.time() * 1000)

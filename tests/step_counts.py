"""SQLite steps per store operation: how the history-cost tests tell a keyed lookup
(the same steps at 100 and 100,000 messages) from a scan (steps growing with history)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from imkit_tui.core.store import LocalStore


async def steps_of(
    store: LocalStore, operations: Mapping[str, Callable[[], Awaitable[Any]]]
) -> dict[str, int]:
    """Run each operation on `store`, counting the SQLite steps it takes; closes the store."""
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    found: dict[str, int] = {}
    try:
        await store.count_steps(tick, every=1)
        for name, operation in operations.items():
            steps = 0
            await operation()
            found[name] = steps
    finally:
        await store.count_steps(None)
        await store.close()
    return found

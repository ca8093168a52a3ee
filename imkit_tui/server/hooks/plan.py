"""What the outgoing sender does next, with no I/O: which entries are due, in order per
lane (a conversation), when a failed one is tried again, and what goes when the queue is
full. The caller gives the time and the random numbers, so each decision is tested
directly (tests/test_hooks_plan.py).
"""

from __future__ import annotations

import random
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass

DROP_OLDEST = "drop-oldest"
"""When full, the oldest waiting entry is dropped to make room (the newest is kept)."""
DROP_NEWEST = "drop-newest"
"""When full, the new entry is dropped (what waits is kept)."""
WHEN_FULL = (DROP_OLDEST, DROP_NEWEST)


@dataclass(slots=True)
class Entry:
    """One request to make: `lane` orders it (entries of one lane go one at a time, in
    `id` order), `kind` names the endpoint, `body` is what is sent. `attempts` failed
    so far; not before `due_ms`."""

    id: int
    lane: str
    kind: str
    body: str
    attempts: int = 0
    due_ms: int = 0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff after a failure: `base_ms` doubled per attempt up to `cap_ms`, each wait
    drawn between half and all of it (jitter, so a backend that comes back is not hit by
    every lane at once)."""

    base_ms: int = 500
    cap_ms: int = 60_000

    def __post_init__(self) -> None:
        if self.base_ms < 1 or self.cap_ms < self.base_ms:
            raise ValueError("retry base must be positive and at most the cap")

    def delay_ms(self, attempts: int, rng: random.Random) -> int:
        """The wait after the `attempts`-th failure in a row (1 for the first)."""
        ceiling: int = min(self.cap_ms, self.base_ms << min(attempts - 1, 30))
        return ceiling // 2 + int(rng.random() * (ceiling - ceiling // 2))


class Plan:
    """The waiting entries, at most `limit` of them (`when_full` says which goes past
    it; `dropped` counts them), and the lanes with an entry in flight."""

    def __init__(
        self,
        limit: int,
        when_full: str = DROP_OLDEST,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("the queue limit must be positive")
        if when_full not in WHEN_FULL:
            raise ValueError(f"when full must be one of {', '.join(WHEN_FULL)}")
        self._limit = limit
        self._when_full = when_full
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self._lanes: dict[str, deque[Entry]] = {}
        self._order: OrderedDict[int, Entry] = OrderedDict()
        self._in_flight: set[str] = set()
        self.dropped = 0
        """Entries dropped because the queue was full, since the start."""

    def __len__(self) -> int:
        return len(self._order)

    def add(self, entry: Entry) -> list[Entry]:
        """Queue `entry` (ids must grow); the entries dropped to respect the limit (it
        may be `entry` itself, with `drop-newest`), whose rows are to be deleted."""
        dropped: list[Entry] = []
        while len(self._order) >= self._limit:
            victim = self._oldest_idle() if self._when_full == DROP_OLDEST else None
            if victim is None:
                self.dropped += 1
                return [entry]
            self._remove(victim)
            dropped.append(victim)
            self.dropped += 1
        self._order[entry.id] = entry
        queue = self._lanes.setdefault(entry.lane, deque())
        if queue and queue[-1].id > entry.id:
            # Taken after a later one of its lane (a message committed in the same
            # batch, heard of a turn later): it goes to its place by id.
            at = next(i for i, e in enumerate(queue) if e.id > entry.id)
            queue.insert(max(at, 1 if entry.lane in self._in_flight else 0), entry)
        else:
            queue.append(entry)
        return dropped

    def extend(self, entries: Iterable[Entry]) -> list[Entry]:
        """Queue `entries` in order (kept rows at start-up); those dropped."""
        dropped: list[Entry] = []
        for entry in entries:
            dropped.extend(self.add(entry))
        return dropped

    @property
    def in_flight(self) -> int:
        """How many lanes have an entry in flight."""
        return len(self._in_flight)

    def due(self, now_ms: int, limit: int | None = None) -> list[Entry]:
        """The entries to send now (at most `limit`), marked in flight: the head of each
        lane with none in flight whose time has come, the oldest lanes first."""
        ready: list[Entry] = []
        for lane, queue in self._lanes.items():
            if limit is not None and len(ready) >= limit:
                break
            if lane not in self._in_flight and queue[0].due_ms <= now_ms:
                ready.append(queue[0])
        for entry in ready:
            self._in_flight.add(entry.lane)
        return ready

    def next_due(self) -> int | None:
        """When the earliest lane that is not in flight is due (None: nothing waits)."""
        times = [q[0].due_ms for lane, q in self._lanes.items() if lane not in self._in_flight]
        return min(times) if times else None

    def succeeded(self, entry: Entry) -> None:
        """`entry` was delivered: its lane moves on."""
        self._in_flight.discard(entry.lane)
        if entry.id in self._order:
            self._remove(entry)

    def failed(self, entry: Entry, now_ms: int) -> int:
        """`entry` failed: it stays at its lane's head, tried again after a backoff; when."""
        self._in_flight.discard(entry.lane)
        entry.attempts += 1
        entry.due_ms = now_ms + self._retry.delay_ms(entry.attempts, self._rng)
        return entry.due_ms

    def _oldest_idle(self) -> Entry | None:
        for entry in self._order.values():
            queue = self._lanes[entry.lane]
            if not (entry.lane in self._in_flight and queue[0] is entry):
                return entry
        return None

    def _remove(self, entry: Entry) -> None:
        del self._order[entry.id]
        queue = self._lanes[entry.lane]
        if queue[0] is entry:
            queue.popleft()
        else:
            queue.remove(entry)
        if not queue:
            del self._lanes[entry.lane]

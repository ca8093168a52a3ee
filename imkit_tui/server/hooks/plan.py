"""What the outgoing sender does next, with no I/O: which entries are due, in order per
lane (a conversation), when a failed one is tried again, and what goes when the queue is
full. The caller gives the time and the random numbers, so each decision is tested
directly (tests/test_hooks_plan.py).
"""

from __future__ import annotations

import heapq
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
        # Lanes that may be due, by (due_ms, turn): pushed whenever a lane's head
        # changes or its flight ends, checked against the lane when they come up (so a
        # wake-up looks at the lanes due, never at every lane waiting).
        self._timers: list[tuple[int, int, str]] = []
        self._turn = 0
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
        if queue[0] is entry:
            self._schedule(entry.lane)
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
        lane with none in flight whose time has come, the earliest due first."""
        ready: list[Entry] = []
        while limit is None or len(ready) < limit:
            top = self._next_timer()
            if top is None or top[0] > now_ms:
                break
            heapq.heappop(self._timers)
            lane = top[2]
            self._in_flight.add(lane)
            ready.append(self._lanes[lane][0])
        return ready

    def next_due(self) -> int | None:
        """When the earliest lane that is not in flight is due (None: nothing waits)."""
        top = self._next_timer()
        return None if top is None else top[0]

    def _schedule(self, lane: str) -> None:
        """Note when `lane` is due (its head's time), unless it is in flight or empty."""
        queue = self._lanes.get(lane)
        if queue and lane not in self._in_flight:
            self._turn += 1
            heapq.heappush(self._timers, (queue[0].due_ms, self._turn, lane))

    def _next_timer(self) -> tuple[int, int, str] | None:
        """The earliest timer that still holds (dropping those that no longer do)."""
        timers = self._timers
        while timers:
            due, _turn, lane = timers[0]
            queue = self._lanes.get(lane)
            if queue and lane not in self._in_flight and queue[0].due_ms == due:
                return timers[0]
            heapq.heappop(timers)
        return None

    def succeeded(self, entry: Entry) -> None:
        """`entry` was delivered: its lane moves on."""
        self._in_flight.discard(entry.lane)
        if entry.id in self._order:
            self._remove(entry)
        self._schedule(entry.lane)

    def failed(self, entry: Entry, now_ms: int) -> int:
        """`entry` failed: it stays at its lane's head, tried again after a backoff; when."""
        self._in_flight.discard(entry.lane)
        entry.attempts += 1
        entry.due_ms = now_ms + self._retry.delay_ms(entry.attempts, self._rng)
        self._schedule(entry.lane)
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
            self._schedule(entry.lane)  # a new head
        else:
            queue.remove(entry)
        if not queue:
            del self._lanes[entry.lane]

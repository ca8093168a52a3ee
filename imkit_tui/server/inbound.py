"""What one connection may ask of the server: its pace, its requests in flight, and
its budget of refused frames.

Every connection shares one event loop and one reading thread, so a client that
floods must slow only itself. Three bounds, each per connection:

- **pace**: frames beyond `frames_per_second` (after a burst) are read later, not
  refused: the flood waits in its own TCP buffers while others are served;
- **in flight**: at most `requests_in_flight` requests of a connection run at once;
  the next frame is read when one of them ends;
- **refusals**: frames refused as malformed (not JSON, invalid, unknown type, too
  large) draw on a small budget; once it is spent the connection is closed (1008),
  and the user's next login waits a moment (`RefusedUsers`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from imkit_tui.server.ratelimit import TokenBucket

#: The websocket close code when a connection's budget of refused frames is spent
#: (policy violation).
MALFORMED_CLOSE = 1008


@dataclass(frozen=True, slots=True)
class InboundPolicy:
    """The bounds every connection gets (from ServerConfig)."""

    frames_per_second: float = 200.0
    frame_burst: int = 2000
    requests_in_flight: int = 8
    malformed_per_second: float = 2.0
    malformed_burst: int = 20
    refused_login_delay: float = 1.0


class InboundLimits:
    """One connection's pace, requests in flight and budget of refused frames."""

    def __init__(self, policy: InboundPolicy) -> None:
        self._policy = policy
        self._interval = 1.0 / policy.frames_per_second
        self._due = 0.0  # when the next frame would be due at the steady pace
        self._malformed = TokenBucket(policy.malformed_per_second, policy.malformed_burst)
        self._in_flight = 0
        self._slot_free = asyncio.Event()
        self._slot_free.set()

    async def admit(self) -> None:
        """Wait until the connection may have its next frame handled."""
        now = time.monotonic()
        self._due = max(self._due, now) + self._interval
        ahead = self._due - now - self._policy.frame_burst * self._interval
        if ahead > 0:
            await asyncio.sleep(ahead)
        while self._in_flight >= self._policy.requests_in_flight:
            self._slot_free.clear()
            await self._slot_free.wait()

    def started(self) -> None:
        """A request of this connection started running."""
        self._in_flight += 1

    def ended(self) -> None:
        """A request of this connection ended."""
        self._in_flight -= 1
        self._slot_free.set()

    def tolerate_malformed(self) -> bool:
        """Count one refused frame; False once the connection's budget is spent."""
        return self._malformed.allow()


@dataclass(slots=True)
class RefusedUsers:
    """Users whose connection was just closed for its refused frames: their next login
    waits `delay` seconds, so a flood that logs in again at once costs a sleeping task,
    not a stream of handshakes."""

    delay: float
    _until: dict[str, float] = field(default_factory=dict)

    def refused(self, user_id: str) -> None:
        """`user_id`'s connection was just closed for its refused frames."""
        now = time.monotonic()
        self._until = {u: t for u, t in self._until.items() if t > now}  # stays small
        self._until[user_id] = now + self.delay

    async def wait(self, user_id: str) -> None:
        """Hold a login of `user_id` until its delay, if any, has passed."""
        until = self._until.get(user_id)
        if until is not None:
            await asyncio.sleep(max(0.0, until - time.monotonic()))

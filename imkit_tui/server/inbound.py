"""What one connection may ask of the server: its pace, its requests in flight, and
its budget of refused frames.

Every connection shares one event loop and one reading thread, so a client that
floods must slow only itself. Three bounds, each per connection:

- **pace**: frames beyond `frames_per_second` (after a burst) are read later, not
  refused: the flood waits in its own TCP buffers while others are served;
- **in flight**: at most `requests_in_flight` requests of a connection run at once;
  the next frame is read when one of them ends;
- **refusals**: frames refused as malformed (not JSON, invalid, unknown type, too
  large) draw on a small budget; once it is spent the connection is closed (1008).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from imkit_tui.server.ratelimit import TokenBucket

#: The websocket close code when a connection's budget of refused frames is spent
#: (policy violation).
MALFORMED_CLOSE = 1008


@dataclass(frozen=True, slots=True)
class InboundPolicy:
    """The bounds every connection gets (from ServerConfig)."""

    frames_per_second: float = 1000.0
    frame_burst: int = 2000
    requests_in_flight: int = 8
    malformed_per_second: float = 2.0
    malformed_burst: int = 20


class InboundLimits:
    """One connection's pace, requests in flight and budget of refused frames."""

    def __init__(self, policy: InboundPolicy) -> None:
        self._policy = policy
        self._frames = TokenBucket(policy.frames_per_second, policy.frame_burst)
        self._malformed = TokenBucket(policy.malformed_per_second, policy.malformed_burst)
        self._in_flight = 0
        self._slot_free = asyncio.Event()
        self._slot_free.set()

    async def admit(self) -> None:
        """Wait until the connection may have its next frame handled."""
        if not self._frames.allow():
            await asyncio.sleep(1.0 / self._policy.frames_per_second)
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

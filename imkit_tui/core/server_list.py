"""Several addresses of one service (`--server ws://a,ws://b`): which one the client
talks to, and where it goes when that one goes away (sans-I/O).

The client stays on a node while it works. When the node goes away (the connection
drops, or an attempt fails), the next attempt goes to the next address at once; only
once every address failed in a row does the client wait its backoff before the next
round.
"""

from __future__ import annotations


def split_servers(spec: str) -> list[str]:
    """The addresses of a server spec: one URL, or several separated by commas."""
    urls = [part.strip() for part in spec.split(",") if part.strip()]
    return urls or [spec]


class ServerList:
    """The addresses of a service and the one in use."""

    def __init__(self, spec: str) -> None:
        self.urls = split_servers(spec)
        self._index = 0
        self._failed_in_a_row = 0

    @property
    def current(self) -> str:
        """The address the next attempt uses."""
        return self.urls[self._index]

    @property
    def several(self) -> bool:
        """Whether there is another address to move to."""
        return len(self.urls) > 1

    def connected(self) -> None:
        """The current address works (a login succeeded)."""
        self._failed_in_a_row = 0

    def lost(self) -> bool:
        """The current address went away or failed: move to the next one. True when the
        next attempt should be made at once (some address is untried since the last
        success), False when every one failed and the backoff comes first."""
        if not self.several:
            return False
        self._failed_in_a_row += 1
        self._index = (self._index + 1) % len(self.urls)
        if self._failed_in_a_row < len(self.urls):
            return True
        self._failed_in_a_row = 0
        return False

    def replace(self, spec: str) -> None:
        """Use the addresses of `spec` from now on (the first one next)."""
        self.urls = split_servers(spec)
        self._index = 0
        self._failed_in_a_row = 0

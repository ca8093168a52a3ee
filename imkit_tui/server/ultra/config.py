"""The limits of ultra groups, with the service's defaults."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class UltraPolicy:
    """What an ultra group allows.

    - `max_joined`: how many ultra groups one user may be in (default 100; the next
      join or create is refused with 24412).
    - `max_channels`: how many channels a group may have besides the default one
      (default 50; 24413 past it).
    - `history_days`: how long a channel's cloud history is kept (default 7 days).
    """

    max_joined: int = 100
    max_channels: int = 50
    history_days: int = 7

    def __post_init__(self) -> None:
        if self.max_joined < 1 or self.max_channels < 0 or self.history_days < 1:
            raise ValueError("ultra group limits must be positive")

    @property
    def history_ms(self) -> int:
        """Cloud history retention of ultra channels, in milliseconds."""
        return self.history_days * DAY_MS

"""Protocol version negotiation: the client offers versions, the server picks one."""

from __future__ import annotations

from collections.abc import Iterable

#: The versions this build speaks, newest last. 2 adds PullMany (many conversations'
#: pages in one request); 3 adds ultra groups (protocol/ultra_frames.py: UltraRequest,
#: UltraSettings, UltraSync, EditMessage, DeleteBefore); everything before stays.
SUPPORTED_VERSIONS: tuple[int, ...] = (1, 2, 3)
PULL_MANY_VERSION = 2
"""The first version whose servers answer PullMany."""
ULTRA_VERSION = 3
"""The first version whose servers answer the ultra group frames."""
CURRENT_VERSION = SUPPORTED_VERSIONS[-1]


def negotiate(offered: Iterable[int], supported: Iterable[int] = SUPPORTED_VERSIONS) -> int | None:
    """Return the highest version both sides speak, or None when they share none."""
    common = set(offered) & set(supported)
    return max(common) if common else None

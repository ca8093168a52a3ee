"""Protocol version negotiation: the client offers versions, the server picks one."""

from __future__ import annotations

from collections.abc import Iterable

#: The versions this build speaks, newest last.
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
CURRENT_VERSION = SUPPORTED_VERSIONS[-1]


def negotiate(offered: Iterable[int], supported: Iterable[int] = SUPPORTED_VERSIONS) -> int | None:
    """Return the highest version both sides speak, or None when they share none."""
    common = set(offered) & set(supported)
    return max(common) if common else None

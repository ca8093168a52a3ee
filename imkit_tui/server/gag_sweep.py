"""Lifting timed group gags when their time is up (`/group/user/gag/add` with minutes).

The server runs it every `gag_sweep_seconds`, with or without the Server API, so a gag
ends on time whatever serves the API.
"""

from __future__ import annotations

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.stores import AnyStore


async def lift_ended_gags(store: AnyStore) -> int:
    """Unmute every member whose timed gag has ended; how many."""
    ended = await store.gags.ended(now_ms())
    for group_id, user in ended:
        await store.groups.set_voices(group_id, "muted", [user], False)
        await store.gags.forget(group_id, [user])
    return len(ended)

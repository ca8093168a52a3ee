"""Pulling what a conversation is missing on this device, up to a seq the server named.

A conversation new to this device starts from its latest page (older pages come from
cloud history on demand); otherwise everything after what is held is pulled forward.
When offline storage no longer reaches back that far (the forward page's `floor_seq` is
above what the device holds), the range in between comes from cloud history, newest
first; only what history lost too is given up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from imkit_tui.core.cloud_history import PULL_PAGE
from imkit_tui.core.connection import Connection
from imkit_tui.core.pulls import pull_page
from imkit_tui.core.sequencer import SeqTracker
from imkit_tui.protocol import ConvRef, MessageRecord, PullReply, PullRequest

FIRST_PAGE = 50
"""A conversation seen for the first time on this device starts with its latest page."""

StoreRecords = Callable[[ConvRef, list[MessageRecord], SeqTracker, int], Awaitable[object]]
"""Stores pulled records and moves the tracker: (conversation, records, tracker, max seq)."""


class CatchUp:
    """Pulls the messages of a conversation a device does not hold yet."""

    def __init__(self, connection: Connection, timeout: float, store: StoreRecords) -> None:
        self._connection = connection
        self._timeout = timeout
        self._store = store

    async def run(self, conv: ConvRef, tracker: SeqTracker, target_seq: int) -> None:
        """Make the store hold every message of `conv` up to `target_seq`."""
        if tracker.synced >= target_seq:
            return
        if tracker.synced == 0:
            reply = await self._pull(
                PullRequest(conv=conv, before_seq=target_seq + 1, limit=FIRST_PAGE)
            )
            records = sorted(reply.messages, key=lambda r: r.seq)
            first = records[0].seq if records else target_seq + 1
            tracker.restart_at(max(first, reply.floor_seq))
            await self._store(conv, records, tracker, target_seq)
        while tracker.synced < target_seq:
            reply = await self._pull(
                PullRequest(conv=conv, after_seq=tracker.synced, limit=PULL_PAGE)
            )
            if reply.floor_seq > tracker.synced + 1:
                # Older ones expired from offline storage: cloud history may still hold them.
                await self._from_history(conv, tracker, reply.floor_seq, target_seq)
            if not reply.messages:
                break
            await self._store(conv, reply.messages, tracker, target_seq)
            if not reply.has_more:
                break

    async def _from_history(
        self, conv: ConvRef, tracker: SeqTracker, floor_seq: int, target_seq: int
    ) -> None:
        """Fetch, newest first, what cloud history still holds between what this device
        has and `floor_seq`, where offline storage now starts."""
        before = floor_seq
        while before > tracker.synced + 1:
            page = await self._pull(PullRequest(conv=conv, before_seq=before, limit=PULL_PAGE))
            wanted = [r for r in page.messages if r.seq > tracker.synced]
            if wanted:
                await self._store(conv, wanted, tracker, target_seq)
                before = min(r.seq for r in wanted)
            if not wanted or not page.has_more:
                break
        if before > tracker.synced + 1:  # what history lost too is out of reach
            tracker.restart_at(before)

    async def _pull(self, request: PullRequest) -> PullReply:
        return await pull_page(self._connection, request, self._timeout)

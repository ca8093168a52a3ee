"""IMClient's cloud history: older pages of a conversation, from the local store where
it holds them without holes, else from the server (which keeps history for months)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.core.connection import Connection
from imkit_tui.core.engine import SeqTracker
from imkit_tui.core.models import Message
from imkit_tui.core.pulls import pull_page
from imkit_tui.protocol import ConvRef, MessageRecord, PullRequest

if TYPE_CHECKING:
    from imkit_tui.core.received_store import ReceivedBatch
    from imkit_tui.core.store import LocalStore

PULL_PAGE = 200
"""The most messages one pull asks for."""


class CloudHistory:
    """Older pages, completed from the server. Mixed into IMClient."""

    _connection: Connection
    _request_timeout: float

    if TYPE_CHECKING:  # provided by the class this is mixed into

        @property
        def store(self) -> LocalStore: ...

        async def _tracker(self, conv: ConvRef) -> SeqTracker: ...

        async def _store_records(
            self,
            conv: ConvRef,
            records: list[MessageRecord],
            tracker: SeqTracker,
            max_seq: int = 0,
        ) -> ReceivedBatch: ...

    async def load_older(self, conv: ConvRef, before_seq: int, limit: int = 50) -> list[Message]:
        """The `limit` messages before `before_seq`: from the store, completed from the
        server's cloud history when the store has holes or runs out. Oldest first."""
        local = await self.store.messages(conv, before_seq=before_seq, limit=limit)
        wanted = min(limit, before_seq - 1)
        if _contiguous_below(local, before_seq) and len(local) >= wanted:
            return local
        reply = await pull_page(
            self._connection,
            PullRequest(conv=conv, before_seq=before_seq, limit=limit),
            self._request_timeout,
        )
        if reply.messages:
            tracker = await self._tracker(conv)
            await self._store_records(conv, reply.messages, tracker)
        return await self.store.messages(conv, before_seq=before_seq, limit=limit)

    async def load_history(self, conv: ConvRef, limit: int | None = None) -> list[Message]:
        """The last `limit` messages of `conv` (all the server keeps when None), oldest
        first, fetching older pages from the server as needed."""
        page = await self.store.messages(conv, limit=limit or PULL_PAGE)
        collected = [m for m in page if m.seq is not None]
        unsent = [m for m in page if m.seq is None]
        while collected and (limit is None or len(collected) < limit):
            oldest = collected[0].seq
            assert oldest is not None
            if oldest <= 1:
                break
            want = PULL_PAGE if limit is None else min(PULL_PAGE, limit - len(collected))
            older = await self.load_older(conv, oldest, want)
            if not older:
                break
            collected = older + collected
        if limit is not None:
            collected = collected[-limit:]
        return collected + unsent


def _contiguous_below(page: list[Message], before_seq: int) -> bool:
    """True when `page` (oldest first) holds consecutive seqs ending just below `before_seq`."""
    expected = before_seq - 1
    for message in reversed(page):
        if message.seq != expected:
            return False
        expected -= 1
    return True

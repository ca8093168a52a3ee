"""Pulling what conversations are missing on this device, up to the seqs the server named.

Which pages to ask for is decided in core/engine/pages.py (a conversation new here
starts from its latest page; otherwise everything after what is held is pulled
forward); this module asks for them and stores them. When offline storage no longer
reaches back that far (the forward page's `floor_seq` is above what the device
holds), the range in between comes from cloud history, newest first; only what
history lost too is given up.

Many conversations at once (a sync page) go out as PullMany requests, a page of each
conversation in one round trip, and each request's pages are stored in one
transaction; a conversation that needs more than that page goes on one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from imkit_tui.core.cloud_history import PULL_PAGE
from imkit_tui.core.connection import Connection, RequestFailed
from imkit_tui.core.engine import SeqTracker, Wanted
from imkit_tui.core.engine.pages import (
    Pulled,
    chunks,
    first_limit,
    first_page,
    first_spec,
    forward_limit,
    sort_pages,
)
from imkit_tui.core.pulls import pull_page
from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    PullMany,
    PullPages,
    PullReply,
    PullRequest,
)

log = logging.getLogger(__name__)

__all__ = ["CatchUp", "Pulled"]

StoreMany = Callable[[Sequence[Pulled]], Awaitable[object]]
"""Stores pulled records of several conversations in one transaction and moves their
trackers."""


class CatchUp:
    """Pulls the messages of conversations a device does not hold yet."""

    def __init__(self, connection: Connection, timeout: float, store: StoreMany) -> None:
        self._connection = connection
        self._timeout = timeout
        self._store = store

    async def run(self, conv: ConvRef, tracker: SeqTracker, target_seq: int) -> None:
        """Make the store hold every message of `conv` up to `target_seq`."""
        if tracker.synced >= target_seq:
            return
        if tracker.synced == 0:
            reply = await self._pull(
                PullRequest(conv=conv, before_seq=target_seq + 1, limit=first_limit(target_seq))
            )
            await self._store([first_page(conv, tracker, target_seq, reply)])
        ahead: tuple[int, asyncio.Task[PullReply]] | None = None
        try:
            while tracker.synced < target_seq:
                reply = await self._forward(conv, tracker.synced, target_seq, ahead)
                ahead = None
                if reply.floor_seq > tracker.synced + 1:
                    # Older ones expired from offline storage: cloud history may still
                    # hold them.
                    await self._from_history(conv, tracker, reply.floor_seq, target_seq)
                if not reply.messages:
                    break
                last = max(r.seq for r in reply.messages)
                if reply.has_more and last < target_seq:
                    # Ask for the next page now: the server reads it while this one is
                    # stored.
                    limit = forward_limit(last, target_seq)
                    request = PullRequest(conv=conv, after_seq=last, limit=limit)
                    ahead = (last, asyncio.ensure_future(self._pull(request)))
                    # One turn of the loop puts the request on the wire before this page
                    # is stored (storing holds the loop), so the server reads ahead.
                    await asyncio.sleep(0)
                await self._store([Pulled(conv, reply.messages, tracker, target_seq)])
                if not reply.has_more:
                    break
        finally:
            if ahead is not None:
                await _drop(ahead[1])

    async def _forward(
        self,
        conv: ConvRef,
        after_seq: int,
        target_seq: int,
        ahead: tuple[int, asyncio.Task[PullReply]] | None,
    ) -> PullReply:
        """The page after `after_seq`: the one asked for ahead if it starts there."""
        if ahead is not None:
            if ahead[0] == after_seq:
                return await ahead[1]
            await _drop(ahead[1])  # what was stored did not end where expected (a gap)
        limit = forward_limit(after_seq, target_seq)
        return await self._pull(PullRequest(conv=conv, after_seq=after_seq, limit=limit))

    async def run_many(self, wanted: Sequence[Wanted], *, batched: bool) -> None:
        """Make the store hold every message of each conversation up to its seq: with
        `batched` (the server answers PullMany), a page of each per round trip."""
        if not batched:
            for conv, tracker, target_seq in wanted:
                await self.run(conv, tracker, target_seq)
            return
        for chunk in chunks(wanted):
            await self._run_chunk(chunk)

    async def _run_chunk(self, chunk: Sequence[Wanted]) -> None:
        """One PullMany for `chunk`, its pages stored together; the conversations that
        need more go on one at a time."""
        specs = [first_spec(conv, tracker, target_seq) for conv, tracker, target_seq in chunk]
        try:
            reply = await self._connection.request(PullMany(pulls=specs), PullPages, self._timeout)
        except RequestFailed as exc:
            if exc.code != ErrorCode.MALFORMED_FRAME:
                raise
            # A message in the answer cannot be read here: one at a time, where an
            # unreadable message becomes a placeholder (core/pulls.py).
            reply = PullPages(pages=[])
        plan = sort_pages(chunk, reply.pages)
        if plan is None:
            for conv, tracker, target_seq in chunk:
                await self.run(conv, tracker, target_seq)
            return
        if plan.pulled:
            await self._store(plan.pulled)
        for conv, tracker, target_seq in plan.then:
            await self.run(conv, tracker, target_seq)  # returns at once when all is held
        if plan.refused is not None:
            refused = plan.refused
            raise RequestFailed(ErrorFrame(code=refused.code, message=f"pull of {refused.conv}"))

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
                await self._store([Pulled(conv, wanted, tracker, target_seq)])
                before = min(r.seq for r in wanted)
            if not wanted or not page.has_more:
                break
        if before > tracker.synced + 1:  # what history lost too is out of reach
            tracker.restart_at(before)

    async def _pull(self, request: PullRequest) -> PullReply:
        return await pull_page(self._connection, request, self._timeout)


async def _drop(task: asyncio.Task[PullReply]) -> None:
    """Cancel a page asked for ahead and wait until it is gone, whatever it ended with."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task

"""Older pages of a conversation: from the local store where it holds them without
holes, else from the server (which keeps history for months). `client.history` reads
through these (core/history.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.core.models import Message
from imkit_tui.core.pulls import pull_page
from imkit_tui.protocol import ConvRef, PullRequest

if TYPE_CHECKING:
    from imkit_tui.core.context import ClientContext

PULL_PAGE = 200
"""The most messages one pull asks for."""


async def load_older(
    context: ClientContext, conv: ConvRef, before_seq: int, limit: int = 50
) -> list[Message]:
    """The `limit` messages before `before_seq`: from the store, completed from the
    server's cloud history when the store has holes or runs out. Oldest first."""
    local = await context.store.messages.page(conv, before_seq=before_seq, limit=limit)
    stored = [m for m in local if m.seq is not None]  # without failed ones of ours
    wanted = min(limit, before_seq - 1)
    if _contiguous_below(stored, before_seq) and len(stored) >= wanted:
        return local
    reply = await pull_page(
        context.connection,
        PullRequest(conv=conv, before_seq=before_seq, limit=limit),
        context.timeout,
    )
    if reply.messages:
        await context.store_records(conv, reply.messages)
    return await context.store.messages.page(conv, before_seq=before_seq, limit=limit)


async def load_history(
    context: ClientContext, conv: ConvRef, limit: int | None = None
) -> list[Message]:
    """The last `limit` messages of `conv` (all the server keeps when None), oldest
    first, fetching older pages from the server as needed."""
    page = await context.store.messages.page(conv, limit=limit or PULL_PAGE)
    # Stored messages, and failed ones of ours in their places among them.
    collected = [m for m in page if m.seq is not None or m.place_seq is not None]
    unsent = [m for m in page if m.seq is None and m.place_seq is None]
    while limit is None or len(collected) < limit:
        oldest = next((m.seq for m in collected if m.seq is not None), None)
        if oldest is None or oldest <= 1:
            break
        want = PULL_PAGE if limit is None else min(PULL_PAGE, limit - len(collected))
        older = await load_older(context, conv, oldest, want)
        collected = older + collected
        if all(m.seq is None for m in older):  # nothing stored below: the start
            break
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

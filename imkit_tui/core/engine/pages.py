"""Which pages a catch-up asks for: sizes, the first page of a conversation new here,
and how many conversations go in one PullMany.

A conversation new to this device starts from its latest page (older pages come from
cloud history on demand); otherwise everything after what is held is pulled forward,
no more than is missing (a pull costs its limit from the user's pull budget). Pure
decisions: core/catch_up.py asks the server and stores what comes back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from imkit_tui.core.engine.seqs import SeqTracker
from imkit_tui.core.engine.sync import Wanted
from imkit_tui.protocol import (
    MAX_PULLED,
    MAX_PULLS,
    ConvRef,
    MessageRecord,
    PullPage,
    PullReply,
    PullSpec,
)

FIRST_PAGE = 50
"""A conversation seen for the first time on this device starts with its latest page."""

CATCH_UP_PAGE = 500
"""Messages per forward pull when catching up (the most a pull may ask for); the next
page is asked for while one is being stored. A pull asks for no more than is missing:
it costs its limit from the user's pull budget."""


@dataclass(frozen=True, slots=True)
class Pulled:
    """Records of one conversation to store, its tracker, and the max seq the server named."""

    conv: ConvRef
    records: Sequence[MessageRecord]
    tracker: SeqTracker
    max_seq: int


def first_page(conv: ConvRef, tracker: SeqTracker, target_seq: int, reply: PullReply) -> Pulled:
    """The latest page of a conversation new here: the tracker starts at its first seq."""
    records = sorted(reply.messages, key=lambda r: r.seq)
    first = records[0].seq if records else target_seq + 1
    tracker.restart_at(max(first, reply.floor_seq))
    return Pulled(conv, records, tracker, target_seq)


def first_spec(conv: ConvRef, tracker: SeqTracker, target_seq: int) -> PullSpec:
    """The first pull of a conversation: its latest page if new here, else forward."""
    if tracker.synced == 0:
        return PullSpec(conv=conv, before_seq=target_seq + 1, limit=first_limit(target_seq))
    limit = forward_limit(tracker.synced, target_seq)
    return PullSpec(conv=conv, after_seq=tracker.synced, limit=limit)


def first_limit(target_seq: int) -> int:
    """The first page of a conversation new here: the latest FIRST_PAGE, or all of
    them when there are fewer (a pull costs its limit from the user's budget)."""
    return max(1, min(FIRST_PAGE, target_seq))


def forward_limit(after_seq: int, target_seq: int) -> int:
    """A forward page: what is missing up to `target_seq`, CATCH_UP_PAGE at most."""
    return max(1, min(CATCH_UP_PAGE, target_seq - after_seq))


def as_reply(page: PullPage) -> PullReply:
    """One page of a PullMany answer, as the answer to a single pull."""
    return PullReply(
        conv=page.conv, messages=page.messages, has_more=page.has_more, floor_seq=page.floor_seq
    )


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    """What the answer to one PullMany means, in order: store `pulled` in one
    transaction, then go on with `then` one at a time (more to pull, or the range
    offline storage lost, from cloud history first), then fail with `refused`."""

    pulled: list[Pulled]
    then: list[Wanted]
    refused: PullPage | None


def sort_pages(chunk: Sequence[Wanted], pages: Sequence[PullPage]) -> ChunkPlan | None:
    """What the pages answering `chunk` mean; None when they do not answer it page for
    page (the conversations then go one at a time). The tracker of a conversation new
    here starts at its first page's first seq."""
    if len(pages) != len(chunk):
        return None
    pulled: list[Pulled] = []
    later: list[Wanted] = []  # may need more once this page is stored
    history: list[Wanted] = []
    refused: PullPage | None = None
    for (conv, tracker, target_seq), page in zip(chunk, pages, strict=True):
        if page.code:
            refused = refused or page
        elif tracker.synced == 0:
            pulled.append(first_page(conv, tracker, target_seq, as_reply(page)))
            later.append((conv, tracker, target_seq))
        elif page.floor_seq > tracker.synced + 1:
            history.append((conv, tracker, target_seq))  # from cloud history first
        elif page.messages:
            pulled.append(Pulled(conv, page.messages, tracker, target_seq))
            if page.has_more:
                later.append((conv, tracker, target_seq))
    return ChunkPlan(pulled, [*later, *history], refused)


def chunks(wanted: Sequence[Wanted]) -> Iterator[list[Wanted]]:
    """`wanted` in runs of at most MAX_PULLS conversations and MAX_PULLED messages."""
    chunk: list[Wanted] = []
    asked = 0
    for item in wanted:
        limit = first_spec(*item).limit
        if chunk and (len(chunk) >= MAX_PULLS or asked + limit > MAX_PULLED):
            yield chunk
            chunk, asked = [], 0
        chunk.append(item)
        asked += limit
    if chunk:
        yield chunk

"""What a burst of pushes (or an own message's ack) needs: stored, skipped, or a pull first.

Pushes are hints: they may come out of order, twice, or not at all. For each pushed
record the router decides, from the conversation's tracker and what the burst already
queued, whether the record is news that follows what is held (queue it to be stored with
the others), something held already (skip it), a status message (publish it, store
nothing), or the first record past a gap (store what is queued, pull the gap, then look
at the record again). The caller does the storing and the pulling; nothing here waits.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from imkit_tui.core.engine.seqs import SeqTracker
from imkit_tui.protocol import ConvRef, MessageRecord


class Route(enum.Enum):
    """What to do with one pushed record."""

    STATUS = "status"
    """A status message (seq 0): publish it, store nothing."""
    SKIP = "skip"
    """Held already, or queued already in this burst."""
    QUEUE = "queue"
    """News: queued to be stored with the rest of the burst."""
    PULL_FIRST = "pull-first"
    """Past a gap: store what is queued, pull up to the seq before it, then
    :meth:`PushRouter.after_pull`."""


class PushRouter:
    """Routes the records of one burst of pushes, in arrival order.

    `trackers` must hold the tracker of every conversation the burst names (the caller
    loads them from the store first, in one read). Checking a record costs constant time
    however long the burst or the history.
    """

    def __init__(self, trackers: Mapping[ConvRef, SeqTracker]) -> None:
        self._trackers = trackers
        self._queued: dict[ConvRef, list[MessageRecord]] = {}
        self._queued_seqs: dict[ConvRef, set[int]] = {}
        self._queued_top: dict[ConvRef, int] = {}

    def route(self, record: MessageRecord) -> Route:
        """Where `record` goes; QUEUE means it is now in :meth:`take`'s next batch."""
        if record.seq == 0:
            return Route.STATUS
        conv = record.conv
        tracker = self._trackers[conv]
        if tracker.has(record.seq) or record.seq in self._queued_seqs.get(conv, ()):
            return Route.SKIP
        if record.seq > max(tracker.synced, self._queued_top.get(conv, 0)) + 1:
            return Route.PULL_FIRST
        self._queue(record)
        return Route.QUEUE

    def after_pull(self, record: MessageRecord) -> Route:
        """Where `record` goes once the gap before it was pulled: never a second pull
        (what the server no longer holds stays out of reach)."""
        if self._trackers[record.conv].has(record.seq):
            return Route.SKIP
        self._queue(record)
        return Route.QUEUE

    def take(self) -> dict[ConvRef, list[MessageRecord]]:
        """The records queued so far, per conversation, to store in one transaction."""
        batch = self._queued
        self._queued, self._queued_seqs, self._queued_top = {}, {}, {}
        return batch

    def _queue(self, record: MessageRecord) -> None:
        conv = record.conv
        self._queued.setdefault(conv, []).append(record)
        self._queued_seqs.setdefault(conv, set()).add(record.seq)
        self._queued_top[conv] = max(self._queued_top.get(conv, 0), record.seq)


def gap_after_ack(tracker: SeqTracker, seq: int) -> int | None:
    """An own message (or recall) got `seq`: note it, and return the seq to pull up
    to when that leaves a gap below it (others' messages not pushed here yet), else None.

    Without a gap the new coverage is written with the next message stored; if the
    process ends first, the next sync pulls a few messages again that are held already.
    """
    if tracker.has(seq):
        return None
    tracker.add([seq])
    return seq if tracker.gap() is not None else None

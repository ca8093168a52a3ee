"""What comes in from the server, applied in order: the post-connect sync, pushes, acks.

One task applies everything, one item at a time, so the seq bookkeeping never races.
Work is batched where the order allows it: a burst of pushes waiting in the queue is
stored in one transaction, and a sync page's conversations are loaded, pulled (many in
one request, core/catch_up.py) and stored together, so the cost of a sync follows the
number of round trips and transactions it needs, not the number of conversations or
messages one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imkit_tui.core.catch_up import CatchUp, Pulled
from imkit_tui.core.connection import Connection, NotConnected, RequestFailed
from imkit_tui.core.events import (
    ConversationUpdated,
    EventBus,
    HistoryCleared,
    MessagesDeleted,
    MessagesReceived,
    MessageUpdated,
    StatusReceived,
)
from imkit_tui.core.models import Conversation
from imkit_tui.core.received_store import Coverage, Received, ReceivedBatch
from imkit_tui.core.sequencer import SeqTracker
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import (
    PULL_MANY_VERSION,
    ConversationState,
    ConversationUpdate,
    ConvRef,
    MessageRecord,
    Push,
    SyncReply,
    SyncRequest,
)

log = logging.getLogger(__name__)

CURSOR_KEY = "sync_cursor"
"""Meta key of the change cursor: the server's `since` for the next sync."""


@dataclass(frozen=True, slots=True)
class SyncAll:
    """Sync everything that changed since the cursor (queued on each login)."""


@dataclass(frozen=True, slots=True)
class Acked:
    """An own message (or recall) got `seq` in `conv`."""

    conv: ConvRef
    seq: int


Work = SyncAll | Acked | Push | ConversationUpdate


@dataclass(frozen=True, slots=True)
class InboundHooks:
    """What the inbound side tells the rest of the client."""

    synced: asyncio.Event
    """Set once the post-connect sync is done (cleared by the client when offline)."""
    on_synced: Callable[[int], None]
    """The sync finished while connected, with how many conversations changed."""
    on_receipts_asked: Callable[[], None]
    """Messages now ask for read receipts: some may have been read here already."""


class Inbound:
    """The queue of inbound work and the one task that applies it (:meth:`run`)."""

    def __init__(
        self,
        *,
        store: Callable[[], LocalStore],
        connection: Connection,
        events: EventBus,
        timeout: float,
        hooks: InboundHooks,
    ) -> None:
        """Wire the inbound side to the client's store, connection and events."""
        self._store = store
        self._connection = connection
        self._events = events
        self._timeout = timeout
        self._hooks = hooks
        self.work: asyncio.Queue[Work] = asyncio.Queue()
        self._trackers: dict[ConvRef, SeqTracker] = {}
        self._held_back: Work | None = None
        self._catching_up = CatchUp(connection, timeout, self.store_many)

    async def run(self) -> None:
        """Apply sync, pushes and acks one at a time until cancelled."""
        while True:
            item, self._held_back = self._held_back or await self.work.get(), None
            try:
                if isinstance(item, SyncAll):
                    await self._sync_all()
                elif isinstance(item, Push):
                    await self._apply_pushes(self._burst(item))
                elif isinstance(item, ConversationUpdate):
                    await self.apply_state_update(item)
                else:
                    await self._apply_ack(item)
            except (NotConnected, TimeoutError) as exc:
                log.debug("inbound work interrupted: %r", exc)
            except RequestFailed as exc:
                log.warning("server refused a sync request: %s", exc)
            except Exception:
                log.exception("inbound work failed")

    def _burst(self, first: Push) -> list[MessageRecord]:
        """`first` and the pushes queued right behind it (stored together); the first
        other item after them is held back, to be applied next."""
        records = [first.message]
        while not self.work.empty():
            nxt = self.work.get_nowait()
            if not isinstance(nxt, Push):
                self._held_back = nxt
                break
            records.append(nxt.message)
        return records

    # ------------------------------------------------------------------ sync

    async def _sync_all(self) -> None:
        store = self._store()
        cursor = int(await store.meta.get(CURSOR_KEY, "0") or 0)
        changed = 0
        while True:
            reply = await self._connection.request(
                SyncRequest(since=cursor), SyncReply, self._timeout
            )
            await self._catch_up_many(reply.conversations)
            # After the messages: a read mark never lands before what it covers.
            await self._apply_states(reply.conversations)
            changed += len(reply.conversations)
            cursor = reply.cursor
            # Written after the pulls above, so the cursor never runs ahead of the store.
            await store.meta.set(CURSOR_KEY, str(cursor))
            if not reply.has_more:
                break
        if self._connection.is_open:
            self._hooks.on_synced(changed)

    async def _catch_up_many(self, states: Sequence[ConversationState]) -> None:
        """Make the store hold every message of these conversations up to their max seq."""
        await self._load_trackers([s.conv for s in states])
        wanted = [
            (s.conv, self._trackers[s.conv], s.max_seq)
            for s in states
            if self._trackers[s.conv].synced < s.max_seq
        ]
        await self._catching_up.run_many(wanted, batched=self._pulls_many())

    def _pulls_many(self) -> bool:
        """True when the server answers PullMany (it negotiated version 2 or later)."""
        welcome = self._connection.welcome
        return welcome is not None and welcome.version >= PULL_MANY_VERSION

    async def _apply_states(self, states: Sequence[ConversationState]) -> None:
        """Merge these conversations' states; those with history to clear or delete one
        at a time, the others in one transaction."""
        plain = [s for s in states if not s.cleared_seq and not s.deleted_seqs]
        for state in states:
            if state.cleared_seq or state.deleted_seqs:
                await self.apply_state_update(ConversationUpdate(state=state))
        for row in await self._store().state.apply_states(plain):
            self._events.publish(ConversationUpdated(row))

    async def apply_state_update(self, update: ConversationUpdate) -> Conversation:
        """Merge a conversation's state: read positions, settings, history this user
        cleared or deleted on another device; publish what changed."""
        store = self._store()
        state = update.state
        if state.cleared_seq:
            _, removed = await store.history.clear(state.conv, state.cleared_seq)
            if removed:
                self._events.publish(HistoryCleared(state.conv, state.cleared_seq))
        if state.deleted_seqs:
            gone = await store.history.delete_seqs(state.conv, state.deleted_seqs)
            if gone:
                self._events.publish(MessagesDeleted(state.conv, tuple(m.id for m in gone)))
        row = await store.state.apply_state(state)
        self._events.publish(ConversationUpdated(row))
        return row

    # ------------------------------------------------------------------ pushes and acks

    async def _apply_pushes(self, records: list[MessageRecord]) -> None:
        """Store pushed records in order; those that follow what is held are stored
        together, a gap is pulled first."""
        batch: dict[ConvRef, list[MessageRecord]] = {}
        # Per conversation, the seqs queued in `batch` and the highest of them, so each
        # record is checked in constant time however long the burst.
        queued_seqs: dict[ConvRef, set[int]] = {}
        queued_top: dict[ConvRef, int] = {}
        for record in records:
            if record.seq == 0:
                self._events.publish(StatusReceived(record))
                continue
            conv = record.conv
            tracker = await self.tracker(conv)
            seqs = queued_seqs.get(conv, set())
            if tracker.has(record.seq) or record.seq in seqs:
                continue
            if record.seq > max(tracker.synced, queued_top.get(conv, 0)) + 1:
                await self._flush(batch)
                queued_seqs.clear()
                queued_top.clear()
                seqs = set()
                await self.catch_up(conv, record.seq - 1)
                if tracker.has(record.seq):
                    continue
            batch.setdefault(conv, []).append(record)
            queued_seqs.setdefault(conv, seqs).add(record.seq)
            queued_top[conv] = max(queued_top.get(conv, 0), record.seq)
        await self._flush(batch)

    async def _flush(self, batch: dict[ConvRef, list[MessageRecord]]) -> None:
        if batch:
            items = [
                Pulled(conv, records, self._trackers[conv], 0) for conv, records in batch.items()
            ]
            batch.clear()
            await self.store_many(items)

    async def _apply_ack(self, acked: Acked) -> None:
        tracker = await self.tracker(acked.conv)
        if tracker.has(acked.seq):
            return
        tracker.add([acked.seq])
        if tracker.gap() is not None:
            await self.catch_up(acked.conv, acked.seq)
        # Otherwise the new coverage is written with the next message stored here; if the
        # process ends first, the next sync re-pulls a few messages already held.

    # ------------------------------------------------------------------ trackers and storing

    async def tracker(self, conv: ConvRef) -> SeqTracker:
        """The seq tracker of `conv`, loaded from the store the first time."""
        tracker = self._trackers.get(conv)
        if tracker is None:
            await self._load_trackers([conv])
            tracker = self._trackers[conv]
        return tracker

    async def _load_trackers(self, convs: Sequence[ConvRef]) -> None:
        """Load the trackers of these conversations not loaded yet, in one read."""
        missing = [c for c in dict.fromkeys(convs) if c not in self._trackers]
        if not missing:
            return
        for conv, (coverage, found) in (await self._store().messages.coverages(missing)).items():
            self._trackers[conv] = SeqTracker(coverage.synced_seq, coverage.floor_seq)
            # What another process of this user stored since this one opened the store
            # is held, but news here.
            if found:
                self._events.publish(MessagesReceived(conv, tuple(found)))

    async def catch_up(self, conv: ConvRef, target_seq: int) -> None:
        """Make the store hold every message of `conv` up to `target_seq`."""
        await self._catching_up.run(conv, await self.tracker(conv), target_seq)

    async def store_records(
        self, conv: ConvRef, records: list[MessageRecord], tracker: SeqTracker, max_seq: int = 0
    ) -> ReceivedBatch:
        """Store records of one conversation, move its tracker and publish what is new."""
        (batch,) = await self.store_many([Pulled(conv, records, tracker, max_seq)])
        return batch

    async def store_many(self, items: Sequence[Pulled]) -> list[ReceivedBatch]:
        """Store records of several conversations in one transaction, move their
        trackers and publish what is new, per conversation."""
        received: list[Received] = []
        held: list[set[int]] = []
        for item in items:
            # Held here already (a pulled page may repeat seqs above a gap): not news.
            held.append({r.seq for r in item.records if item.tracker.has(r.seq)})
            item.tracker.add(r.seq for r in item.records)
            coverage = Coverage(
                synced_seq=item.tracker.synced,
                floor_seq=item.tracker.floor,
                max_seq=max(item.max_seq, item.tracker.highest),
            )
            received.append(Received(item.conv, item.records, coverage))
        batches = await self._store().messages.add_received_many(received)
        for item, seen, batch in zip(items, held, batches, strict=True):
            present = [m for m in batch.present if m.seq not in seen]
            if batch.added or present:
                new_here = [*batch.added, *present]
                ordered = tuple(sorted(new_here, key=lambda m: m.seq or 0))
                self._events.publish(MessagesReceived(item.conv, ordered))
            for message in [*batch.confirmed, *batch.recalled, *batch.receipts_asked]:
                self._events.publish(MessageUpdated(message))
            if batch.receipts_asked:
                self._hooks.on_receipts_asked()
        return batches

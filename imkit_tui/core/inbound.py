"""The asyncio side of what comes in from the server: the post-connect sync, pushes, acks.

The decisions are the engine's (core/engine/): which pages the sync asks for and when
its cursor may be written (`SyncRound`), what a burst of pushes needs (`PushRouter`),
whether an ack leaves a gap (`gap_after_ack`), the queue pushes wait in behind the sync
(`WorkQueue`). This module runs them: one task applies the work, one item at a time, so
the seq bookkeeping never races; it reads and writes the store and asks the server.
Work is batched where the order allows it: a burst of pushes is stored in one
transaction, and a sync page's conversations are loaded, pulled (many in one request,
core/catch_up.py) and stored together, so the cost of a sync follows the number of
round trips and transactions it needs, not the number of conversations or messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from imkit_tui.core.catch_up import CatchUp, Pulled
from imkit_tui.core.connection import Connection, NotConnected, RequestFailed
from imkit_tui.core.engine import (
    CURSOR_KEY,
    Acked,
    Pushes,
    PushRouter,
    Route,
    SeqTracker,
    SyncAll,
    SyncRound,
    UltraFrame,
    UltraStates,
    Wanted,
    Work,
    WorkQueue,
    gap_after_ack,
)
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
from imkit_tui.core.store import LocalStore
from imkit_tui.core.ultra_inbound import UltraInbound
from imkit_tui.core.ultra_rows import is_ultra_row
from imkit_tui.protocol import (
    PULL_MANY_VERSION,
    ConversationState,
    ConversationUpdate,
    ConvRef,
    MessageRecord,
    SyncReply,
)

log = logging.getLogger(__name__)

__all__ = ["CURSOR_KEY", "Acked", "Inbound", "InboundHooks", "SyncAll", "Work"]


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
        self._work = WorkQueue()
        self._queued = asyncio.Event()
        self._trackers: dict[ConvRef, SeqTracker] = {}
        self._catching_up = CatchUp(connection, timeout, self.store_many)
        self._ultra = UltraInbound(
            store=store,
            events=events,
            trackers=self._trackers_of,
            forget=self.forget_trackers,
            pull=self._pull_many,
        )

    def put(self, item: Work) -> None:
        """Queue inbound work: applied after everything queued before it."""
        self._work.put(item)
        self._queued.set()

    async def run(self) -> None:
        """Apply sync, pushes and acks one at a time until cancelled."""
        while True:
            item = self._work.take()
            if item is None:
                self._queued.clear()
                await self._queued.wait()
                continue
            try:
                if isinstance(item, SyncAll):
                    await self._sync_all()
                elif isinstance(item, Pushes):
                    await self._apply_pushes(item.records)
                elif isinstance(item, ConversationUpdate):
                    await self.apply_state_update(item)
                elif isinstance(item, UltraStates):
                    await self._ultra.states(item)
                elif isinstance(item, UltraFrame):
                    await self._ultra.frame(item)
                else:
                    await self._apply_ack(item)
            except (NotConnected, TimeoutError) as exc:
                log.debug("inbound work interrupted: %r", exc)
            except RequestFailed as exc:
                log.warning("server refused a sync request: %s", exc)
            except Exception:
                log.exception("inbound work failed")

    # ------------------------------------------------------------------ sync

    async def _sync_all(self) -> None:
        store = self._store()
        sync = SyncRound(int(await store.meta.get(CURSOR_KEY, "0") or 0))
        while not sync.done:
            reply = await self._connection.request(sync.request(), SyncReply, self._timeout)
            await self._load_trackers([s.conv for s in reply.conversations])
            page = sync.page(reply, self._trackers)
            await self._catching_up.run_many(page.wanted, batched=self._pulls_many())
            # After the messages: a read mark never lands before what it covers.
            for state in page.with_history:
                await self.apply_state_update(ConversationUpdate(state=state))
            await self._apply_states(page.plain)
            # Written after the pulls above, so the cursor never runs ahead of the store.
            await store.meta.set(CURSOR_KEY, str(sync.committed()))
        if self._connection.is_open:
            self._hooks.on_synced(sync.changed)

    def _pulls_many(self) -> bool:
        """True when the server answers PullMany (it negotiated version 2 or later)."""
        welcome = self._connection.welcome
        return welcome is not None and welcome.version >= PULL_MANY_VERSION

    async def _apply_states(self, plain: Sequence[ConversationState]) -> None:
        """Merge these conversations' states (none clears history) in one transaction."""
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
        together, a gap is pulled first (the engine's PushRouter decides)."""
        missing = [r.conv for r in records if r.seq and r.conv not in self._trackers]
        if missing:
            await self._load_trackers(missing)
        router = PushRouter(self._trackers)
        for record in records:
            route = router.route(record)
            if route is Route.STATUS:
                self._events.publish(StatusReceived(record))
            elif route is Route.PULL_FIRST:
                await self._flush(router.take())
                await self.catch_up(record.conv, record.seq - 1)
                router.after_pull(record)
        await self._flush(router.take())

    async def _flush(self, batch: dict[ConvRef, list[MessageRecord]]) -> None:
        if batch:
            await self.store_many(
                [Pulled(conv, records, self._trackers[conv], 0) for conv, records in batch.items()]
            )

    async def _apply_ack(self, acked: Acked) -> None:
        """An own message's ack: its new state to the UI, then any gap it shows pulled."""
        if acked.message is not None:
            self._events.publish(MessageUpdated(acked.message))
        target = gap_after_ack(await self.tracker(acked.conv), acked.seq)
        if target is not None:
            await self.catch_up(acked.conv, target)

    # ------------------------------------------------------------------ trackers and storing

    async def tracker(self, conv: ConvRef) -> SeqTracker:
        """The seq tracker of `conv`, loaded from the store the first time."""
        tracker = self._trackers.get(conv)
        if tracker is None:
            await self._load_trackers([conv])
            tracker = self._trackers[conv]
        return tracker

    async def _trackers_of(self, convs: Sequence[ConvRef]) -> dict[ConvRef, SeqTracker]:
        """The trackers of these conversations, loaded in one read where need be."""
        await self._load_trackers(convs)
        return {conv: self._trackers[conv] for conv in convs}

    async def _pull_many(self, wanted: Sequence[Wanted]) -> None:
        await self._catching_up.run_many(wanted, batched=self._pulls_many())

    def forget_trackers(self, convs: Iterable[ConvRef]) -> None:
        """Load these conversations' trackers from the store again next time (their rows
        were dropped or cleared); an ultra group's list row stands for all its channels."""
        for conv in convs:
            if is_ultra_row(conv):
                for held in [c for c in self._trackers if c.type == conv.type]:
                    if held.target == conv.target:
                        del self._trackers[held]
            else:
                self._trackers.pop(conv, None)

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
            for message in [
                *batch.confirmed,
                *batch.recalled,
                *batch.receipts_asked,
                *batch.edited,
            ]:
                self._events.publish(MessageUpdated(message))
            if batch.receipts_asked:
                self._hooks.on_receipts_asked()
        return batches

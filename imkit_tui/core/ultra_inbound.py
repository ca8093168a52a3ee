"""Applying ultra group work in the inbound task (core/inbound.py), in arrival order
with the pushes: the server's states (pull the channels this device lacks, then merge
the read-diffusion counts), a group as it now is, and messages deleted by time.

Run by the one inbound task, so the channels' seq trackers never race with pushes; a
channel whose rows this work drops or clears has its tracker loaded again from the
store next time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from imkit_tui.core.connection import RequestFailed
from imkit_tui.core.engine import (
    SeqTracker,
    UltraFrame,
    UltraStates,
    Wanted,
    channel_convs,
    channels_to_pull,
)
from imkit_tui.core.events import (
    ConversationUpdated,
    EventBus,
    HistoryCleared,
    UltraChanged,
)
from imkit_tui.core.store import LocalStore
from imkit_tui.core.ultra_rows import ultra_row
from imkit_tui.protocol import ConvRef, UltraDeleted, UltraInfo
from imkit_tui.protocol.clock import now_ms

log = logging.getLogger(__name__)


class UltraInbound:
    """Applies ultra group work for the inbound task."""

    def __init__(
        self,
        *,
        store: Callable[[], LocalStore],
        events: EventBus,
        trackers: Callable[[Sequence[ConvRef]], Awaitable[Mapping[ConvRef, SeqTracker]]],
        forget: Callable[[Iterable[ConvRef]], None],
        pull: Callable[[Sequence[Wanted]], Awaitable[None]],
    ) -> None:
        """`trackers` loads the trackers of channels, `forget` drops trackers whose rows
        changed under them, `pull` catches channels up (many per round trip)."""
        self._store = store
        self._events = events
        self._trackers = trackers
        self._forget = forget
        self._pull = pull

    async def states(self, work: UltraStates) -> None:
        """Pull what the channels lack, then merge the states and publish the changes."""
        try:
            states = list(work.states)
            trackers = await self._trackers(list(channel_convs(states)))
            try:
                await self._pull(channels_to_pull(states, trackers))
            except RequestFailed as refused:  # a channel gone meanwhile: counts still go in
                log.info("an ultra group pull was refused: %s", refused)
            store = self._store()
            gone = await store.ultra.apply_states(
                states, every_group=work.every_group, answers_read=work.answers_read
            )
            self._forget(gone)
            for row in gone:
                self._events.publish(UltraChanged(row.target))
            for state in states:
                await self._changed(state.group)
        finally:
            if work.done is not None:
                work.done()

    async def frame(self, work: UltraFrame) -> None:
        """Apply a group as it now is, or a deletion by time."""
        try:
            if isinstance(work.frame, UltraInfo):
                await self.info(work.frame)
            else:
                await self.deleted(work.frame)
        finally:
            if work.done is not None:
                work.done()

    async def info(self, info: UltraInfo) -> None:
        """Keep a group as it now is (its channels, its name); forget one left or gone."""
        gone = await self._store().ultra.save_info(info, now_ms())
        self._forget(gone)
        await self._changed(info.group)

    async def deleted(self, deleted: UltraDeleted) -> None:
        """Drop what was sent before `deleted.before` in its channel (or every channel)."""
        store = self._store()
        cleared = await store.ultra.seqs_before(deleted.group, deleted.channel, deleted.before)
        for conv, seq in cleared:
            _, removed = await store.history.clear(conv, seq)
            if removed:
                self._events.publish(HistoryCleared(conv, seq))
        self._forget(conv for conv, _ in cleared)
        await self._changed(deleted.group)

    async def _changed(self, group_id: str) -> None:
        """Publish the group's list row and that its channels changed."""
        row = await self._store().conversations.get(ultra_row(group_id))
        if row is not None:
            self._events.publish(ConversationUpdated(row))
        self._events.publish(UltraChanged(group_id))

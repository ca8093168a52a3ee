"""Sends this device's read positions, settings and read receipts to the server,
whenever connected.

Changes are written to the store first with a pending flag (see ``state_store``); this
loop sends each pending one, merges the server's answer and publishes the new row. A
change made offline goes out after the next sync; one the server refuses for good (a
chat it does not know, a group the user left) is dropped rather than retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.connection import Connection, NotConnected, RequestFailed
from imkit_tui.core.events import ConversationUpdated, EventBus
from imkit_tui.core.store import LocalStore
from imkit_tui.core.ultra_rows import ultra_row
from imkit_tui.protocol import (
    RETRYABLE_SEND_CODES,
    ConversationType,
    ConversationUpdate,
    ConvRef,
    MarkRead,
    ReadReceipt,
    ReceiptState,
    UltraUpdate,
    UpdateConversation,
)

log = logging.getLogger(__name__)


class _Retry(Exception):
    """The server failed in a way that may pass: wait and send again."""


class StateSync:
    """The loop that sends pending read positions and settings (run it with :meth:`run`)."""

    def __init__(
        self,
        *,
        store: Callable[[], LocalStore],
        connection: Connection,
        events: EventBus,
        backoff: Backoff,
        timeout: float,
        synced: asyncio.Event,
        stopped: asyncio.Event,
    ) -> None:
        """Wire the loop to the client's store, connection and signals."""
        self._store = store
        self._connection = connection
        self._events = events
        self._backoff = backoff
        self._timeout = timeout
        self._synced = synced
        self._stopped = stopped
        self.wakeup = asyncio.Event()
        """Set it when a read position or a setting changed here."""

    async def run(self) -> None:
        """Send pending changes until the client stops."""
        attempt = 0
        while not self._stopped.is_set():
            await self._synced.wait()
            self.wakeup.clear()
            try:
                sent = await self._send_pending()
            except (NotConnected, TimeoutError, _Retry):
                await self._pause(attempt := attempt + 1)
                continue
            attempt = 0
            if not sent:
                await self.wakeup.wait()

    async def _send_pending(self) -> bool:
        """Send every pending change once; False when there was none."""
        store = self._store()
        reads = await store.state.pending_reads()
        settings = await store.state.pending_settings()
        for conv, seq in reads:
            if conv.type == ConversationType.ULTRA_GROUP:
                await self._ultra_read(conv, seq)
                continue
            answer = await self._request(MarkRead(conv=conv, seq=seq))
            if answer is None:
                await store.state.drop_pending(conv)
                continue
            row = await store.state.apply_state(answer.state, answers_read=True)
            self._events.publish(ConversationUpdated(row))
        receipts = await store.receipts.pending()
        for conv, uids in receipts:
            try:
                await self._connection.request(
                    ReadReceipt(conv=conv, uids=uids), ReceiptState, self._timeout
                )
            except RequestFailed as failure:
                if failure.code in RETRYABLE_SEND_CODES:
                    raise _Retry from None
                log.info("server refused read receipts in %s: %s", conv, failure)
            await store.receipts.answered(uids)
        for pending in settings:
            frame = UpdateConversation(
                conv=pending.conv,
                muted=pending.muted,
                pinned=pending.pinned,
                marked_unread=pending.marked_unread,
            )
            answer = await self._request(frame)
            if answer is None:
                await store.state.drop_pending(pending.conv)
                continue
            row = await store.state.apply_state(answer.state, answers_settings=True)
            self._events.publish(ConversationUpdated(row))
        return bool(reads or settings or receipts)

    async def _ultra_read(self, conv: ConvRef, seq: int) -> None:
        """A read position in an ultra group's channel: the server answers with the
        group's changed channels (UltraUpdate), merged as any ultra state."""
        store = self._store()
        try:
            update = await self._connection.request(
                MarkRead(conv=conv, seq=seq), UltraUpdate, self._timeout
            )
        except RequestFailed as failure:
            if failure.code in RETRYABLE_SEND_CODES:
                raise _Retry from None
            log.info("server refused a read position in %s: %s", conv, failure)
            await store.state.drop_pending(conv)
            return
        await store.ultra.apply_states([update.state], answers_read=conv)
        await store.state.drop_pending(conv)
        for ref in (conv, ultra_row(conv.target)):
            row = await store.conversations.get(ref)
            if row is not None:
                self._events.publish(ConversationUpdated(row))

    async def _request(self, frame: MarkRead | UpdateConversation) -> ConversationUpdate | None:
        """The server's answer, or None when it refused the change for good."""
        try:
            return await self._connection.request(frame, ConversationUpdate, self._timeout)
        except RequestFailed as failure:
            if failure.code in RETRYABLE_SEND_CODES:
                raise _Retry from None
            log.info("server refused a state change of %s: %s", frame.conv, failure)
            return None

    async def _pause(self, attempt: int) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._backoff.delay(attempt)):
                await self._stopped.wait()

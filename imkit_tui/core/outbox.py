"""The outbox: sends queued messages one at a time, in order, uploading their files first.

A message is in the outbox (status SENDING) from the moment it is queued, claimed by
the process that queued it (core/outbox_claims.py: several processes of one user may
share the store). For a message
with a file still to upload (``localPath`` set, URL field empty) the upload comes first;
its URL is written into the stored content before the message is sent, so a process
killed mid-way resumes the upload and never sends a message without its file. Every
attempt reuses the message's client id: the server answers a repeat with the original.

A message this process just queued is sent straight away, without another look at the
store (its claim was taken in the transaction that queued it): on a message's path the
outbox costs one write, not three. The store is looked at after a connect, a failure,
a requeue, and every few seconds while idle (rows of an earlier run or of another
process, leases to renew).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.connection import Connection, NotConnected, RequestFailed
from imkit_tui.core.events import EventBus, MessageUpdated, TransferProgress
from imkit_tui.core.message_files import LOCAL_PATH, URL_FIELDS, wire_content
from imkit_tui.core.models import Message
from imkit_tui.core.outbox_claims import LEASE_MS
from imkit_tui.core.store import LocalStore
from imkit_tui.core.transfer import TransferError, Transfers
from imkit_tui.protocol import RETRYABLE_SEND_CODES, ConvRef, ErrorCode, SendAck, SendMessage
from imkit_tui.protocol.clock import now_ms

IDLE_LOOK = 5.0
"""Seconds between looks at the store's outbox while nothing is queued here."""


class _Retry(Exception):
    """The attempt failed in a way that may pass: wait and try again."""


def progress_reporter(
    events: EventBus, message_id: int, *, upload: bool
) -> Callable[[int, int], None]:
    """A callback publishing TransferProgress when the whole percentage changes."""
    last = -1

    def report(done: int, total: int) -> None:
        nonlocal last
        percent = 100 if total <= 0 else done * 100 // total
        if percent != last:
            last = percent
            events.publish(TransferProgress(message_id, done, total, upload))

    return report


class Outbox:
    """The sending loop of one client (run it as a task with :meth:`run`)."""

    def __init__(
        self,
        *,
        store: Callable[[], LocalStore],
        connection: Connection,
        transfers: Transfers,
        events: EventBus,
        backoff: Backoff,
        timeout: float,
        synced: asyncio.Event,
        stopped: asyncio.Event,
        on_acked: Callable[[ConvRef, int], None],
    ) -> None:
        """Wire the loop to the client's store, connection and signals."""
        self._store = store
        self._connection = connection
        self._transfers = transfers
        self._events = events
        self._backoff = backoff
        self._timeout = timeout
        self._synced = synced
        self._stopped = stopped
        self._on_acked = on_acked
        self.wakeup = asyncio.Event()
        """Set it when the outbox should look at the store again (requeued, synced)."""
        self._queued_here: dict[int, Message] = {}
        self._look = True

    def queued(self, message: Message) -> None:
        """This process just queued `message` (claimed in the job that stored it): it is
        sent next without another look at the store, unless it has a file to upload."""
        if LOCAL_PATH in message.content:
            self.look_again()
            return
        self._queued_here[message.id] = message
        self.wakeup.set()

    def look_again(self) -> None:
        """Look at the store's outbox at the next turn (rows of an earlier run or of
        another process, a requeued row, the leases to renew)."""
        self._look = True
        self.wakeup.set()

    async def run(self) -> None:
        """Send queued messages until the client stops."""
        attempt = 0
        while not self._stopped.is_set():
            await self._synced.wait()
            self.wakeup.clear()
            claimed = None
            if self._look:
                # The store's outbox first, oldest first (rows of an earlier run come
                # before the ones queued since); what was queued here is among them.
                self._look = False
                claimed = await self._store().claims.next(now_ms())
                if claimed is not None:
                    self._queued_here.pop(claimed.id, None)
                    self._look = True  # more may wait behind it
            if claimed is None:
                claimed = self._next_queued_here()
            if claimed is None:
                # Rows another process of this user holds come free when it closes or
                # dies, and this process's leases need renewing: look again now and then.
                try:
                    async with asyncio.timeout(IDLE_LOOK):
                        await self.wakeup.wait()
                except TimeoutError:
                    self._look = True
                continue
            try:
                await self._send(claimed)
            except _Retry:
                # First again after the pause (its claim holds; a look finds it too).
                self._queued_here = {claimed.id: claimed, **self._queued_here}
                await self._pause(attempt := attempt + 1)
                self._look = True
                continue
            attempt = 0

    def _next_queued_here(self) -> Message | None:
        """The oldest message this process queued, while its claim surely holds (queued
        within half a lease); an older one is left to the look at the store."""
        while self._queued_here:
            message_id = next(iter(self._queued_here))
            message = self._queued_here.pop(message_id)
            if now_ms() - message.sent_at < LEASE_MS // 2:
                return message
            self._look = True
        return None

    async def _send(self, queued: Message) -> None:
        message = await self._upload_file(queued)
        if message is None:
            return
        frame = SendMessage(
            conv=message.conv,
            object_name=message.object_name,
            content=wire_content(message.content),
            cmid=message.cmid,
            to=list(message.to),
        )
        try:
            ack = await self._connection.request(frame, SendAck, self._timeout)
        except (NotConnected, TimeoutError):
            raise _Retry from None
        except RequestFailed as failure:
            if failure.code in RETRYABLE_SEND_CODES:
                raise _Retry from None
            await self._fail(message, failure.code)
            return
        sent = await self._store().outbox.mark_sent(
            message.id, ack.seq, ack.uid, ack.sent_at, message
        )
        self._on_acked(message.conv, ack.seq)
        if sent is not None:
            self._events.publish(MessageUpdated(sent))

    async def _upload_file(self, message: Message) -> Message | None:
        """Upload the message's file if it has one waiting; return the message with its URL.

        None when the file cannot be sent (gone, refused): the message is then failed.
        """
        field = URL_FIELDS.get(message.object_name)
        local = message.content.get(LOCAL_PATH)
        if field is None or not isinstance(local, str) or message.content.get(field):
            return message
        report = progress_reporter(self._events, message.id, upload=True)
        try:
            uploaded = await self._transfers.upload(Path(local), report)
        except (NotConnected, TimeoutError):
            raise _Retry from None
        except TransferError as failure:
            await self._fail(message, failure.code or ErrorCode.MEDIA_MISSING_LOCALLY)
            return None
        content = {**message.content, field: uploaded.url}
        updated = await self._store().outbox.update_content(message.id, content)
        return updated if updated is not None else message

    async def _fail(self, message: Message, code: int) -> None:
        failed = await self._store().outbox.mark_failed(message.id, code)
        if failed is not None:
            self._events.publish(MessageUpdated(failed))

    async def _pause(self, attempt: int) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races the awaited event, which left close() waiting forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._backoff.delay(attempt)):
                await self._stopped.wait()

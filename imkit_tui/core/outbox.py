"""The outbox's loop: sends queued messages one at a time, in order, uploading files first.

Its decisions (which message goes next, what an attempt's outcome means, the frame of
every attempt) are the engine's `OutboxMachine` (core/engine/outbox.py); this loop reads
and writes the store, uploads, sends, and pauses between failed attempts.

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
from imkit_tui.core.engine import Acked, OutboxMachine, Phase, Work
from imkit_tui.core.events import EventBus, MessageUpdated, TransferProgress
from imkit_tui.core.message_files import LOCAL_PATH, URL_FIELDS
from imkit_tui.core.models import Message
from imkit_tui.core.store import LocalStore
from imkit_tui.core.transfer import TransferError, Transfers
from imkit_tui.protocol import ErrorCode, SendAck
from imkit_tui.protocol.clock import now_ms

IDLE_LOOK = 5.0
"""Seconds between looks at the store's outbox while nothing is queued here."""


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
        inbound: Callable[[Work], None],
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
        self._inbound = inbound
        self.wakeup = asyncio.Event()
        """Set it when the outbox should look at the store again (requeued, synced)."""
        self.machine = OutboxMachine()
        """The outbox's decisions and the state of each message it handles."""

    def queued(self, message: Message) -> None:
        """This process just queued `message` (claimed in the job that stored it): it is
        sent next without another look at the store, unless it has a file to upload."""
        self.machine.queued(message)
        self.wakeup.set()

    def look_again(self) -> None:
        """Look at the store's outbox at the next turn (rows of an earlier run or of
        another process, a requeued row, the leases to renew)."""
        self.machine.look_again()
        self.wakeup.set()

    async def run(self) -> None:
        """Send queued messages until the client stops."""
        machine = self.machine
        while not self._stopped.is_set():
            await self._synced.wait()
            self.wakeup.clear()
            claimed = None
            if machine.look:
                machine.look = False
                claimed = await self._store().claims.next(now_ms())
            message = machine.next(claimed, now_ms())
            if message is None:
                # Rows another process of this user holds come free when it closes or
                # dies, and this process's leases need renewing: look again now and then.
                try:
                    async with asyncio.timeout(IDLE_LOOK):
                        await self.wakeup.wait()
                except TimeoutError:
                    machine.idle()
                continue
            if await self._send(message) is Phase.RETRY:
                await self._pause(machine.attempt)

    async def _send(self, queued: Message) -> Phase:
        """One attempt: the upload if one is due, then the frame; the outcome stored."""
        try:
            message = await self._upload_file(queued)
        except (NotConnected, TimeoutError):
            return self.machine.retry(queued)
        if message is None:
            return self.machine.failed(queued)
        result: SendAck | int | None
        try:
            result = await self._connection.request(
                self.machine.frame(message), SendAck, self._timeout
            )
        except (NotConnected, TimeoutError):
            result = None
        except RequestFailed as failure:
            result = failure.code
        phase = self.machine.outcome(message, result)
        if phase is Phase.FAILED:
            assert isinstance(result, int)
            await self._fail(message, result)
        elif isinstance(result, SendAck):
            sent = await self._store().outbox.mark_sent(
                message.id, result.seq, result.uid, result.sent_at, message, result.content
            )
            # One road for the ack: the inbound work notes its seq and publishes it.
            self._inbound(Acked(message.conv, result.seq, sent))
        return phase

    async def _upload_file(self, message: Message) -> Message | None:
        """Upload the message's file if it has one waiting; return the message with its URL.

        None when the file cannot be sent (gone, refused): the message is then failed.
        Raises NotConnected or TimeoutError when the upload may pass later.
        """
        field = URL_FIELDS.get(message.object_name)
        local = message.content.get(LOCAL_PATH)
        if field is None or not isinstance(local, str) or message.content.get(field):
            return message
        report = progress_reporter(self._events, message.id, upload=True)
        try:
            uploaded = await self._transfers.upload(Path(local), report)
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

"""The outbox's state machine: which message goes next, and what an attempt's outcome means.

A message this process queues is PENDING; it is SENDING while an attempt is on the wire
(its upload first, when it has a file); the attempt ends ACKED (the server committed it),
FAILED (refused for good, or its file cannot be sent), or RETRY (the connection dropped,
no answer in time, or a refusal that may pass): then it is first again after a pause,
and every attempt is the same frame under the same client id, so the server answers a
repeat with the original and nothing is sent twice.

Which message goes next: the store's outbox when it must be looked at (after a connect,
a failure, a requeue, a row of another process, every few seconds while idle), else the
oldest message this process queued, while its claim surely holds. The caller reads and
writes the store and sends the frame; nothing here waits.
"""

from __future__ import annotations

import enum

from imkit_tui.core.message_files import LOCAL_PATH, wire_content
from imkit_tui.core.models import Message
from imkit_tui.protocol import RETRYABLE_SEND_CODES, SendAck, SendMessage

LEASE_MS = 60_000
"""How long a claim on an outbox row holds without being renewed (core/outbox_claims.py)."""


class Phase(enum.Enum):
    """Where a message of this process's outbox stands."""

    PENDING = "pending"
    SENDING = "sending"
    ACKED = "acked"
    FAILED = "failed"
    RETRY = "retry"


Outcome = SendAck | int | None
"""How an attempt ended: the server's ack, its refusal code, or None (no answer: the
connection dropped or the time ran out)."""


class OutboxMachine:
    """The decisions of one client's outbox (its loop is core/outbox.py)."""

    def __init__(self) -> None:
        self.look = True
        """Look at the store's outbox before the next send."""
        self.attempt = 0
        """Failed attempts in a row (the pause before the next one grows with it)."""
        self._queued_here: dict[int, Message] = {}
        self._phases: dict[int, Phase] = {}

    def phase(self, message_id: int) -> Phase | None:
        """Where a message this process handles stands (None once it left: acked or
        failed, or never seen here)."""
        return self._phases.get(message_id)

    def queued(self, message: Message) -> None:
        """This process just queued `message` (claimed in the job that stored it): it is
        sent next without another look at the store, unless it has a file to upload."""
        self._phases[message.id] = Phase.PENDING
        if LOCAL_PATH in message.content:
            self.look = True
            return
        self._queued_here[message.id] = message

    def look_again(self) -> None:
        """Look at the store's outbox at the next turn."""
        self.look = True

    def idle(self) -> None:
        """Nothing was sent for a while: look at the store again (rows of another
        process come free, this process's leases want renewing)."""
        self.look = True

    def next(self, claimed: Message | None, now_ms: int) -> Message | None:
        """The message to send now: `claimed` (what a look at the store gave, oldest
        first: rows of an earlier run come before the ones queued since) or else the
        oldest queued here while its claim holds; None when there is nothing."""
        if claimed is not None:
            self._queued_here.pop(claimed.id, None)
            self.look = True  # more may wait behind it
            return self._sending(claimed)
        while self._queued_here:
            message_id = next(iter(self._queued_here))
            message = self._queued_here.pop(message_id)
            if now_ms - message.sent_at < LEASE_MS // 2:
                return self._sending(message)
            self.look = True  # left to the look at the store, which renews the claim
        return None

    @staticmethod
    def frame(message: Message) -> SendMessage:
        """The frame of an attempt: the same for every attempt (same client id)."""
        return SendMessage(
            conv=message.conv,
            object_name=message.object_name,
            content=wire_content(message.content),
            cmid=message.cmid,
            to=list(message.to),
        )

    def outcome(self, message: Message, result: Outcome) -> Phase:
        """The attempt to send `message` ended with `result`: ACKED (store the ack),
        FAILED (store the refusal) or RETRY (pause for :attr:`attempt`, then again)."""
        if isinstance(result, SendAck):
            return self._left(message, Phase.ACKED)
        if result is None or result in RETRYABLE_SEND_CODES:
            return self.retry(message)
        return self._left(message, Phase.FAILED)

    def retry(self, message: Message) -> Phase:
        """The attempt may pass later: `message` is first again after the pause."""
        self._queued_here = {message.id: message, **self._queued_here}
        self._phases[message.id] = Phase.RETRY
        self.attempt += 1
        self.look = True
        return Phase.RETRY

    def failed(self, message: Message) -> Phase:
        """`message` cannot be sent (its file is gone or refused)."""
        return self._left(message, Phase.FAILED)

    def _sending(self, message: Message) -> Message:
        self._phases[message.id] = Phase.SENDING
        return message

    def _left(self, message: Message, phase: Phase) -> Phase:
        self._phases.pop(message.id, None)
        self._queued_here.pop(message.id, None)
        self.attempt = 0
        return phase

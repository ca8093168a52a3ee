"""`client.receipts`: group read receipts: ask for them on an own message, and read who has
read it ("3 read · 5 unread", and who).

Answering is automatic: when the user reads a group chat here, the messages whose
senders asked are answered by the state loop (core/state_sync.py), offline too.
"""

from __future__ import annotations

from collections.abc import Sequence

from imkit_tui import messages as catalogue
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import MessageUpdated, ReceiptsUpdated
from imkit_tui.core.models import Message
from imkit_tui.protocol import ConversationType, ConvRef, ReceiptQuery, ReceiptState
from imkit_tui.protocol.clock import now_ms

RECEIPT_WINDOW_SECONDS = 120
"""How soon after sending a group message its sender may ask for read receipts."""

Readers = tuple[tuple[str, ...], tuple[str, ...]]
"""Who read a message, and who has not yet."""


class ReceiptError(ValueError):
    """Receipts cannot be asked for this message; the message says why."""


def receipts_event(state: ReceiptState) -> ReceiptsUpdated:
    """The event for a ReceiptState from the server."""
    return ReceiptsUpdated(
        state.conv, {r.uid: (tuple(r.read), tuple(r.unread)) for r in state.receipts}
    )


def may_ask_receipts(message: Message, me: str, now: int | None = None) -> bool:
    """Whether receipts can still be asked for `message`: an own, sent group message,
    at most two minutes old, not asked for yet."""
    return (
        message.conv.type == ConversationType.GROUP
        and message.sender == me
        and message.uid is not None
        and not message.receipt_asked
        and catalogue.lookup(message.object_name).counted
        and (now or now_ms()) - message.sent_at <= RECEIPT_WINDOW_SECONDS * 1000
    )


class Receipts:
    """Ask for and read group read receipts."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def request(self, message: Message) -> Message:
        """Ask the members for read receipts on an own group message (queued like a
        message, so it goes out when connected). Raises ReceiptError when it cannot be
        asked: not a sent own group message, older than two minutes, or asked already."""
        context = self._context
        if not may_ask_receipts(message, context.user_id):
            raise ReceiptError(
                "Read receipts can be asked for your own group messages, "
                f"within {RECEIPT_WINDOW_SECONDS // 60} minutes of sending"
            )
        assert message.uid is not None
        await context.send(
            message.conv, catalogue.READ_RECEIPT_REQUEST, {"messageUId": message.uid}
        )
        updated = await context.store.receipts.note_asked(message.id)
        if updated is not None:
            context.events.publish(MessageUpdated(updated))
            return updated
        return message

    async def read(self, conv: ConvRef, uids: Sequence[str]) -> dict[str, Readers]:
        """Who has read these own messages of a group, and who has not (by server id;
        messages receipts were not asked for are left out). Needs the server."""
        if not uids:
            return {}
        context = self._context
        state = await context.connection.request(
            ReceiptQuery(conv=conv, uids=list(uids)[:500]), ReceiptState, context.timeout
        )
        return receipts_event(state).receipts

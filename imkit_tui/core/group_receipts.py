"""IMClient's group read receipts: ask for them on an own message, and read who has
read it ("3 read · 5 unread", and who).

Answering is automatic: when the user reads a group chat here, the messages whose
senders asked are answered by the state loop (core/state_sync.py), offline too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imkit_tui import messages as catalogue
from imkit_tui.core.connection import Connection
from imkit_tui.core.events import EventBus, MessageUpdated, ReceiptsUpdated
from imkit_tui.core.models import Message
from imkit_tui.protocol import ConversationType, ConvRef, ReceiptQuery, ReceiptState
from imkit_tui.protocol.clock import now_ms

if TYPE_CHECKING:
    from imkit_tui.core.store import LocalStore

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


class GroupReceipts:
    """Ask for and read group read receipts. Mixed into IMClient."""

    user_id: str
    events: EventBus
    _connection: Connection
    _request_timeout: float

    if TYPE_CHECKING:  # provided by the class this is mixed into

        @property
        def store(self) -> LocalStore: ...

        async def send(
            self,
            conv: ConvRef,
            object_name: str,
            content: dict[str, Any],
            *,
            cmid: str | None = None,
            to: Sequence[str] = (),
        ) -> Message: ...

    async def request_receipts(self, message: Message) -> Message:
        """Ask the members for read receipts on an own group message (queued like a
        message, so it goes out when connected). Raises ReceiptError when it cannot be
        asked: not a sent own group message, older than two minutes, or asked already."""
        if not may_ask_receipts(message, self.user_id):
            raise ReceiptError(
                "Read receipts can be asked for your own group messages, "
                f"within {RECEIPT_WINDOW_SECONDS // 60} minutes of sending"
            )
        assert message.uid is not None
        await self.send(message.conv, catalogue.READ_RECEIPT_REQUEST, {"messageUId": message.uid})
        updated = await self.store.note_receipts_asked(message.id)
        if updated is not None:
            self.events.publish(MessageUpdated(updated))
            return updated
        return message

    async def read_receipts(self, conv: ConvRef, uids: Sequence[str]) -> dict[str, Readers]:
        """Who has read these own messages of a group, and who has not (by server id;
        messages receipts were not asked for are left out). Needs the server."""
        if not uids:
            return {}
        state = await self._connection.request(
            ReceiptQuery(conv=conv, uids=list(uids)[:500]), ReceiptState, self._request_timeout
        )
        return receipts_event(state).receipts

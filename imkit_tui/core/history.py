"""IMClient's history changes: recall, delete, clear history, remove a conversation.

Recalling needs the server (a recall that only happened here would be a lie): it raises
NotConnected offline. Deleting and clearing act on this device at once; with
``everywhere=True`` they also ask the server, so the user's other devices and later
pulls follow, and then need a connection too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from imkit_tui import messages as catalogue
from imkit_tui.core.connection import Connection, NotConnected
from imkit_tui.core.events import EventBus, HistoryCleared, MessagesDeleted, MessageUpdated
from imkit_tui.core.models import Conversation, Message
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import (
    ClearHistory,
    ConversationUpdate,
    ConvRef,
    DeleteMessages,
    Recall,
    SendAck,
)

RECALL_WINDOW_SECONDS = 120
"""How long after sending the app offers to recall a message (the server has no limit
unless it is configured with one)."""


class MessageHistory:
    """Recall, delete, clear and remove. Mixed into IMClient."""

    events: EventBus
    user_id: str
    _connection: Connection
    _request_timeout: float

    if TYPE_CHECKING:  # provided by the class this is mixed into

        @property
        def store(self) -> LocalStore: ...

        def _note_acked(self, conv: ConvRef, seq: int) -> None: ...

        async def _apply_state_update(self, update: ConversationUpdate) -> Conversation: ...

    async def recall(self, message: Message) -> Message:
        """Recall an own sent message, on every device of every member.

        Returns the message as it now is (a recall notice). Raises ValueError for a
        message that is not an own sent one, NotConnected offline, RequestFailed when the
        server refuses (e.g. past its recall window).
        """
        if message.sender != self.user_id or message.uid is None:
            raise ValueError("only your own sent messages can be recalled")
        if message.object_name in (catalogue.RECALL_NTF, catalogue.DELETED):
            return message
        ack = await self._connection.request(
            Recall(conv=message.conv, uid=message.uid), SendAck, self._request_timeout
        )
        self._note_acked(message.conv, ack.seq)
        recalled = await self.store.recall_here(message, ack.sent_at)
        if recalled is None:
            return message
        self.events.publish(MessageUpdated(recalled))
        return recalled

    async def delete_messages(self, chosen: Sequence[Message], *, everywhere: bool = False) -> None:
        """Delete messages for this user: here, and with `everywhere` on the server too
        (the other devices and later pulls follow). Unsent ones are simply dropped."""
        if not chosen:
            return
        conv = chosen[0].conv
        if any(m.conv != conv for m in chosen):
            raise ValueError("delete messages of one conversation at a time")
        seqs = [m.seq for m in chosen if m.seq is not None]
        if everywhere and seqs:
            if not self._connection.is_open:
                raise NotConnected("deleting on the server needs a connection")
            update = await self._connection.request(
                DeleteMessages(conv=conv, seqs=seqs), ConversationUpdate, self._request_timeout
            )
            await self._apply_state_update(update)
        await self.store.delete_here(chosen)
        self.events.publish(MessagesDeleted(conv, tuple(m.id for m in chosen)))

    async def clear_history(self, conv: ConvRef, *, everywhere: bool = False) -> None:
        """Clear the history of `conv` for this user: here, and with `everywhere` on the
        server too (then nothing older comes back from cloud history)."""
        if everywhere and not self._connection.is_open:
            raise NotConnected("clearing on the server needs a connection")
        cleared, _ = await self.store.clear_here(conv)
        if everywhere:
            update = await self._connection.request(
                ClearHistory(conv=conv, seq=cleared), ConversationUpdate, self._request_timeout
            )
            await self._apply_state_update(update)
        self.events.publish(HistoryCleared(conv, cleared))

    async def remove_conversation(self, conv: ConvRef) -> None:
        """Take `conv` off the list (its history stays) until its next message."""
        await self.store.remove_here(conv)

"""`client.history`: older pages, recall, delete, clear history, remove a conversation.

Recalling needs the server (a recall that only happened here would be a lie): it raises
NotConnected offline. Deleting and clearing act on this device at once; with
``everywhere=True`` they also ask the server, so the user's other devices and later
pulls follow, and then need a connection too.
"""

from __future__ import annotations

from collections.abc import Sequence

from imkit_tui import messages as catalogue
from imkit_tui.core import cloud_history
from imkit_tui.core.connection import NotConnected
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import HistoryCleared, MessagesDeleted, MessageUpdated
from imkit_tui.core.models import Message
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


class History:
    """A user's message history: pages from the cloud, recall, delete, clear, remove."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def older(self, conv: ConvRef, before_seq: int, limit: int = 50) -> list[Message]:
        """The `limit` messages before `before_seq`: from the store, completed from the
        server's cloud history when the store has holes or runs out. Oldest first."""
        return await cloud_history.load_older(self._context, conv, before_seq, limit)

    async def load(self, conv: ConvRef, limit: int | None = None) -> list[Message]:
        """The last `limit` messages of `conv` (all the server keeps when None), oldest
        first, fetching older pages from the server as needed."""
        return await cloud_history.load_history(self._context, conv, limit)

    async def recall(self, message: Message) -> Message:
        """Recall an own sent message, on every device of every member.

        Returns the message as it now is (a recall notice). Raises ValueError for a
        message that is not an own sent one, NotConnected offline, RequestFailed when the
        server refuses (e.g. past its recall window).
        """
        context = self._context
        if message.sender != context.user_id or message.uid is None:
            raise ValueError("only your own sent messages can be recalled")
        if message.object_name in (catalogue.RECALL_NTF, catalogue.DELETED):
            return message
        ack = await context.connection.request(
            Recall(conv=message.conv, uid=message.uid), SendAck, context.timeout
        )
        context.note_acked(message.conv, ack.seq)
        recalled = await context.store.history.recall(message, ack.sent_at)
        if recalled is None:
            return message
        context.events.publish(MessageUpdated(recalled))
        return recalled

    async def delete(self, chosen: Sequence[Message], *, everywhere: bool = False) -> None:
        """Delete messages for this user: here, and with `everywhere` on the server too
        (the other devices and later pulls follow). Unsent ones are simply dropped."""
        context = self._context
        if not chosen:
            return
        conv = chosen[0].conv
        if any(m.conv != conv for m in chosen):
            raise ValueError("delete messages of one conversation at a time")
        seqs = [m.seq for m in chosen if m.seq is not None]
        if everywhere and seqs:
            if not context.connection.is_open:
                raise NotConnected("deleting on the server needs a connection")
            update = await context.connection.request(
                DeleteMessages(conv=conv, seqs=seqs), ConversationUpdate, context.timeout
            )
            await context.apply_state_update(update)
        await context.store.history.delete(chosen)
        context.events.publish(MessagesDeleted(conv, tuple(m.id for m in chosen)))

    async def clear(self, conv: ConvRef, *, everywhere: bool = False) -> None:
        """Clear the history of `conv` for this user: here, and with `everywhere` on the
        server too (then nothing older comes back from cloud history)."""
        context = self._context
        if everywhere and not context.connection.is_open:
            raise NotConnected("clearing on the server needs a connection")
        cleared, _ = await context.store.history.clear(conv)
        if everywhere:
            update = await context.connection.request(
                ClearHistory(conv=conv, seq=cleared), ConversationUpdate, context.timeout
            )
            await context.apply_state_update(update)
        context.events.publish(HistoryCleared(conv, cleared))

    async def remove_conversation(self, conv: ConvRef) -> None:
        """Take `conv` off the list (its history stays) until its next message."""
        await self._context.store.history.remove(conv)

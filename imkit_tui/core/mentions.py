"""`client.mentions`: which messages of a conversation @mention this user, unread.

Sending a mention is `IMClient.send_text(conv, text, mentioned=[…])` (or
``mention_all=True``); receiving one flags the message and counts it in
`Conversation.mentions` until it is read (core/mention_store.py).
"""

from __future__ import annotations

from imkit_tui.core.context import ClientContext
from imkit_tui.core.models import Message
from imkit_tui.protocol import ConvRef


class Mentions:
    """Reading unread mentions."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def unread(self, conv: ConvRef, limit: int = 100) -> list[Message]:
        """The unread messages of `conv` that @mention this user (by id or @all), oldest
        first; `Conversation.mentions` counts them."""
        return await self._context.store.mentions.unread(conv, limit)

    async def first_unread(self, conv: ConvRef) -> Message | None:
        """The oldest unread message of `conv` that @mentions this user: where a "jump
        to the mention" goes (its `seq` places it in the history)."""
        return await self._context.store.mentions.first_unread(conv)

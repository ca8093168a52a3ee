"""IMClient's unread @mentions: which messages of a conversation mention this user.

Sending a mention is `IMClient.send_text(conv, text, mentioned=[…])` (or
``mention_all=True``); receiving one flags the message and counts it in
`Conversation.mentions` until it is read (core/mention_store.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.core.models import Message
from imkit_tui.protocol import ConvRef

if TYPE_CHECKING:
    from imkit_tui.core.store import LocalStore


class UnreadMentions:
    """Reading unread mentions. Mixed into IMClient."""

    if TYPE_CHECKING:  # provided by the class this is mixed into

        @property
        def store(self) -> LocalStore: ...

    async def unread_mentions(self, conv: ConvRef, limit: int = 100) -> list[Message]:
        """The unread messages of `conv` that @mention this user (by id or @all), oldest
        first; `Conversation.mentions` counts them."""
        return await self.store.unread_mentions(conv, limit)

    async def first_unread_mention(self, conv: ConvRef) -> Message | None:
        """The oldest unread message of `conv` that @mentions this user: where a "jump
        to the mention" goes (its `seq` places it in the history)."""
        return await self.store.first_unread_mention(conv)

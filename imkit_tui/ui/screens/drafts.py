"""Drafts on the main screen: what is typed is kept per conversation, in the store.

The composer reports an edit under the key of the conversation it was loaded for (so an
edit of the previous draft, reported as the next one opens, lands where it belongs);
nothing is kept for a conversation that cannot be written to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from imkit_tui.protocol import ConvRef

if TYPE_CHECKING:
    from imkit_tui.core import Conversation
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.screens.read_only import SendRights


class Drafts:
    """Stores the composer's drafts under the conversation each was written for."""

    def __init__(
        self,
        host: MainHost,
        rights: SendRights,
        refresh_row: Callable[[ConvRef], Awaitable[Conversation | None]],
    ) -> None:
        """Store through ``host``'s client what ``rights`` allows; ``refresh_row`` shows
        the changed row in the list."""
        self._host = host
        self._rights = rights
        self._refresh_row = refresh_row
        self._by_key: dict[str, ConvRef] = {}

    def opened(self, conv: ConvRef) -> None:
        """``conv`` opens: its draft is loaded into the composer under its key."""
        self._by_key[conv.key] = conv

    async def changed(self, key: str | None, text: str) -> None:
        """The composer's text changed for the conversation under ``key``."""
        conv = self._by_key.get(key or "")
        if conv is None:
            return
        if self._rights.reason(conv) is not None:
            text = ""  # nothing typed there could be sent
        await self._host.client.set_draft(conv, text)
        await self._refresh_row(conv)

    async def keep(self) -> None:
        """Store what is typed in the open conversation (called when the app ends)."""
        composer = self._host.composer
        if composer is None:
            return
        conv = self._by_key.get(composer.draft_key or "")
        if conv is not None and self._rights.reason(conv) is None:
            client = self._host.client
            row = await client.conversation(conv)
            if row is None or row.draft != composer.text:
                await client.set_draft(conv, composer.text)

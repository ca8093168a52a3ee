"""Search from the main screen: ctrl+f, the palette's "Search messages", open in context.

Light to import: the search screen itself (:mod:`imkit_tui.ui.screens.search`) loads on
first use.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from imkit_tui.core import Message, list_ref
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.format import display_name
from imkit_tui.ui.palette import lazy_provider
from imkit_tui.ui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main_host import MainHost

search_commands = lazy_provider("imkit_tui.ui.screens.search", "SearchCommands")
"""The palette's provider of "Search messages" (imported when the palette opens)."""


class SearchActions:
    """What a conversation opens on, and the search that opens one in context."""

    def __init__(self, host: MainHost) -> None:
        """Search through ``host``'s client; open what is found on ``host``."""
        self._host = host

    async def first_page(self, conv: ConvRef, limit: int, around: Message | None) -> list[Message]:
        """What a conversation opens on: its newest `limit` messages, or the page around
        `around` (a search result)."""
        if around is None:
            return await self._host.client.messages(conv, limit=limit)
        return await self._host.client.search.around(around)

    def search(self) -> None:
        """Search messages; the one chosen opens in its conversation, in context. The
        results name conversations as the list does (:func:`listed_name`)."""
        from imkit_tui.ui.screens.search import SearchScreen

        host = self._host
        found = host.query("ConversationList")
        listing = found.first(ConversationList) if found else None
        names = partial(listed_name, listing)
        host.app.push_screen(
            SearchScreen(host.client, current=host.current, names=names), self._open_found
        )

    async def _open_found(self, found: Message | None) -> None:
        if found is not None:
            await self._host.open_conversation(found.conv, around=found)


def listed_name(listing: ConversationList | None, conv: ConvRef) -> str:
    """`conv` as `listing` names it: a group by its name where the list knows it, a
    channel of an ultra group as "# Guild › # news"."""
    row = listing.get(list_ref(conv)) if listing is not None else None
    name = display_name(conv, row.title if row is not None else "")
    if conv.type == ConversationType.ULTRA_GROUP and conv.channel and conv.channel != "*":
        name = f"{name} › # {conv.channel}"
    return name

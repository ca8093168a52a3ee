"""Search from the main screen: ctrl+f, the palette's "Search messages", open in context.

A mixin of :class:`~imkit_tui.ui.screens.main.MainScreen`, light to import: the search
screen itself (:mod:`imkit_tui.ui.screens.search`) loads on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from imkit_tui.core import Message
from imkit_tui.protocol import ConvRef

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.command import Provider
    from textual.screen import Screen

    from imkit_tui.core import IMClient

    _Base = Screen[None]
else:
    _Base = object


def _search_commands() -> type[Provider]:
    """The palette's provider of "Search messages" (imported when the palette opens)."""
    provider: type[Provider] = import_module("imkit_tui.ui.screens.search").SearchCommands
    return provider


class SearchActions(_Base):
    """The search action of the main screen (bound to ctrl+f there). Mixed into MainScreen."""

    client: IMClient
    current: ConvRef | None
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {_search_commands}

    if TYPE_CHECKING:  # provided by the class this is mixed into

        async def open_conversation(
            self, conv: ConvRef, *, around: Message | None = None
        ) -> None: ...

    async def first_page(self, conv: ConvRef, limit: int, around: Message | None) -> list[Message]:
        """What a conversation opens on: its newest `limit` messages, or the page around
        `around` (a search result)."""
        if around is None:
            return await self.client.messages(conv, limit=limit)
        return await self.client.messages_around(around)

    def action_search(self) -> None:
        """Search messages (ctrl+f); the one chosen opens in its conversation, in context."""
        from imkit_tui.ui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.client, current=self.current), self._open_found)

    async def _open_found(self, found: Message | None) -> None:
        if found is not None:
            await self.open_conversation(found.conv, around=found)

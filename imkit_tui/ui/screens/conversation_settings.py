"""Per-conversation settings from the main screen: pin, do not disturb, mark as unread.

Keys act on the conversation list's highlighted row when the list has focus (p, m, u),
else on the open conversation; the palette offers the same. Changes go through the
client core, which applies them at once and syncs them to the user's other devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widget import Widget

from imkit_tui.core import Conversation
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.format import display_name
from imkit_tui.ui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:
    from imkit_tui.core import IMClient
    from imkit_tui.ui.screens.history_actions import HistoryActions
    from imkit_tui.ui.screens.main import MainScreen

    _Base = Widget
else:
    _Base = object


class ConversationSettings(_Base):
    """Pin, DND and mark-as-unread actions. Mixed into MainScreen."""

    client: IMClient
    current: ConvRef | None

    def settings_target(self) -> Conversation | None:
        """The conversation list's highlighted row when the list has focus, else the open one."""
        listing = self.query_one(ConversationList)
        conv = listing.highlighted if listing.has_focus else self.current
        return listing.get(conv) if conv is not None else None

    async def action_toggle_pin(self) -> None:
        """Pin the conversation to the top of the list, or unpin it (every device)."""
        row = self.settings_target()
        if row is not None:
            await self.client.change_settings(row.ref, pinned=not row.pinned)

    async def action_toggle_mute(self) -> None:
        """Turn do-not-disturb on or off: no notifications, not in the unread total."""
        row = self.settings_target()
        if row is not None:
            await self.client.change_settings(row.ref, muted=not row.muted)
            state = "notifications on" if row.muted else "do not disturb"
            self.notify(f"{display_name(row.ref, row.title)}: {state}")

    async def action_toggle_unread(self) -> None:
        """Mark the conversation as unread (a dot until opened), or as read."""
        row = self.settings_target()
        if row is None:
            return
        if row.unread or row.marked_unread:
            await self.client.mark_read(row.ref)
        else:
            await self.client.change_settings(row.ref, marked_unread=True)

    def _history(self) -> HistoryActions:
        """The screen's history actions (made here when no chat was opened yet)."""
        from imkit_tui.ui.screens.history_actions import HistoryActions

        main = cast("MainScreen", self)
        if main.history is None:
            main.history = HistoryActions(main, self.client)
        return main.history

    def action_clear_history(self) -> None:
        """Ask, then clear the history of the conversation for this user (every device)."""
        row = self.settings_target()
        if row is not None:
            self._history().ask_clear(row.ref)

    async def action_remove_conversation(self) -> None:
        """Take the conversation off the list until its next message."""
        row = self.settings_target()
        if row is not None:
            await self._history().remove(row.ref)

    def action_chat_settings(self) -> None:
        """Open the settings of the open or highlighted conversation (ctrl+o): a group's
        own screen for a group."""
        from imkit_tui.ui.screens.chat_settings import ChatSettingsScreen
        from imkit_tui.ui.screens.group_settings import GroupSettingsScreen

        row = self.settings_target()
        if row is None:
            return
        main = cast("MainScreen", self)

        async def closed(action: str | None) -> None:
            if action == "search":
                if main.current != row.ref:
                    await main.open_conversation(row.ref)
                main.action_search()
            elif action == "clear":
                self.action_clear_history()
            elif action == "remove":
                await self.action_remove_conversation()

        group = row.ref.type == ConversationType.GROUP
        screen = GroupSettingsScreen(main, row) if group else ChatSettingsScreen(main, row)
        self.app.push_screen(screen, closed)

"""Per-conversation settings from the main screen: pin, do not disturb, mark as unread.

Keys act on the conversation list's highlighted row when the list has focus (p, m, u),
else on the open conversation; the palette offers the same. Changes go through the
client core, which applies them at once and syncs them to the user's other devices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from imkit_tui.core import Conversation, is_ultra_row, list_ref
from imkit_tui.protocol import ConversationType
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.ui.screens.history_actions import HistoryActions
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.screens.privacy_actions import PrivacyActions
    from imkit_tui.ui.screens.ultra_actions import UltraPane
    from imkit_tui.ui.widgets.conversation_list import ConversationList


class ConversationSettings:
    """Pin, DND, mark-as-unread, clear, remove and the settings screen of a conversation."""

    def __init__(
        self,
        host: MainHost,
        listing: ConversationList,
        history: HistoryActions,
        privacy: PrivacyActions,
        search: Callable[[], None],
        ultra: UltraPane,
    ) -> None:
        """Act on ``listing``'s highlighted row or ``host``'s open chat; clear and remove
        through ``history``; the settings screen blocks through ``privacy`` and its
        "Search in chat" runs ``search``; an ultra group's settings are ``ultra``'s."""
        self._host = host
        self._listing = listing
        self._history = history
        self._privacy = privacy
        self._search = search
        self._ultra = ultra

    def target(self) -> Conversation | None:
        """The conversation list's highlighted row when the list has focus, else the open
        one's (an ultra group's channel: the group's)."""
        listing = self._listing
        conv = listing.highlighted if listing.has_focus else self._host.current
        return listing.get(list_ref(conv)) if conv is not None else None

    async def toggle_pin(self) -> None:
        """Pin the conversation to the top of the list, or unpin it (every device)."""
        row = self.target()
        if row is not None and is_ultra_row(row.ref):  # pinned on this device only
            await self._host.client.ultra.pin(row.ref.target, not row.pinned)
        elif row is not None:
            await self._host.client.change_settings(row.ref, pinned=not row.pinned)

    async def toggle_mute(self) -> None:
        """Turn do-not-disturb on or off: no notifications, not in the unread total."""
        row = self.target()
        if row is not None:
            if is_ultra_row(row.ref):  # the user's DND of the whole group
                await self._host.client.ultra.set_dnd(row.ref.target, not row.muted)
            else:
                await self._host.client.change_settings(row.ref, muted=not row.muted)
            state = "notifications on" if row.muted else "do not disturb"
            self._host.app.notify(f"{display_name(row.ref, row.title)}: {state}")

    async def toggle_unread(self) -> None:
        """Mark the conversation as unread (a dot until opened), or as read."""
        row = self.target()
        if row is None:
            return
        if row.unread or row.marked_unread:
            await self._host.client.mark_read(row.ref)
        elif not is_ultra_row(row.ref):  # the server keeps no such mark of ultra groups
            await self._host.client.change_settings(row.ref, marked_unread=True)

    def clear_history(self) -> None:
        """Ask, then clear the history of the conversation for this user (every device)."""
        row = self.target()
        if row is not None:
            self._history.ask_clear(row.ref)

    async def remove(self) -> None:
        """Take the conversation off the list until its next message."""
        row = self.target()
        if row is not None:
            await self._history.remove(row.ref)

    def open_settings(self) -> None:
        """Open the settings of the open or highlighted conversation: a group's own
        screen for a group."""
        from imkit_tui.ui.screens.chat_settings import ChatSettingsScreen
        from imkit_tui.ui.screens.group_settings import GroupSettingsScreen

        row = self.target()
        if row is None:
            return
        if row.ref.type == ConversationType.ULTRA_GROUP:
            self._ultra.open_settings(row)
            return
        host = self._host

        async def closed(action: str | None) -> None:
            if action == "search":
                if host.current != row.ref:
                    await host.open_conversation(row.ref)
                self._search()
            elif action == "clear":
                self.clear_history()
            elif action == "remove":
                await self.remove()

        if row.ref.type == ConversationType.GROUP:
            screen: ChatSettingsScreen | GroupSettingsScreen = GroupSettingsScreen(host.client, row)
        else:
            screen = ChatSettingsScreen(host.client, row, self._privacy)
        host.app.push_screen(screen, closed)

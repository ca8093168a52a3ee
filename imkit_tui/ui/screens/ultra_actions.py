"""Ultra groups on the main screen: the channel sidebar, the header naming group and
channel, editing an own message, and the settings of a group or channel.

The conversation list shows an ultra group as one row (with the total unread of its
channels); opening it opens its last channel (else the default one) with the sidebar
beside the chat: channel names, unread counts, @ marks; choosing one there opens it.
`e` on an own text message of an ultra group puts its text in the composer; enter saves
the edit (every member and device sees the new text, marked "(edited)"); opening
another conversation gives the edit up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import (
    Conversation,
    Message,
    SendStatus,
    UltraChannelRow,
    channel_ref,
    is_ultra_row,
    ultra_row,
)
from imkit_tui.core.ultra_rows import notifies
from imkit_tui.protocol import ConversationType, ConvRef, describe
from imkit_tui.ui.format import display_name
from imkit_tui.ui.widgets.channel_sidebar import ChannelSidebar

if TYPE_CHECKING:
    from imkit_tui.core import IMClient
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.widgets.chat_header import ChatHeader

EDITING_NOTE = "Editing your message: enter saves, escape leaves it as it was"
"""Said when `e` put an own message in the composer."""


def is_ultra(conv: ConvRef | None) -> bool:
    """True for a channel of an ultra group (or its list row)."""
    return conv is not None and conv.type == ConversationType.ULTRA_GROUP


def channel_title(group_title: str, conv: ConvRef, channels: list[UltraChannelRow]) -> str:
    """The header of an open channel: the group's name and the channel's."""
    label = next((c.label for c in channels if c.channel == conv.channel), conv.channel)
    return f"{display_name(conv, group_title)} › # {label or 'general'}"


class UltraPane:
    """The sidebar, the header and editing, for the ultra group open on ``host``."""

    def __init__(
        self, host: MainHost, header: ChatHeader, forget: Callable[[ConvRef], None]
    ) -> None:
        """Show channels in :attr:`sidebar`, name them in ``header``; ``forget`` takes
        a group the user is no longer in off the screen's list."""
        self._host = host
        self._header = header
        self._forget = forget
        self.sidebar = ChannelSidebar(id="channels")
        """The channels of the open ultra group (hidden otherwise)."""
        self.editing: Message | None = None
        """The own message the composer is editing (None: the composer sends)."""
        self._held = ""
        """What the composer held before the edit: back once it is saved or given up."""

    @property
    def _client(self) -> IMClient:
        return self._host.client

    async def open_group(self, group_id: str) -> None:
        """Open a group from its list row: the channel opened last, else the default."""
        group = await self._client.ultra.group(group_id)
        channels = await self._client.ultra.channels(group_id)
        channel = group.last_channel if group is not None else ""
        if channel not in {c.channel for c in channels}:
            channel = ""
        await self._host.open_conversation(channel_ref(group_id, channel))

    async def opened(self, conv: ConvRef, row: Conversation | None) -> str | None:
        """A conversation opened: for a channel, the sidebar shows its group and the
        header title is returned (None for any other conversation: no sidebar)."""
        if self.editing is not None and self.editing.conv != conv:
            self.editing = None
        if not is_ultra(conv) or is_ultra_row(conv):
            self.sidebar.hide()
            return None
        await self._client.ultra.opened(conv)
        return await self.refresh(conv.target, row)

    async def refresh(self, group_id: str, row: Conversation | None = None) -> str | None:
        """Show the group's channels and counts again, if it is the one open; the
        header's title for its open channel."""
        current = self._host.current
        if current is None or not is_ultra(current) or current.target != group_id:
            return None
        channels = await self._client.ultra.channels(group_id)
        known = {c.channel for c in channels}
        if current.channel not in known and current.channel and "" in known:
            # The open channel was deleted: the group's default channel instead.
            await self._host.open_conversation(channel_ref(group_id, ""))
            return None
        if current.channel not in known:  # not heard of yet: shown as it is named
            channels.append(UltraChannelRow(group_id, current.channel, ""))
        self.sidebar.show_channels(group_id, channels, current.channel)
        if row is None:
            row = await self._client.conversation(current)
        title = channel_title(row.title if row else "", current, channels)
        self._header.rename(title)
        return title

    async def changed(self, event: core.UltraChanged) -> None:
        """The group's channels or counts changed: show them; a group the user left or
        that ended closes."""
        if await self._client.ultra.group(event.group) is None:
            current = self._host.current
            if current is not None and is_ultra(current) and current.target == event.group:
                self.sidebar.hide()
            self._forget(ultra_row(event.group))
            return
        await self.refresh(event.group)

    async def quiet(self, conv: ConvRef, received: Sequence[Message]) -> bool:
        """True when the newest of `received` in an ultra channel should not notify:
        the channel's do-not-disturb, or a level that leaves it out."""
        if not is_ultra(conv) or not received:
            return False
        channels = await self._client.ultra.channels(conv.target)
        channel = next((c for c in channels if c.channel == conv.channel), None)
        me = self._client.user_id
        return channel is not None and not notifies(channel, received[-1].content, me)

    # ------------------------------------------------------------------ editing

    def can_edit(self, message: Message) -> bool:
        """An own sent text message of an ultra group."""
        return (
            is_ultra(message.conv)
            and message.sender == self._client.user_id
            and message.status == SendStatus.SENT
            and message.object_name == catalogue.TEXT
            and isinstance(message.content.get("content"), str)
        )

    def handle(self, message: Message, action: str) -> bool:
        """Start editing on `e` (``re_edit``) or "edit"; False when not for these."""
        if action not in ("edit", "re_edit") or not self.can_edit(message):
            return False
        composer = self._host.composer
        if composer is None:
            return False
        if self.editing is None:
            self._held = composer.text
        self.editing = message
        composer.put_text(str(message.content["content"]))
        composer.focus()
        self._host.app.notify(EDITING_NOTE)
        return True

    async def submitted(self, conv: ConvRef, text: str) -> bool:
        """The composer's text is an edit of :attr:`editing` in `conv`: save it. False
        when the composer is not editing (then it sends)."""
        message, self.editing = self.editing, None
        if message is None or message.conv != conv:
            return False
        self._give_back()
        try:
            await self._client.ultra.edit_text(message, text)
        except core.RequestFailed as refused:
            self._host.app.notify(f"Not edited: {describe(refused.code)}", severity="error")
        except (core.NotConnected, TimeoutError):
            self._host.app.notify("Not edited: the server cannot be reached", severity="error")
        except ValueError as exc:
            self._host.app.notify(f"Not edited: {exc}", severity="error")
        return True

    def cancel_edit(self) -> None:
        """Leave the message as it was (escape in the composer)."""
        if self.editing is not None:
            self.editing = None
            self._give_back()

    def _give_back(self) -> None:
        """Put back in the composer what it held before the edit."""
        composer = self._host.composer
        if composer is not None:
            composer.put_text(self._held)
        self._held = ""

    # ------------------------------------------------------------------ settings

    def open_settings(self, row: Conversation) -> None:
        """The settings of the group (its list row) or of the open channel."""
        from imkit_tui.ui.screens.ultra_settings import UltraSettingsScreen

        conv, current = row.ref, self._host.current
        if is_ultra_row(conv) and current is not None and current.target == conv.target:
            conv = current  # the open channel's settings, with the group's
        self._host.app.push_screen(UltraSettingsScreen(self._client, conv))

"""Blocking from the main screen: "Block <user>" / "Unblock <user>" in the palette.

The commands act on the conversation list's highlighted private chat when the list has
focus, else on the open one. Blocking needs the server (it answers the blocked user's
sends with 405), so offline the app says so instead of pretending. Blocked users get a
⛔ after their name in the conversation list (and where they are named as the sender of
a group's last message); it follows changes made on the user's other devices.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from imkit_tui import core
from imkit_tui.core import ConnectionState
from imkit_tui.protocol import ConversationType, ConvRef, describe
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.widgets.conversation_list import ConversationList

BLOCKED_MARK = "⛔"
"""Shown after a blocked user's name in the conversation list."""


_TITLED = (
    ConversationType.GROUP,
    ConversationType.ULTRA_GROUP,
    ConversationType.APP_PUBLIC_SERVICE,
    ConversationType.PUBLIC_SERVICE,
)
"""Conversations whose list row carries their name (`title`)."""


class PrivacyActions:
    """Block and unblock the peer of a private chat; mark blocked users in the list."""

    def __init__(self, host: MainHost, listing: ConversationList) -> None:
        """Act through ``host``'s client on the chat open there or highlighted in
        ``listing``; mark blocked users in ``listing``."""
        self._host = host
        self._listing = listing
        self._blocked_users: frozenset[str] = frozenset()

    async def follow(self) -> None:
        """Show the last known state, then every change; ask the server on each connect
        (a change made on another device while this one was away is not pushed). The
        main screen runs this once its client's store is open."""
        client = self._host.client
        with client.subscribe() as events:
            self._show_privacy_state(
                frozenset((await client.privacy.settings(fetch=False)).blocked)
            )
            if client.state == ConnectionState.CONNECTED:
                await self._ask_privacy()
            async for event in events:
                if isinstance(event, core.PrivacyChanged):
                    self._show_privacy_state(frozenset(event.privacy.blocked))
                elif (
                    isinstance(event, core.ConnectionChanged)
                    and event.state == ConnectionState.CONNECTED
                ):
                    await self._ask_privacy()

    async def _ask_privacy(self) -> None:
        """Fetch the state from the server; a change comes back as PrivacyChanged."""
        with contextlib.suppress(core.NotConnected, core.RequestFailed, TimeoutError):
            await self._host.client.privacy.settings()

    def _show_privacy_state(self, blocked: frozenset[str]) -> None:
        if blocked != self._blocked_users:
            self._blocked_users = blocked
            self._listing.refresh()

    def list_name(self, conv: ConvRef) -> str:
        """The name of a conversation in the list: a group's or a public service
        account's name, a user with ⛔ when blocked."""
        if conv.type in _TITLED:
            row = self._listing.get(conv)
            return display_name(conv, row.title if row is not None else "")
        name = display_name(conv)
        if conv.type == ConversationType.PRIVATE and conv.target in self._blocked_users:
            return f"{name} {BLOCKED_MARK}"
        return name

    def is_blocked(self, user_id: str) -> bool:
        """Whether this user blocks `user_id`, as last known."""
        return user_id in self._blocked_users

    def privacy_target(self) -> str | None:
        """The peer of the highlighted private chat when the list has focus, else of the
        open one; None for groups, the system conversation and notes to oneself."""
        listing = self._listing
        conv = listing.highlighted if listing.has_focus else self._host.current
        if conv is None or conv.type != ConversationType.PRIVATE:
            return None
        if conv.target == self._host.client.user_id:
            return None
        return conv.target

    async def set_blocked(self, user_id: str, blocked: bool) -> None:
        """Block or unblock `user_id` (on every device of this user) and say so."""
        client, notify = self._host.client, self._host.app.notify
        try:
            if blocked:
                settings = await client.privacy.block(user_id)
            else:
                settings = await client.privacy.unblock(user_id)
        except (core.NotConnected, TimeoutError):
            notify(
                f"Not connected: {'blocking' if blocked else 'unblocking'} needs the server.",
                severity="warning",
                markup=False,
            )
            return
        except core.RequestFailed as failure:
            notify(
                f"The server refused: {describe(failure.code)} ({failure.code})",
                severity="error",
                markup=False,
            )
            return
        self._show_privacy_state(frozenset(settings.blocked))
        if blocked:
            note = f"Blocked {user_id}: their messages are refused from now on."
        else:
            note = f"Unblocked {user_id}: they can message you again."
        if settings.whitelist_mode:
            note += " Whitelist mode is on: only your whitelist can message you."
        notify(note, title="Privacy", markup=False)

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entry to block or unblock the peer of the chat at hand."""
        user_id = self.privacy_target()
        if user_id is None:
            return
        if self.is_blocked(user_id):
            yield SystemCommand(
                f"Unblock {user_id}",
                "Accept their messages again (on every device)",
                partial(self.set_blocked, user_id, False),
            )
        else:
            yield SystemCommand(
                f"Block {user_id}",
                "Refuse their messages: they see them rejected (on every device)",
                partial(self.set_blocked, user_id, True),
            )

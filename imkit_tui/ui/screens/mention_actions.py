"""@mentions on the main screen: the members the composer offers, sending mentions, and
the jump to a message that mentions this user.

Opening a group chat asks the server for its members in a worker (cached per group; the
composer offers what is known, nothing while offline), and so does a group notice arriving
in the open chat (someone was added or removed). Opening a chat reads it, so the
unread messages that mention this user are noted first: the header says "@ 2 mentions"
and the jump key (alt+m, in the footer only while there is one) shows the oldest in
context, selected, then the next. Mentions that arrive while the user reads further up,
or is away from the terminal, join them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.core import Conversation, Message
from imkit_tui.protocol import ConversationType, ConvRef, ErrorCode
from imkit_tui.ui.screens.history_actions import visible

if TYPE_CHECKING:
    from imkit_tui.core import HistoryCleared, MessagesDeleted
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.screens.read_only import SendRights
    from imkit_tui.ui.widgets.chat_header import ChatHeader
    from imkit_tui.ui.widgets.composer import Composer

log = logging.getLogger(__name__)

GROUP_TYPES = frozenset({ConversationType.GROUP, ConversationType.ULTRA_GROUP})
"""Conversation types in which members can be @mentioned."""

JUMP_KEY = "alt+m"
"""The key of "jump to the @mention" (bound on the main screen)."""

_GONE = frozenset({catalogue.RECALL_NTF, catalogue.DELETED})


class MentionActions:
    """Members for the composer, mentions in what is sent, the jump to a mention."""

    def __init__(
        self,
        host: MainHost,
        rights: SendRights,
        header: ChatHeader,
        refresh_bindings: Callable[[], object],
    ) -> None:
        """Act on ``host``'s open chat; tell ``rights`` whether the user is still in a
        group; count waiting mentions in ``header``; ``refresh_bindings`` shows or hides
        the jump key."""
        self._host = host
        self._rights = rights
        self._header = header
        self._refresh_bindings = refresh_bindings
        self._group_members: dict[str, tuple[str, ...]] = {}
        self._mentions_waiting: tuple[Message, ...] = ()

    # ------------------------------------------------------------------ members

    def offer_members(self, conv: ConvRef) -> None:
        """Give the composer the members of `conv` to @mention (none outside groups),
        as known now, and ask the server for them again in the background."""
        composer = self._host.composer
        if composer is None:
            return
        if conv.type not in GROUP_TYPES:
            composer.set_mention_members(None)
            return
        composer.set_mention_members(self._others(self._group_members.get(conv.target, ())))
        if conv.type == ConversationType.GROUP:
            self._host.run_worker(
                self._fetch_members(conv), group="group-members", exit_on_error=False
            )

    def members_changed(self, conv: ConvRef, received: Sequence[Message]) -> None:
        """A group notice arrived in the open chat (members added, removed…): ask for the
        members again, so ``@`` offers who is in the group now."""
        if conv == self._host.current and any(
            m.object_name == catalogue.GROUP_NTF for m in received
        ):
            self.offer_members(conv)

    async def _fetch_members(self, conv: ConvRef) -> None:
        client = self._host.client
        try:
            members = (await client.groups.info(conv.target)).members
            self._rights.confirmed(conv, True)
        except (core.NotConnected, core.RequestFailed, TimeoutError) as error:
            log.debug("members of %s from this device's store: %r", conv.target, error)
            if isinstance(error, core.RequestFailed) and error.code == ErrorCode.NOT_IN_GROUP:
                self._rights.confirmed(conv, False)
            members = await client.groups.members(conv.target)
        self._group_members = {**self._group_members, conv.target: members}
        composer = self._host.composer
        if conv == self._host.current and composer is not None:
            composer.set_mention_members(self._others(members))

    def _others(self, members: tuple[str, ...]) -> list[str]:
        return [m for m in members if m != self._host.client.user_id]

    def to_send(self, conv: ConvRef, event: Composer.Submitted) -> tuple[tuple[str, ...], bool]:
        """Whom a text the composer sent @mentions: member ids, and whether all."""
        if conv.type not in GROUP_TYPES:
            return (), False
        return event.mentioned, event.mention_all

    # ------------------------------------------------------------------ unread mentions

    async def note(self, conv: ConvRef, row: Conversation | None) -> None:
        """Before `conv` is marked read: keep its unread mentions to jump to."""
        if conv != self._host.current:
            return
        if row is not None and row.mentions > 0:
            fresh = await self._host.client.mentions.unread(conv)
            known = {m.id for m in self._mentions_waiting}
            self._mentions_waiting += tuple(m for m in fresh if m.id not in known)
        self._show_mentions()

    def note_received(self, received: Sequence[Message]) -> None:
        """Messages arrived in the open chat where the user may not see them (read far up,
        or away from the terminal): those that mention this user are kept to jump to."""
        known = {m.id for m in self._mentions_waiting}
        new = [
            m
            for m in received
            if m.mentioned and m.conv == self._host.current and m.id not in known
        ]
        if new:
            self._mentions_waiting += tuple(new)
            self._show_mentions()

    def drop(self, change: Message | MessagesDeleted | HistoryCleared) -> None:
        """Messages of the open chat were recalled, deleted or cleared: those noted among
        them no longer mention anyone."""
        if change.conv != self._host.current or not self._mentions_waiting:
            return
        if isinstance(change, core.HistoryCleared):
            kept = tuple(m for m in self._mentions_waiting if (m.seq or 0) > change.seq)
        elif isinstance(change, core.MessagesDeleted):
            gone = set(change.message_ids)
            kept = tuple(m for m in self._mentions_waiting if m.id not in gone)
        elif change.object_name in _GONE:
            kept = tuple(m for m in self._mentions_waiting if m.id != change.id)
        else:
            return
        self._mentions_waiting = kept
        self._show_mentions()

    def forget(self) -> None:
        """Another conversation opens: the mentions noted belong to the previous one."""
        self._mentions_waiting = ()
        self._show_mentions()

    def _show_mentions(self) -> None:
        self._header.set_mentions(len(self._mentions_waiting), JUMP_KEY)
        self._refresh_bindings()

    @property
    def can_jump(self) -> bool:
        """Whether a mention waits in the open chat (the jump key shows and acts)."""
        return bool(self._mentions_waiting) and self._host.current is not None

    async def jump(self) -> None:
        """Show the oldest waiting message that @mentions this user, selected, in context."""
        chat, conv = self._host.chat_view, self._host.current
        while chat is not None and conv is not None and self._mentions_waiting:
            target, *rest = self._mentions_waiting
            self._mentions_waiting = tuple(rest)
            page = visible(await self._host.client.search.around(target))
            found = next((m for m in page if m.id == target.id), None)
            if found is None or found.object_name in _GONE:
                continue  # cleared, deleted or recalled since
            if not chat.select_message(found.id):
                row = await self._host.client.conversation(conv)
                await chat.show_around(page, found, newest_seq=row.max_seq if row else None)
            chat.focus()
            break
        self._show_mentions()

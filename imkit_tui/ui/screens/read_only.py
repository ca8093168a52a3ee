"""Conversations the user cannot write to: the System conversation, a group that was
dismissed, one the user left or was removed from.

For those the main screen shows a note saying why instead of the composer, and keeps
no draft (nothing typed there could be sent). What the device knows decides at once:
the conversation's type and the newest group notice about the user among the messages
shown; the server's answer to the members request confirms it when connected (22406:
not a member).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from textual.widgets import Static

from imkit_tui import messages as catalogue
from imkit_tui.core import Conversation, Message
from imkit_tui.protocol import ConversationType, ConvRef

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main_host import MainHost

SYSTEM_REASON = "System messages cannot be answered."
DISMISSED_REASON = "This group was dismissed: nobody can send to it."
LEFT_REASON = "You are not a member of this group any more."
"""Why the composer is gone, by case."""


class ReadOnlyNote(Static):
    """Shown in place of the composer: why nothing can be sent here."""

    DEFAULT_CSS = """
    ReadOnlyNote {
        display: none;
        dock: bottom;
        height: auto;
        padding: 1 2;
        color: $text-muted;
        text-style: italic;
        background: $surface;
    }
    """


class SendRights:
    """Which conversations the user can write to, as far as this device knows, and
    the main screen's composer (or the note saying why not) to match."""

    def __init__(self, screen: MainHost, me: str) -> None:
        """Decide for the user ``me`` of ``screen`` and show it there."""
        self._screen = screen
        self._me = me
        self._reasons: dict[ConvRef, str] = {}

    async def open(self, conv: ConvRef, shown: Iterable[Message], row: Conversation | None) -> bool:
        """``conv`` opens, showing ``shown``: load its draft into the composer when it
        can be written to (True), else show why not and forget any draft (False)."""
        reason = self.seen(conv, shown)
        composer = self._screen.composer
        if composer is not None:
            if reason is None:
                composer.set_draft(row.draft if row else "", key=conv.key)
            else:
                composer.set_draft("", key=None)
        if reason is not None and row is not None and row.draft:
            await self._screen.client.set_draft(conv, "")
        self._show(reason)
        return reason is None

    def received(self, conv: ConvRef, messages: Iterable[Message]) -> None:
        """Messages arrived in the open conversation ``conv``: a notice may end (or
        restore) the user's membership."""
        before = self.reason(conv)
        if self.seen(conv, messages) != before:
            self._show(self.reason(conv))

    def confirmed(self, conv: ConvRef, member: bool) -> None:
        """The server said whether the user is a member of the group ``conv``."""
        before = self.reason(conv)
        self.member(conv, member)
        if conv == self._screen.current and self.reason(conv) != before:
            self._show(self.reason(conv))

    def _show(self, reason: str | None) -> None:
        screen = self._screen
        notes, rows = screen.query("#read-only"), screen.query("#composer-row")
        if not notes or not rows:
            return
        note, composer_row = cast("ReadOnlyNote", notes.first()), rows.first()
        note.update(reason or "")
        note.display = reason is not None
        composer_row.display = reason is None
        composer, chat = screen.composer, screen.chat_view
        if reason is not None and composer is not None and composer.has_focus and chat is not None:
            chat.focus()

    def reason(self, conv: ConvRef) -> str | None:
        """Why nothing can be sent to ``conv``, or None when it can."""
        if conv.type == ConversationType.SYSTEM:
            return SYSTEM_REASON
        return self._reasons.get(conv)

    def seen(self, conv: ConvRef, shown: Iterable[Message]) -> str | None:
        """Take what the newest group notice about the user among ``shown`` (oldest
        first) says; return the reason as :meth:`reason`."""
        if conv.type == ConversationType.GROUP:
            for message in reversed(list(shown)):
                if message.object_name != catalogue.GROUP_NTF:
                    continue
                member = catalogue.group_membership(message.content, self._me)
                if member is not None:
                    self.member(conv, member, dismissed=_dismissed(message))
                    break
        return self.reason(conv)

    def member(self, conv: ConvRef, member: bool, *, dismissed: bool = False) -> None:
        """Note whether the user is a member of the group ``conv`` (the server said so,
        or a notice did)."""
        if member:
            self._reasons.pop(conv, None)
        elif dismissed or conv not in self._reasons:
            self._reasons[conv] = DISMISSED_REASON if dismissed else LEFT_REASON


def _dismissed(message: Message) -> bool:
    operation = message.content.get("operation")
    return isinstance(operation, str) and operation.strip().lower() == "dismiss"

"""Contact and profile notices (``RC:ContactNtf``, ``RC:ProfileNtf``) as grey lines.

A contact notification is a friend request or its answer (``operation`` "Request",
"AcceptResponse", "RejectResponse", RongCloud's values) with an optional ``message``;
a profile notification says someone changed their profile.
"""

from __future__ import annotations

from collections.abc import Mapping

from imkit_tui.ui.bubbles._fields import one_line
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.bubbles.notice import NoticeBubble
from imkit_tui.ui.names import person

_MAX_NOTE = 200


def _text(content: object, key: str) -> str:
    raw = content.get(key) if isinstance(content, Mapping) else None
    return one_line(raw, limit=_MAX_NOTE) if isinstance(raw, str) else ""


class ContactNoticeBubble(NoticeBubble):
    """A friend request, accepted or declined, as a centred grey line. Never raises."""

    @property
    def notice(self) -> str:
        """The line shown."""
        content = self.message.content
        operation = _text(content, "operation").lower()
        note = _text(content, "message")
        who = "You" if self.own else self._who()
        if operation == "request":
            line = f"{who} sent a friend request"
            return f"{line}: {note}" if note else line
        if operation == "acceptresponse":
            return f"{who} accepted the friend request"
        if operation == "rejectresponse":
            return f"{who} declined the friend request"
        return note or "Contact notification"

    def _who(self) -> str:
        sender = clean_text(person(self.message.sender), keep_newlines=False)[:64].strip()
        return sender or "Someone"


class ProfileNoticeBubble(NoticeBubble):
    """A profile change as a centred grey line. Never raises."""

    @property
    def notice(self) -> str:
        """The line shown."""
        if self.own:
            return "You updated your profile"
        sender = clean_text(person(self.message.sender), keep_newlines=False)[:64].strip()
        return f"{sender or 'Someone'} updated their profile"

"""Private: how the conversation list draws one conversation's two lines.

The list (:mod:`~imkit_tui.ui.widgets.conversation_list`) owns the rows, the cursor and
the scrolling; this module only turns a `Conversation` into segments, with styles from
the list's component classes.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style

from imkit_tui.core.models import Conversation
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.format import (
    AVATAR_PALETTE,
    GROUP_MARK,
    PUBLIC_MARK,
    avatar_colour,
    avatar_letter,
    badge,
    conversation_time,
    display_width,
    one_line,
    truncate,
)

MARGIN = 1
AVATAR_WIDTH = 3
TEXT_X = MARGIN + AVATAR_WIDTH + 1
"""The column where names and previews start (after margin, avatar tile and a space)."""

_PINNED_MARK = "📌"
_MUTED_MARK = "🔕"
_DRAFT_LABEL = "[Draft] "
_FAILED_MARK = "! "
"""Before the preview of a message of ours that failed (the chat says why)."""
MENTION_LABEL = "[@me] "
"""Before the preview while the conversation has unread messages that mention this user."""
_SENDER_TYPES = frozenset({ConversationType.GROUP, ConversationType.ULTRA_GROUP})
"""Conversation types whose preview names the sender."""

_AVATAR_STYLES = {
    colour: Style(color="#ffffff", bgcolor=colour, bold=True) for colour in AVATAR_PALETTE
}

StyleOf = Callable[..., Style]
"""The list's style for a row's component classes (``style(*classes)``)."""
Pictures = Callable[[ConvRef], "list[list[Segment]] | None"]
"""A conversation's picture as AVATAR_WIDTH x 2 cells of segments, when one is drawn."""


class RowPainter:
    """Draws the two lines of a conversation row for a list of a given width.

    Line 1: the avatar, the name (📌 when pinned) and the time. Line 2: [@me] while
    unread messages mention this user, the preview (or the draft), 🔕 when muted, and
    the unread badge.
    """

    def __init__(self, style: StyleOf, names: Callable[[ConvRef], str], me: str = "") -> None:
        """`style(*classes)` gives the list's style for component classes; `names` the
        display name of a conversation (also of a group sender, as a private chat); `me`
        the user whose list it is (named "You" before their own messages)."""
        self._style = style
        self._names = names
        self._me = me
        self.pictures: Pictures | None = None
        """Draws a picture in the avatar tile instead of the letter (ui/portraits.py)."""

    def _tile(self, conversation: Conversation, name: str | None, part: int) -> list[Segment]:
        """Line `part` (0 or 1) of the avatar tile: the picture when there is one, else
        the letter's tile."""
        picture = self.pictures(conversation.ref) if self.pictures is not None else None
        if picture is not None and len(picture) > part:
            return picture[part]
        return [self.avatar(conversation, name)]

    def avatar(self, conversation: Conversation, name: str | None) -> Segment:
        """The avatar tile: its top line shows the letter of `name`, its bottom is blank."""
        style = _AVATAR_STYLES[avatar_colour(conversation.ref.target)]
        if name is None:
            return Segment(" " * AVATAR_WIDTH, style)
        # The name shows the mark; the tile need not.
        name = name.removeprefix(
            GROUP_MARK if conversation.ref.type in _SENDER_TYPES else PUBLIC_MARK
        )
        letter = avatar_letter(name)
        # Centre a one-cell letter; a two-cell one (CJK) fills the tile from the left.
        text = f" {letter} " if display_width(letter) == 1 else f"{letter} "
        return Segment(text, style)

    def first_line(
        self, conversation: Conversation, row: tuple[str, ...], width: int
    ) -> list[Segment]:
        """The avatar's letter, the name (📌 when pinned) and the time on the right."""
        style = self._style
        base = style(*row)
        name = one_line(self._names(conversation.ref))
        time = conversation_time(conversation.sort_at or conversation.last_at)
        pin = f" {_PINNED_MARK}" if conversation.pinned else ""
        room = width - TEXT_X - MARGIN - display_width(pin)
        if time and room - display_width(time) - 1 >= 4:
            room -= display_width(time) + 1
        else:
            time = ""
        full_name, name = name, truncate(name, room)
        used = TEXT_X + display_width(name) + display_width(pin)
        gap = width - used - display_width(time) - MARGIN
        segments = [
            Segment(" " * MARGIN, base),
            *self._tile(conversation, full_name, 0),
            Segment(" ", base),
            Segment(name, style(*row, "conversation-list--name")),
        ]
        if pin:
            segments.append(Segment(pin, style(*row, "conversation-list--marker")))
        segments.append(Segment(" " * max(gap, 0), base))
        if time:
            segments.append(Segment(time, style(*row, "conversation-list--time")))
        return segments

    def _sender_name(self, sender: str) -> str:
        """Who sent a group's last message: "You" for this user, else their name."""
        if self._me and sender == self._me:
            return "You"
        return self._names(ConvRef.private(sender))

    def second_line(
        self, conversation: Conversation, row: tuple[str, ...], width: int
    ) -> list[Segment]:
        """[@me], the draft or the preview ("sender: " in groups), 🔕 and the badge."""
        style = self._style
        base = style(*row)
        right: list[Segment] = []
        if conversation.muted:
            right.append(Segment(_MUTED_MARK, style(*row, "conversation-list--marker")))
        count = badge(conversation.unread) or ("•" if conversation.marked_unread else "")
        if count:
            badge_class = (
                "conversation-list--badge-muted"
                if conversation.muted
                else "conversation-list--badge"
            )
            if right:
                right.append(Segment(" ", base))
            right.append(Segment(f" {count} ", style(*row, badge_class)))
        right_width = _cells(right)
        room = width - TEXT_X - MARGIN - (right_width + 1 if right_width else 0)

        left: list[Segment] = []
        if conversation.mentions > 0:
            label = truncate(MENTION_LABEL, room)
            left.append(Segment(label, style(*row, "conversation-list--mention")))
        if conversation.draft:
            label = truncate(_DRAFT_LABEL, room - _cells(left))
            left.append(Segment(label, style(*row, "conversation-list--draft")))
            text = one_line(conversation.draft)
        else:
            if conversation.failed:
                label = truncate(_FAILED_MARK, room - _cells(left))
                left.append(Segment(label, style(*row, "conversation-list--failed")))
            if conversation.ref.type in _SENDER_TYPES and conversation.last_sender:
                sender = self._sender_name(conversation.last_sender)
                label = truncate(f"{one_line(sender)}: ", room - _cells(left))
                left.append(Segment(label, style(*row, "conversation-list--sender")))
            text = one_line(conversation.preview)
        text = truncate(text, room - _cells(left))
        if text:
            left.append(Segment(text, style(*row, "conversation-list--preview")))

        used = TEXT_X + _cells(left)
        gap = width - used - right_width - MARGIN
        return [
            Segment(" " * MARGIN, base),
            *self._tile(conversation, None, 1),
            Segment(" ", base),
            *left,
            Segment(" " * max(gap, 0), base),
            *right,
        ]


def _cells(segments: list[Segment]) -> int:
    """How many cells `segments` take."""
    return sum(segment.cell_length for segment in segments)

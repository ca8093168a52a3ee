"""Small text helpers shared by the UI: times, avatars, badges and cell-aware truncation.

Everything here is pure (no Textual), so it is cheap to call from `render_line` and easy to
test. Widths are terminal cells, measured with Rich, so CJK text and emoji count as two.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from rich.cells import cell_len, set_cell_size

from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.names import person

__all__ = [
    "AVATAR_PALETTE",
    "WEEKDAYS",
    "avatar_colour",
    "avatar_letter",
    "badge",
    "conversation_time",
    "display_width",
    "is_user_id",
    "one_line",
    "split_user_ids",
    "truncate",
]

AVATAR_PALETTE: tuple[str, ...] = (
    "#c0392b",
    "#d35400",
    "#9a7d0a",
    "#1e8449",
    "#117a65",
    "#2471a3",
    "#7d3c98",
    "#b03a6f",
)
"""Avatar background colours; each is dark enough for white text on top."""

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Weekday names as the conversation list shows them, Monday first (as `date.weekday()`)."""

_USER_ID = re.compile(r"\S{1,64}")

# Line breaks, tabs and other C0/C1 controls: a zero-width control would break the layout.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def conversation_time(ms: int, now: datetime | None = None) -> str:
    """The time of a conversation row, as short as the distance from `now` allows.

    Args:
        ms: The time to show, in milliseconds since the epoch. Zero or less shows nothing.
        now: The current time; the local time when omitted. When it is timezone-aware the
            time is shown in its timezone, otherwise in the local one.

    Returns:
        "HH:MM" for today, "Yesterday", a weekday name ("Tue") within the last 7 days,
        else "YYYY-MM-DD" (also for a time in a later day than `now`). "" when `ms` is
        not a usable time.
    """
    if ms <= 0:
        return ""
    if now is None:
        now = datetime.now()
    try:
        when = datetime.fromtimestamp(ms / 1000, tz=now.tzinfo)
    except (OverflowError, OSError, ValueError):
        return ""
    days = (now.date() - when.date()).days
    if days == 0:
        return f"{when:%H:%M}"
    if days == 1:
        return "Yesterday"
    if 1 < days < 7:
        return WEEKDAYS[when.weekday()]
    return f"{when:%Y-%m-%d}"


def avatar_colour(key: str) -> str:
    """A background colour for an avatar, the same for `key` in every run and on every host.

    Args:
        key: What the avatar stands for, usually a user or group id.

    Returns:
        One of `AVATAR_PALETTE`, as a "#rrggbb" string.
    """
    # hashlib, not hash(): str hashes are salted per process.
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return AVATAR_PALETTE[int.from_bytes(digest, "big") % len(AVATAR_PALETTE)]


def avatar_letter(name: str) -> str:
    """The letter drawn in an avatar: the first character of `name`, upper-cased.

    Args:
        name: A display name.

    Returns:
        One character (two cells wide for CJK or emoji), or "?" for a blank name.
    """
    stripped = one_line(name).strip()
    if not stripped:
        return "?"
    letter = stripped[0].upper()
    # Some characters upper-case to two ("ß" -> "SS"); keep only the first.
    return letter[0]


def badge(count: int) -> str:
    """The text of an unread badge.

    Args:
        count: The number of unread messages.

    Returns:
        "" for zero (or less), the count up to 99, "99+" above.
    """
    if count <= 0:
        return ""
    if count > 99:
        return "99+"
    return str(count)


def display_width(text: str) -> int:
    """The width of `text` in terminal cells (CJK and most emoji take two).

    Args:
        text: One line of text.

    Returns:
        The number of cells.
    """
    return cell_len(text)


def one_line(text: str) -> str:
    """`text` flattened to one line: each run of line breaks or control characters is a space.

    Args:
        text: Any text, e.g. a multi-line draft.

    Returns:
        Text safe to measure and draw on a single terminal line.
    """
    if text.isprintable():
        return text
    return _CONTROL.sub(" ", text)


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """Shorten `text` to at most `width` cells, ending with `ellipsis` when it was cut.

    A wide character is never split: the result may be one cell narrower than `width`.

    Args:
        text: One line of text (see `one_line`).
        width: The number of cells available.
        ellipsis: What marks the cut.

    Returns:
        `text` unchanged when it fits, else a prefix of it plus `ellipsis`.
    """
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    room = width - cell_len(ellipsis)
    if room <= 0:
        return set_cell_size(ellipsis, width).rstrip(" ")
    # set_cell_size pads with a space where it had to drop half of a wide character.
    return set_cell_size(text, room).rstrip(" ") + ellipsis


def wrap_words(text: str, width: int) -> list[str]:
    """`text` broken at spaces into lines of at most `width` cells; a word wider than
    that is cut with an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if line and cell_len(joined) > width:
            lines.append(line)
            joined = word
        line = truncate(joined, width)
    return [*lines, line] if line else lines


GROUP_MARK = "# "
"""Before a group's name wherever it is shown."""
PUBLIC_MARK = "◆ "
"""Before a public service account's name wherever it is shown."""


def display_name(conv: ConvRef, title: str = "") -> str:
    """The name shown for a conversation: the peer's display name (ui/names.py; their id
    while it is not known; likewise a customer service's, or an agent's customer's),
    "System", a group's ``# name`` or a public service account's ``◆ name`` (its `title`
    when known, else its id)."""
    if conv.type == ConversationType.SYSTEM:
        return "System"
    if conv.type in (ConversationType.GROUP, ConversationType.ULTRA_GROUP):
        return f"{GROUP_MARK}{title or conv.target}"
    if conv.type in (ConversationType.APP_PUBLIC_SERVICE, ConversationType.PUBLIC_SERVICE):
        return f"{PUBLIC_MARK}{title or conv.target}"
    if conv.type in (ConversationType.PRIVATE, ConversationType.CUSTOMER_SERVICE):
        return person(conv.target)  # a customer service is named as a person is
    return conv.target


def is_user_id(text: str) -> bool:
    """Whether ``text`` can be a user id: 1 to 64 characters, no spaces."""
    return _USER_ID.fullmatch(text) is not None


def split_user_ids(text: str) -> list[str]:
    """The user ids in ``text``, separated by spaces and/or commas, each once, in order."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,]+", text) if part))


def receipt_summary(read: int, unread: int) -> str:
    """ "3 read · 5 unread", or "Read by all" once nobody is left."""
    if not unread:
        return "Read by all" if read else ""
    return f"{read} read · {unread} unread"

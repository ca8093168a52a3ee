"""Dividers above bubbles (the day, where unread ones start), runs of one sender's
messages, and the new-messages bar."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.events import Click
from textual.message import Message as TextualMessage
from textual.widget import Widget
from textual.widgets import Static

from imkit_tui.core import Message
from imkit_tui.ui.bubbles._text import local_time
from imkit_tui.ui.bubbles.base import Dividers

RUN_GAP_MS = 5 * 60 * 1000
"""Consecutive messages of one sender further apart than this start a new run."""

NEW_MESSAGES = "── New messages ──"
"""The text of the divider above the first unread message."""


def day_label(day: date, today: date) -> str:
    """Name a day: "Today", "Yesterday", "Mon 23 Nov" this year, else "2023-11-23"."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%a} {day.day} {day:%b}"
    return day.isoformat()


def divider_spec(
    previous: Message | None, message: Message, *, unread: bool = False, today: date | None = None
) -> Dividers:
    """Say which dividers go between ``previous`` (None at the top) and ``message``.

    A date divider when the day changes (and at the top), and the "New messages"
    divider when ``unread``. Unreadable times get no date divider. (Times are on the
    runs of messages: see :func:`continues_run`.)
    """
    parts: list[tuple[str, str]] = []
    when = local_time(message.sent_at)
    before = local_time(previous.sent_at) if previous is not None else None
    if when is not None and (before is None or before.date() != when.date()):
        parts.append(("date", f"── {day_label(when.date(), today or date.today())} ──"))
    if unread:
        parts.append(("unread", NEW_MESSAGES))
    return tuple(parts)


def continues_run(previous: Message | None, message: Message, dividers: Dividers) -> bool:
    """Whether ``message`` continues the run of ``previous``: the same sender, within
    :data:`RUN_GAP_MS`, with no divider between them (a new day, "New messages").

    Notices are never part of a run (the caller checks the bubbles' kinds)."""
    if previous is None or dividers or previous.sender != message.sender:
        return False
    return 0 <= message.sent_at - previous.sent_at <= RUN_GAP_MS


class NewMessagesBar(Static):
    """The "N new messages ↓" bar in the row below a chat view.

    Hidden while it says nothing. A click posts :class:`NewMessagesBar.Clicked` to the
    chat view it belongs to (its ``target``), or to itself without one.
    """

    DEFAULT_CSS = """
    NewMessagesBar {
        width: 1fr;
        height: 1;
        text-align: center;
        background: $accent;
        color: $text;
        display: none;
    }
    NewMessagesBar.-visible {
        display: block;
    }
    """

    class Clicked(TextualMessage):
        """The user clicked the bar: show the newest messages."""

    def __init__(self, target: Widget | None = None) -> None:
        """Create the hidden bar of the chat view ``target``."""
        super().__init__()
        self._target = target
        self._label = ""

    def show_count(self, unseen: int, *, newer: bool) -> None:
        """Say how many new messages wait below, or that newer ones exist (``newer``)."""
        if unseen:
            label = f"{unseen} new message{'s' if unseen != 1 else ''} ↓"
        else:
            label = "Newer messages ↓" if newer else ""
        if label != self._label:  # an update lays the screen out again: only on a change
            self._label = label
            self.update(Text(label))
        self.set_class(bool(label), "-visible")

    def on_click(self, event: Click) -> None:
        """Post :class:`Clicked`."""
        event.stop()
        (self._target or self).post_message(self.Clicked())

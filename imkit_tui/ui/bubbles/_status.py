"""Private: the status line under a bubble, when it shows, and the head line of a run.

An edited message (ultra groups) says "(edited)" first. Others' messages show their
time; own messages how far they got ("sending…", "✓ 14:05", "✓✓ Read 14:05", "! failed:
you are muted in this group — r to retry", or why it was rejected), and in a group how
many members read them when receipts were asked for ("✓ 14:05 · 3 read · 5 unread").
A targeted message says whom it went to.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from imkit_tui.core import Message, SendStatus
from imkit_tui.protocol import ErrorCode, describe
from imkit_tui.ui.bubbles._text import clean_text, clock

MAX_NAME = 64
"""The most characters of one name shown."""

CONTENT_REJECTED = f"Message rejected: {describe(ErrorCode.SENSITIVE_WORD_BLOCKED)}"
"""Said under an own message the server refused for its content (21501: a sensitive
word, or the app's backend blocked it)."""

EDITED_MARK = "(edited)"
"""Said on the status line of a message whose sender edited it."""


def status_line(
    message: Message, *, me: str, own: bool, rejected: bool, peer_read: bool, receipts: str
) -> str:
    """The status line of `message` as `me` sees it."""
    status = _status(message, own=own, rejected=rejected, peer_read=peer_read)
    if message.edited_at:
        status = f"{EDITED_MARK} {status}"
    if receipts and own and message.status == SendStatus.SENT:
        status = f"{status} · {receipts}"
    if not message.to:
        return status
    names = ", ".join("you" if who == me else who for who in message.to)
    return f"{status} · to {clean_text(names, keep_newlines=False)[: MAX_NAME * 3]}"


def _status(message: Message, *, own: bool, rejected: bool, peer_read: bool) -> str:
    if not own:
        return clock(message.sent_at)
    if message.status == SendStatus.SENDING:
        return "sending…"
    if message.status == SendStatus.FAILED:
        if rejected and message.error == ErrorCode.SENSITIVE_WORD_BLOCKED:
            return CONTENT_REJECTED
        if rejected:
            peer = clean_text(message.conv.target, keep_newlines=False)[:MAX_NAME]
            return f"Message rejected: {peer} does not accept messages from you"
        return failed_line(message.error)
    if peer_read:
        return f"✓✓ Read {clock(message.sent_at)}"
    return f"✓ {clock(message.sent_at)}"


def status_shown(
    message: Message, *, own: bool, selected: bool, run_tail: bool, receipts: str
) -> bool:
    """Whether the status line shows: when selected; for an own message at the end of
    its run or still sending or failed; for one with read counts or recipients, or edited."""
    if selected or receipts or message.to or message.edited_at:
        return True
    if not own:
        return False
    return run_tail or message.status in (SendStatus.SENDING, SendStatus.FAILED)


def head_line(sender: str | None, sent_at: int, sender_style: Style, time_style: Style) -> Text:
    """The line over the first of a run: the sender (in groups) and the time."""
    line = Text()
    if sender is not None:
        line.append(sender, style=sender_style)
        line.append("  ")
    line.append(clock(sent_at), style=time_style)
    return line


def failed_line(code: int | None) -> str:
    """The status line of an own message that failed, saying why when the server
    refused it (muted, no longer a member, ...): sending it again may help later."""
    if code is None:
        return "! failed — r to retry"
    return f"! failed: {describe(code)} — r to retry"

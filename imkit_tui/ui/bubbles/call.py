"""Call lines (``RC:VCInvite``, ``RC:VCHangup``): one grey line per call in the chat.

A hang-up says how long the call lasted, "Voice call · 3:12" or "Video call · 3:12"
(``duration`` is in milliseconds, ``mediaType`` 2 means video). A call that never
connected (no or zero duration) reads "Missed call" when the other side hung up and
"Call cancelled" when this user did. An invite reads "📞 Voice call" or
"📞 Video call".
"""

from __future__ import annotations

from collections.abc import Mapping

from imkit_tui import messages
from imkit_tui.ui.bubbles._fields import MAX_SECONDS, duration_text, number
from imkit_tui.ui.bubbles.notice import NoticeBubble


def _is_video(content: object) -> bool:
    kind = content.get("mediaType") if isinstance(content, Mapping) else None
    return number(kind) == messages.MEDIA_VIDEO


def _seconds(content: object) -> float | None:
    """The call's length in seconds when it connected, else None."""
    raw = content.get("duration") if isinstance(content, Mapping) else None
    milliseconds = number(raw)
    if milliseconds is None or not 0 < milliseconds / 1000 < MAX_SECONDS:
        return None
    return milliseconds / 1000 if round(milliseconds / 1000) > 0 else None


class CallBubble(NoticeBubble):
    """A call invite or hang-up as a centred grey line. Reads any content; never raises."""

    @property
    def video(self) -> bool:
        """Whether it was a video call (else a voice call)."""
        return _is_video(self.message.content)

    @property
    def connected(self) -> bool:
        """Whether the call connected (a hang-up with a length); False for invites."""
        hangup = self.message.object_name == messages.CALL_HANGUP
        return hangup and _seconds(self.message.content) is not None

    @property
    def notice(self) -> str:
        """The line shown."""
        kind = "Video call" if self.video else "Voice call"
        if self.message.object_name != messages.CALL_HANGUP:
            return f"📞 {kind}"
        seconds = _seconds(self.message.content)
        if seconds is not None:
            return f"{kind} · {duration_text(seconds)}"
        return "Call cancelled" if self.own else "Missed call"

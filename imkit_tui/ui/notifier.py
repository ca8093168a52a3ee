"""Notifications of new messages: a toast, the bell, and a desktop notification.

- A message in another conversation: a toast in the app and the terminal bell.
- While the terminal is not focused (any conversation, the open one included): a
  desktop notification through the terminal, as OSC 777 (``notify;title;body``: urxvt,
  foot, WezTerm, Ghostty, VTE terminals) and OSC 9 (iTerm2, kitty, Windows Terminal);
  terminals that know neither ignore both.
- Never for a conversation on do-not-disturb; never when notifications are off; with
  ``show_text`` off, the text of the message is replaced by "New message".
- A notice from the app's backend (no message, no conversation): a toast and a desktop
  notification, unless notifications are off.
- At most MAX_TOASTS message toasts show at once (a first sync bringing news in many
  conversations: the list shows the rest); more would run off a small screen.
"""

from __future__ import annotations

import time
import unicodedata
from collections import deque
from collections.abc import Callable
from typing import Protocol

HIDDEN_TEXT = "New message"
"""What a notification says instead of the message when message text is hidden."""

_MAX_TITLE = 64
_MAX_BODY = 200
MAX_TOASTS = 4
"""The most message toasts shown at once."""
TOAST_SECONDS = 4.0
"""How long a message toast shows."""


class _NotifyingApp(Protocol):
    app_focus: bool

    def notify(self, message: str, *, title: str = "", timeout: float | None = None) -> None:
        """Show a toast."""

    def bell(self) -> None:
        """Ring the terminal bell."""


def _field(text: str, limit: int) -> str:
    """One line safe inside an OSC sequence: no control characters, no ';', bounded."""
    cleaned = "".join(
        " " if unicodedata.category(char).startswith("C") or char == ";" else char for char in text
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def desktop_sequence(title: str, body: str) -> str:
    """The escape sequences of a desktop notification (OSC 777, then OSC 9)."""
    head, text = _field(title, _MAX_TITLE), _field(body, _MAX_BODY)
    return f"\x1b]777;notify;{head};{text}\x1b\\\x1b]9;{head}: {text}\x1b\\"


class Notifier:
    """Decides how a new message is announced, and announces it."""

    def __init__(
        self,
        app: _NotifyingApp,
        *,
        enabled: bool = True,
        show_text: bool = True,
        write: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Announce through ``app``; ``write`` sends escape sequences to the terminal;
        ``clock`` tells when toasts were shown (seconds)."""
        self._app = app
        self._clock = clock
        self._toasts: deque[float] = deque()
        self.enabled = enabled
        """The one switch: False announces nothing."""
        self.show_text = show_text
        """Whether notifications show the message's text."""
        self.write = write
        """Where desktop notifications go (the terminal); None sends none."""

    def notice(self, title: str, body: str) -> None:
        """Announce a notification that is no message (the app's backend sent it): a
        toast, and a desktop notification; nothing when notifications are off."""
        if not self.enabled:
            return
        head = title or "imkit"
        text = body if self.show_text else HIDDEN_TEXT
        self._app.notify(text, title=head, timeout=6)
        if self.write is not None:
            self.write(desktop_sequence(head, text))

    def new_message(self, title: str, text: str, *, open_now: bool, muted: bool) -> None:
        """Announce a message that arrived in the conversation named ``title``.

        ``open_now`` says the conversation is the one on screen; ``muted`` that it is on
        do-not-disturb.
        """
        if not self.enabled or muted:
            return
        body = text if self.show_text else HIDDEN_TEXT
        away = not self._app.app_focus
        if not open_now and self._room_for_a_toast():
            self._app.notify(body, title=title, timeout=TOAST_SECONDS)
        if away and self.write is not None:
            self.write(desktop_sequence(title, body))
        if away or not open_now:
            self._app.bell()

    def _room_for_a_toast(self) -> bool:
        """Whether fewer than MAX_TOASTS message toasts show now (then one more is
        counted)."""
        now = self._clock()
        while self._toasts and now - self._toasts[0] >= TOAST_SECONDS:
            self._toasts.popleft()
        if len(self._toasts) >= MAX_TOASTS:
            return False
        self._toasts.append(now)
        return True

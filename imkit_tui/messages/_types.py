"""The two public value types: :class:`MessageKind` and :class:`MessageType`."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from ._text import one_line

Summarizer = Callable[[object], str]
"""Turns raw message content (anything) into a short text; may raise, may return ""."""

_LAST_RESORT = "[Message]"


class MessageKind(enum.StrEnum):
    """The four message classes of the service (see SEED-FEATURES, "Message classes")."""

    CONTENT = "content"
    """Sent between users and shown in the chat: text, voice, image, …"""
    NOTIFICATION = "notification"
    """A notice, usually shown as a grey bar."""
    STATUS = "status"
    """A transient state such as "typing": online only, never stored or counted."""
    SIGNALLING = "signalling"
    """Used by the SDK itself: calls, customer service, read receipts, recall."""


@dataclass(frozen=True, slots=True)
class MessageType:
    """One entry of the catalogue: an object name, its class, its flags and its summary.

    ``stored`` means the message is kept in cloud history and the local store and
    gets a sequence number; ``counted`` means it counts as unread for receivers;
    ``pushed`` means it triggers a notification (and an offline push); ``shown`` is
    False for a stored type that no chat shows as a message (a recall command, a receipt
    request, the placeholder of a deleted message).

    ``summarizer`` is optional and private to the type: it receives the raw content
    and returns a text. :meth:`summary` wraps it so that it never raises. Two types
    compare equal when all their other fields are equal.
    """

    object_name: str
    kind: MessageKind
    stored: bool
    counted: bool
    pushed: bool
    label: str
    fields: tuple[str, ...] = ()
    summarizer: Summarizer | None = field(default=None, compare=False, repr=False, kw_only=True)
    shown: bool = field(default=True, kw_only=True)

    def summary(self, content: object) -> str:
        """Return a one-line, non-empty preview of ``content``; never raises.

        ``content`` may be anything (``None``, a list, a dict with wrong field
        types, huge strings). When the summarizer is missing, raises, returns a
        non-string or a blank string, the result is ``f"[{label}]"``. The result
        is sanitised by :func:`one_line` (no line breaks or control characters,
        at most 500 characters).
        """
        summarizer = self.summarizer
        if summarizer is None:
            return self._fallback()
        try:
            raw = summarizer(content)
            line = one_line(raw) if isinstance(raw, str) else ""
        except Exception:
            line = ""
        return line or self._fallback()

    def _fallback(self) -> str:
        """Return ``[label]`` as one safe line, or ``[Message]`` if even that fails."""
        try:
            line = one_line(f"[{self.label}]")
        except Exception:
            return _LAST_RESORT
        return line if line != "[]" else _LAST_RESORT

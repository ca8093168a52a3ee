"""Chatroom attribute notices (``RC:chrmKVNotiMsg``) as grey lines.

Setting or removing a chatroom attribute sends one: ``type`` 1 sets ``key`` to
``value``, 2 removes ``key`` (RongCloud's values).
"""

from __future__ import annotations

from collections.abc import Mapping

from imkit_tui.ui.bubbles._fields import number, one_line
from imkit_tui.ui.bubbles.notice import NoticeBubble

_SET, _REMOVE = 1, 2
_MAX_KEY = 64
_MAX_VALUE = 120


def _text(content: object, key: str, limit: int) -> str:
    raw = content.get(key) if isinstance(content, Mapping) else None
    if isinstance(raw, str):
        return one_line(raw, limit=limit)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return ""


class ChatroomAttributeBubble(NoticeBubble):
    """A chatroom attribute set or removed, as a centred grey line. Never raises."""

    @property
    def notice(self) -> str:
        """The line shown."""
        content = self.message.content
        key = _text(content, "key", _MAX_KEY)
        kind = number(content.get("type") if isinstance(content, Mapping) else None)
        if key and kind == _REMOVE:
            return f"Chatroom attribute “{key}” removed"
        if key and kind == _SET:
            value = _text(content, "value", _MAX_VALUE)
            return f"Chatroom attribute “{key}” set to “{value}”"
        return "Chatroom attributes changed"

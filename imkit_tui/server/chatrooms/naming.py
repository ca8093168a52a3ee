"""How a chatroom is named on the wire and in the store."""

from __future__ import annotations

from imkit_tui.protocol import ConversationType, ConvRef


def room_key(room: str) -> str:
    """The key of a room's conversation (routing, the fan-out)."""
    return f"chatroom:{room}"


def room_conv(room: str) -> ConvRef:
    """The conversation of `room` as every member sees it."""
    return ConvRef(type=ConversationType.CHATROOM, target=room)

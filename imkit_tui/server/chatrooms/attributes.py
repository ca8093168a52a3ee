"""A room's attributes (KV) and the service's rules for them. No I/O.

At most `limit` keys per room. A key is set by a user; that user may update or remove it;
anyone else needs `overwrite` to replace it (a set) or `force` to remove it. Keys set
with `auto_delete` go when their setter leaves the room. A set or remove applies all its
keys or, when one is refused, none.
"""

from __future__ import annotations

from collections.abc import Sequence

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.protocol.chatroom_frames import MAX_ROOM_ATTRIBUTES, AttrSet, ChatroomAttr


class RoomAttributes:
    """One room's attributes, by key, in the order they were first set."""

    __slots__ = ("_attrs", "_limit")

    def __init__(self, limit: int = MAX_ROOM_ATTRIBUTES) -> None:
        self._limit = limit
        self._attrs: dict[str, ChatroomAttr] = {}

    def __len__(self) -> int:
        return len(self._attrs)

    def set(
        self, user: str, entries: Sequence[AttrSet], now_ms: int, request_id: int = 0
    ) -> list[ChatroomAttr]:
        """Write `entries` as `user` at `now_ms`; the attributes as written. Refused
        (nothing written) with 23424 for a key someone else set when its entry does not
        `overwrite`, and with 23423 when the room would hold more than its limit."""
        attrs = self._attrs
        new_keys = {e.key for e in entries if e.key not in attrs}
        if len(attrs) + len(new_keys) > self._limit:
            raise ProtocolError(
                ErrorCode.CHATROOM_KV_EXCEED,
                f"a room holds at most {self._limit} attributes",
                request_id,
            )
        for entry in entries:
            held = attrs.get(entry.key)
            if held is not None and held.setter != user and not entry.overwrite:
                raise ProtocolError(
                    ErrorCode.CHATROOM_KV_OVERWRITE_INVALID,
                    f"attribute {entry.key!r} was set by someone else",
                    request_id,
                )
        written = []
        for entry in entries:
            attr = ChatroomAttr(
                key=entry.key,
                value=entry.value,
                setter=user,
                set_at=now_ms,
                auto_delete=entry.auto_delete,
            )
            attrs[entry.key] = attr
            written.append(attr)
        return written

    def remove(
        self, user: str, keys: Sequence[str], *, force: bool, request_id: int = 0
    ) -> list[ChatroomAttr]:
        """Remove `keys` as `user`; the attributes removed. Refused (nothing removed)
        with 23427 for a key that does not exist, 23424 for a key someone else set
        unless `force`."""
        attrs = self._attrs
        for key in keys:
            held = attrs.get(key)
            if held is None:
                raise ProtocolError(
                    ErrorCode.CHATROOM_KV_KEY_NOT_FOUND, f"no attribute {key!r}", request_id
                )
            if held.setter != user and not force:
                raise ProtocolError(
                    ErrorCode.CHATROOM_KV_OVERWRITE_INVALID,
                    f"attribute {key!r} was set by someone else",
                    request_id,
                )
        return [attrs.pop(key) for key in dict.fromkeys(keys)]

    def listed(self, keys: Sequence[str] = ()) -> list[ChatroomAttr]:
        """The attributes named by `keys` that exist, or all of them when `keys` is empty."""
        if not keys:
            return list(self._attrs.values())
        return [self._attrs[k] for k in dict.fromkeys(keys) if k in self._attrs]

    def leave(self, user: str) -> list[ChatroomAttr]:
        """`user` left the room: their auto_delete attributes go; the ones removed."""
        gone = [a for a in self._attrs.values() if a.auto_delete and a.setter == user]
        for attr in gone:
            del self._attrs[attr.key]
        return gone

    def restore(self, attrs: Sequence[ChatroomAttr]) -> None:
        """Hold `attrs` (as kept by a snapshot), in their order."""
        self._attrs = {attr.key: attr for attr in attrs}

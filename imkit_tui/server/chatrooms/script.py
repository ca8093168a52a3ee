"""What an act decided that its replay on another node must repeat, not decide again:
the ids of the messages it posted and who auto-exited at each post. No I/O.

The node that runs an act first records them (`Script.recording()`); every other node
replays the act with the recorded script (`Script.replaying(body)`), so each node's copy
of the rooms ends the same, whatever its own auto-exit countdowns say.
"""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol.ids import new_uuid7


class Script:
    """The ids and auto-exits of one act, in the order they were decided."""

    __slots__ = ("_exits", "_next_exit", "_next_uid", "_uids", "replaying")

    def __init__(self, uids: list[str], exits: list[list[str]], replaying: bool) -> None:
        self._uids = uids
        self._exits = exits
        self._next_uid = 0
        self._next_exit = 0
        self.replaying = replaying
        """True on a node repeating an act another node ran."""

    @classmethod
    def recording(cls) -> Script:
        """A script to fill while running an act first."""
        return cls([], [], False)

    @classmethod
    def replaying_of(cls, body: dict[str, Any]) -> Script:
        """The script recorded in `body` (what :meth:`body` gave), to repeat."""
        uids = [str(u) for u in body.get("uids", [])]
        exits = [[str(u) for u in users] for users in body.get("exits", [])]
        return cls(uids, exits, True)

    def uid(self, at_ms: int) -> str:
        """The id of the next message the act posts."""
        if not self.replaying:
            uid = new_uuid7(at_ms)
            self._uids.append(uid)
            return uid
        if self._next_uid >= len(self._uids):
            raise ValueError("the act posts more messages than when it was first run")
        self._next_uid += 1
        return self._uids[self._next_uid - 1]

    def exits(self, decided: list[str]) -> list[str]:
        """Who leaves after the next post: `decided` when running first, else what was
        recorded."""
        if not self.replaying:
            self._exits.append(decided)
            return decided
        if self._next_exit >= len(self._exits):
            return []
        self._next_exit += 1
        return self._exits[self._next_exit - 1]

    def body(self) -> dict[str, Any]:
        """What was recorded, JSON-ready."""
        body: dict[str, Any] = {}
        if self._uids:
            body["uids"] = self._uids
        if any(self._exits):
            body["exits"] = self._exits
        return body

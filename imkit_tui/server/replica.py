"""State kept the same on several nodes by a log of acts (pg/act_log.py): what a part
of the server (the chatrooms, the customer-service desk) offers the log, and what an act
decided that its replay on another node must repeat, not decide again. No I/O.

Each node holds a copy (a :class:`Replica`). An act is a name and JSON-ready arguments;
the node that runs it first runs it on its copy, caught up with the log, and records in
a :class:`Script` the ids it made and the choices that hang on the node (who auto-exits
at each post); every other node replays the act with that script, so every copy ends
the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.session import Session


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


class Replica(Protocol):
    """A part of the server whose state a log of acts keeps the same on every node."""

    clock: Callable[[], int]
    """The time in ms."""

    def apply(
        self, name: str, args: list[Any], at_ms: int, script: Script, skip: Session | None
    ) -> Any:
        """Run act `name` at `at_ms` under `script`; its result (ProtocolError: refused,
        and nothing changed)."""
        ...

    def hold(self) -> None:
        """Hold what acts do to devices until :meth:`release`."""
        ...

    def release(self, committed: bool) -> None:
        """Do what was held (the acts were committed), or forget it."""
        ...

    def renew(self) -> None:
        """Start from nothing (a snapshot is restored next)."""
        ...

    def snapshot(self, at_ms: int) -> dict[str, Any]:
        """The whole state, JSON-ready, as of the last act (at `at_ms`)."""
        ...

    def restore(self, saved: dict[str, Any], at_ms: int) -> None:
        """Bring back a :meth:`snapshot` into a renewed replica."""
        ...

    def nodes(self) -> set[str]:
        """The nodes some user is online on, as the acts said."""
        ...

    def due(self, at_ms: int) -> list[tuple[str, list[Any]]]:
        """The acts time calls for at `at_ms` (away members leaving, idle rooms going)."""
        ...

    def lift(self) -> None:
        """What time does here only (marks ended, told to this node's devices)."""
        ...

    def carry(self, result: Any) -> None:
        """Carry out what an act the log ran by itself decided (a node gone, what time
        called for), committed: its result, as :meth:`apply` gave it."""
        ...


class SharedLog(Protocol):
    """The log of acts of several nodes (pg/act_log.py): acts in one order for all."""

    node: str
    """This node's name in the log."""

    async def run(self, name: str, args: list[Any], skip: Session | None) -> Any:
        """Run act `name` here after every act logged before it, and log it; its result."""
        ...

    def submit(self, name: str, args: list[Any], skip: Session | None) -> asyncio.Future[Any]:
        """Queue act `name` now, in call order; a future of its result."""
        ...

    async def catch_up(self) -> None:
        """Apply every act committed so far (before a read that must see them all)."""
        ...

    async def start(self) -> None:
        """Bring this node's replica up to the log."""
        ...

    async def tick(self) -> None:
        """What every node does every sweep: say it is alive, apply what time did."""
        ...

    async def close(self) -> None:
        """Stop following the log."""
        ...

"""Request/answer matching: ids for requests, and where each frame from the server goes.

A request gets the next id; the server's answer names it in `re`. A frame is a push
(a message as it happens, or a state change no request asked for), the answer to a
request still waited for, or neither: a late answer (its request timed out) is dropped,
and an error frame answering nothing with a terminal code ends the session for good.
The waiter of each request is whatever the caller keeps (a future): nothing here waits.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

from imkit_tui.protocol import (
    TERMINAL_CODES,
    ChatroomEvent,
    ConversationUpdate,
    CsAgentState,
    ErrorFrame,
    Frame,
    Notice,
    PrivacyState,
    Push,
    ReceiptState,
    ServerFrame,
    UltraDeleted,
    UltraInfo,
    UltraUpdate,
)

PUSHED_STATES = (
    ConversationUpdate,
    PrivacyState,
    ReceiptState,
    ChatroomEvent,
    UltraInfo,
    UltraUpdate,
    UltraDeleted,
    CsAgentState,
)
"""Frames that answer a request, or (with `re` 0) tell of a change no request asked for."""

W = TypeVar("W")


class FrameRoute(enum.Enum):
    """Where a frame from the server goes."""

    PUSH = "push"
    ANSWER = "answer"
    DROPPED = "dropped"
    TERMINAL = "terminal"
    """An error answering no request, with a terminal code: the session is over."""


def is_push(frame: ServerFrame) -> bool:
    """True for a frame no request asked for: a pushed message or notice, a state change,
    a chatroom event."""
    return isinstance(frame, Push | Notice) or (isinstance(frame, PUSHED_STATES) and not frame.re)


class Requests(Generic[W]):
    """The requests waiting for their answer, each with its waiter."""

    def __init__(self) -> None:
        self._next_id = 0
        self._waiting: dict[int, W] = {}

    def open(self, frame: Frame, waiter: W) -> int:
        """Give `frame` the next id and keep `waiter` until :meth:`close`."""
        self._next_id += 1
        frame.id = self._next_id
        self._waiting[frame.id] = waiter
        return frame.id

    def close(self, request_id: int) -> None:
        """The request is over (answered, timed out, cancelled)."""
        self._waiting.pop(request_id, None)

    def waiter(self, request_id: int) -> W | None:
        """The waiter of a request still waited for."""
        return self._waiting.get(request_id) if request_id else None

    def route(self, frame: ServerFrame) -> tuple[FrameRoute, W | None]:
        """Where `frame` goes, and for an answer the waiter of its request."""
        if is_push(frame):
            return FrameRoute.PUSH, None
        waiter = self.waiter(frame.re)
        if waiter is not None:
            return FrameRoute.ANSWER, waiter
        if isinstance(frame, ErrorFrame) and not frame.re and frame.code in TERMINAL_CODES:
            return FrameRoute.TERMINAL, None
        return FrameRoute.DROPPED, None

    def lost(self) -> list[W]:
        """The connection dropped: every waiter still waiting (now forgotten)."""
        waiters = list(self._waiting.values())
        self._waiting.clear()
        return waiters

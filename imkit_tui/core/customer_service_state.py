"""Where a customer's conversation with a customer service stands, and how the
service's signalling moves it. Sans-I/O: :func:`apply_signal` is a pure function."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol.conversation import ConversationType, ConvRef

ROBOT, QUEUED, HUMAN, ENDED, CLOSED = "robot", "queued", "human", "ended", ""
"""The modes: the robot answers, waiting for a person, a person answers, ended (a
rating may be due), not opened yet."""
_STATUS_MODES = {1: ROBOT, 2: HUMAN, 3: QUEUED}
"""RC:CsUpdate's `serviceStatus` as a mode."""


def service_conv(account: str) -> ConvRef:
    """The conversation with the customer service `account` (as a customer)."""
    return ConvRef(type=ConversationType.CUSTOMER_SERVICE, target=account)


@dataclass(frozen=True, slots=True)
class CsState:
    """A conversation with the customer service `account`, as this user sees it."""

    account: str
    sid: str = ""
    mode: str = CLOSED
    agent: str = ""
    position: int = 0
    rating_due: bool = False
    leave_message: bool = False
    notice: str = ""

    @property
    def label(self) -> str:
        """A short line for the chat header: who answers now."""
        if self.mode == HUMAN:
            return f"agent {self.agent}" if self.agent else "agent"
        if self.mode == QUEUED:
            return f"waiting for an agent (#{self.position})" if self.position else "waiting"
        if self.mode == ROBOT:
            return "robot"
        if self.mode == ENDED:
            return "ended"
        return ""

    def encode(self) -> str:
        """The state as JSON, for the store."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, account: str, text: str) -> CsState:
        """A state from the store's JSON (a fresh one when unreadable: never raises)."""
        try:
            data = json.loads(text)
            return cls(**{**data, "account": account})
        except (ValueError, TypeError):
            return cls(account)


def apply_signal(state: CsState, object_name: str, content: dict[str, Any]) -> CsState:
    """`state` after the service's signalling `object_name` (`content`)."""
    if object_name == messages.CS_HANDSHAKE_RESPONSE:
        return replace(
            state,
            sid=str(content.get("sid", "")),
            mode=state.mode if state.mode not in (CLOSED, ENDED) else ROBOT,
            rating_due=False,
            leave_message=False,
            notice="",
        )
    if object_name == messages.CS_UPDATE:
        mode = _STATUS_MODES.get(_int(content.get("serviceStatus")), state.mode)
        return replace(
            state,
            sid=str(content.get("sid", state.sid)),
            mode=mode,
            agent=str(content.get("agent", "")) if mode == HUMAN else "",
            position=_int(content.get("position")) if mode == QUEUED else 0,
            leave_message=False if mode != ROBOT else state.leave_message,
        )
    if object_name == messages.CS_END:
        return replace(state, mode=ENDED, agent="", position=0, notice=str(content.get("msg", "")))
    if object_name == messages.CS_PULL_EVALUATION:
        return replace(state, rating_due=True)
    if object_name == messages.CS_PULL_LEAVE_MESSAGE:
        return replace(state, leave_message=True, notice=str(content.get("content", "")))
    return state


def _int(value: object) -> int:
    """`value` as an int (0 when it is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

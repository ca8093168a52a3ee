"""The login: the Hello to send, and what the server's first frame means.

A connection opens with a Hello naming the versions this client speaks, its token and
its device. The first frame back decides the attempt: a Welcome in a version offered
is :class:`Ready`; an error with a terminal code (a bad or expired token, no common
version, a blocked user) is :class:`Refused`, for good, and no retry may follow; any
other answer (another error, an unreadable frame, a frame that is not a Welcome) is
:class:`Retry`, the connection tries again after its backoff.
"""

from __future__ import annotations

from dataclasses import dataclass

from imkit_tui import __version__
from imkit_tui.protocol import (
    SUPPORTED_VERSIONS,
    TERMINAL_CODES,
    ErrorCode,
    ErrorFrame,
    Hello,
    ProtocolError,
    Welcome,
    decode_server_frame,
)


@dataclass(frozen=True, slots=True)
class Ready:
    """The login was accepted: the session runs under `welcome`."""

    welcome: Welcome


@dataclass(frozen=True, slots=True)
class Refused:
    """The server ended the session for good; reconnecting would be refused again."""

    code: int
    message: str


@dataclass(frozen=True, slots=True)
class Retry:
    """This attempt failed for a passing reason: try again after the backoff."""

    reason: str


LoginOutcome = Ready | Refused | Retry


def hello(token: str, device: str) -> Hello:
    """The first frame of every connection: the versions spoken, `token`, `device`."""
    return Hello(
        id=0,
        versions=list(SUPPORTED_VERSIONS),
        token=token,
        device=device,
        client=f"imkit/{__version__}",
    )


def answer_login(raw: bytes) -> LoginOutcome:
    """What the server's first frame (`raw`, its bytes) says about the login."""
    try:
        frame = decode_server_frame(raw)
    except ProtocolError as exc:
        return Retry(f"bad answer to hello: {exc}")
    if isinstance(frame, ErrorFrame):
        if frame.code in TERMINAL_CODES:
            return Refused(frame.code, frame.message)
        return Retry(f"login failed: {frame.code} {frame.message}")
    if not isinstance(frame, Welcome):
        return Retry(f"expected welcome, got {type(frame).__name__}")
    if frame.version not in SUPPORTED_VERSIONS:
        return Refused(ErrorCode.PROTOCOL_VERSION, f"server chose version {frame.version}")
    return Ready(frame)

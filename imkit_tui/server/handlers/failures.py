"""How a failed request is answered: its error frame, on its own connection only."""

from __future__ import annotations

import logging

from imkit_tui.protocol import ErrorCode, ErrorFrame, ProtocolError
from imkit_tui.server.session import Session
from imkit_tui.server.unusable import NotPorted

log = logging.getLogger("imkit_tui.server.app")


def error_frame(exc: ProtocolError) -> ErrorFrame:
    """The error frame saying `exc`."""
    return ErrorFrame(re=exc.reply_to, code=exc.code, message=exc.message)


def answer_failure(session: Session, request_id: int, exc: Exception) -> None:
    """A request failed: its error frame (an internal error, logged, unless refused)."""
    if isinstance(exc, ProtocolError):
        session.send(error_frame(exc))
        return
    if isinstance(exc, NotPorted):  # the store lacks the part: say so, nothing to log
        session.send(ErrorFrame(re=request_id, code=ErrorCode.INTERNAL_ERROR, message=str(exc)))
        return
    log.error("request %s of %s failed", request_id, session.user_id, exc_info=exc)
    session.send(ErrorFrame(re=request_id, code=ErrorCode.INTERNAL_ERROR, message="internal error"))

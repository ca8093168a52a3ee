"""Customer-service lines (``RC:CSCha``, ``RC:CsHsR``, ``RC:CsEnd``…) as grey notices.

The customer-service signalling switches between robot and human agents, opens and
ends a session, and asks for a rating or a left message. Each shows as one centred line
saying what happened, with the server's own wording (``msg``) when it sent one.
"""

from __future__ import annotations

from collections.abc import Mapping

from imkit_tui import messages
from imkit_tui.ui.bubbles._fields import number, one_line
from imkit_tui.ui.bubbles.notice import NoticeBubble

CUSTOMER_SERVICE_TYPES: tuple[str, ...] = (
    messages.CS_CHANGE_MODE,
    messages.CS_CHANGE_MODE_RESPONSE,
    messages.CS_HANDSHAKE,
    messages.CS_HANDSHAKE_RESPONSE,
    messages.CS_SUSPEND,
    messages.CS_END,
    messages.CS_UPDATE,
    messages.CS_PULL_EVALUATION,
    messages.CS_EVALUATION,
    messages.CS_PULL_LEAVE_MESSAGE,
    messages.CS_LEAVE_MESSAGE,
)
"""Every customer-service object name this bubble shows."""

_FIXED: dict[str, str] = {
    messages.CS_CHANGE_MODE: "Asked for a human agent",
    messages.CS_HANDSHAKE: "Connecting to customer service…",
    messages.CS_HANDSHAKE_RESPONSE: "Connected to customer service",
    messages.CS_SUSPEND: "Customer service put the conversation on hold",
    messages.CS_END: "Customer service ended the conversation",
    messages.CS_PULL_EVALUATION: "Please rate this conversation",
    messages.CS_PULL_LEAVE_MESSAGE: "No agent is available: leave a message",
    messages.CS_LEAVE_MESSAGE: "Message left for customer service",
}

# RongCloud's CustomerServiceStatus: who serves the conversation now.
_SERVICE_STATUS = {
    1: "Now chatting with a robot",
    2: "Now chatting with a human agent",
    3: "Now chatting with a robot (a human agent is available)",
    4: "Now chatting with a human agent (a robot is available)",
}
_MAX_STARS = 5


def _field(content: object, key: str) -> object:
    return content.get(key) if isinstance(content, Mapping) else None


def _server_text(content: object) -> str:
    raw = _field(content, "msg")
    return one_line(raw, limit=200) if isinstance(raw, str) else ""


class CustomerServiceBubble(NoticeBubble):
    """One customer-service event as a centred grey line. Never raises."""

    @property
    def notice(self) -> str:
        """The line shown."""
        name, content = self.message.object_name, self.message.content
        if name == messages.CS_UPDATE:
            status = number(_field(content, "serviceStatus"))
            found = _SERVICE_STATUS.get(int(status)) if status is not None else None
            return found or "Customer service status changed"
        if name == messages.CS_CHANGE_MODE_RESPONSE:
            status = number(_field(content, "status"))
            return "Switched to a human agent" if status == 1 else "Could not reach a human agent"
        if name == messages.CS_EVALUATION:
            stars = number(_field(content, "source"))
            if stars is not None and 1 <= stars <= _MAX_STARS:
                count = int(stars)
                return f"Rated the service {'★' * count}{'☆' * (_MAX_STARS - count)}"
            return "Rated the service"
        if name in (messages.CS_HANDSHAKE_RESPONSE, messages.CS_END):
            said = _server_text(content)
            if said:
                return said
        return _FIXED.get(name) or super().notice

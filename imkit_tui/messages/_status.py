"""Status messages: transient states, delivered to online users only.

Not stored, not counted, not pushed (SEED-FEATURES: "Status messages").
"""

from __future__ import annotations

from . import _names as names
from ._types import MessageKind, MessageType


def _status(object_name: str, label: str, fields: tuple[str, ...]) -> MessageType:
    """Build a status type: nothing stored, counted or pushed."""
    return MessageType(
        object_name=object_name,
        kind=MessageKind.STATUS,
        stored=False,
        counted=False,
        pushed=False,
        label=label,
        fields=fields,
    )


STATUS_TYPES: tuple[MessageType, ...] = (
    _status(names.TYPING, "Typing", ("typingContentType",)),
    # The group read-receipt response: who has read which message. RongCloud lists
    # it with the read-receipt signalling too; its flags are those of a status.
    _status(names.READ_RECEIPT_RESPONSE, "Read receipt", ("receiptMessageDic",)),
)
"""Every built-in status type."""

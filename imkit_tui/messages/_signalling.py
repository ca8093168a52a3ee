"""Signalling messages: used by the SDK itself (calls, customer service, receipts).

By default they are not stored, not counted and not pushed. The exceptions, each
explained where it is defined: RC:RcCmd (recall) is stored, RC:VCInvite is stored
and pushed, RC:VCHangup is stored.

``RC:VCHangup.duration`` is in **milliseconds** (like RongCloud's call summary
``timeLong`` and every timestamp on the wire), unlike the seconds of voice and
short-video content.
"""

from __future__ import annotations

from . import _names as names
from . import _summaries as s
from ._types import MessageKind, MessageType, Summarizer

_CALL_FIELDS = ("callId", "mediaType")
_CS_SESSION_FIELDS = ("uid", "sid", "pid")


def _is_video(content: object) -> bool:
    """Whether ``mediaType`` says video (2); anything else counts as audio (1)."""
    return s.integer(s.get(content, "mediaType")) == names.MEDIA_VIDEO


def _call_invite(content: object) -> str:
    """``[Video call]`` for a video call, else ``[Call]``."""
    return "[Video call]" if _is_video(content) else "[Call]"


def _call_hangup(content: object) -> str:
    """``Voice call · 3:12`` / ``Video call · 3:12`` from ``duration`` (ms), else ``Call ended``.

    A missing, invalid or zero duration means the call never connected.
    """
    length = s.duration(s.get(content, "duration"), milliseconds=True)
    if length is None or length == "0:00":
        return "Call ended"
    kind = "Video call" if _is_video(content) else "Voice call"
    return f"{kind} · {length}"


def _recall(content: object) -> str:
    """Always ``Message recalled``."""
    return "Message recalled"


def _edit(content: object) -> str:
    """Always ``Message edited``."""
    return "Message edited"


def _signalling(
    object_name: str,
    label: str,
    fields: tuple[str, ...],
    summarizer: Summarizer | None = None,
    *,
    stored: bool = False,
    pushed: bool = False,
    shown: bool = True,
) -> MessageType:
    """Build a signalling type: never counted; not stored or pushed unless said."""
    return MessageType(
        object_name=object_name,
        kind=MessageKind.SIGNALLING,
        stored=stored,
        counted=False,
        pushed=pushed,
        label=label,
        fields=fields,
        summarizer=summarizer,
        shown=shown,
    )


CALL_TYPES: tuple[MessageType, ...] = (
    _signalling(names.CALL_ACCEPT, "Call accepted", _CALL_FIELDS),
    # The hang-up is stored: it is the call summary line in the chat ("Voice call ·
    # 3:12"). Not pushed: the invite already rang, and a hang-up only ends it.
    _signalling(
        names.CALL_HANGUP,
        "Call ended",
        ("callId", "reason", "mediaType", "duration"),
        _call_hangup,
        stored=True,
    ),
    # The invite is stored (a "[Call]" line in the chat) and pushed (it must ring an
    # offline device). Not counted: an answered call would otherwise stay unread.
    _signalling(
        names.CALL_INVITE,
        "Call",
        (
            "callId",
            "engineType",
            "channelInfo",
            "mediaType",
            "inviteUserIds",
            "observerUserIds",
            "extra",
        ),
        _call_invite,
        stored=True,
        pushed=True,
    ),
    _signalling(names.CALL_MODIFY_MEDIA, "Call media changed", _CALL_FIELDS),
    _signalling(
        names.CALL_MODIFY_MEMBER,
        "Call members changed",
        (
            "callId",
            "modifyMemType",
            "callerId",
            "engineType",
            "channelInfo",
            "mediaType",
            "invitedList",
            "existedMemberStatusList",
            "observerUserIds",
            "extra",
        ),
    ),
    _signalling(names.CALL_RINGING, "Ringing", ("callId",)),
)
"""Audio/video call signalling."""

CUSTOMER_SERVICE_TYPES: tuple[MessageType, ...] = (
    _signalling(names.CS_CHANGE_MODE, "Customer service mode change", _CS_SESSION_FIELDS),
    _signalling(
        names.CS_CHANGE_MODE_RESPONSE, "Customer service mode changed", ("status", "errorMsg")
    ),
    _signalling(names.CS_HANDSHAKE, "Customer service handshake", ()),
    _signalling(
        names.CS_HANDSHAKE_RESPONSE,
        "Customer service connected",
        (*_CS_SESSION_FIELDS, "code", "msg", "data"),
    ),
    _signalling(names.CS_SUSPEND, "Customer service hang-up", _CS_SESSION_FIELDS),
    _signalling(names.CS_END, "Customer service ended", ("code", "msg", "sid")),
    _signalling(names.CS_UPDATE, "Customer service status", ("serviceStatus", "sid")),
    _signalling(names.CS_PULL_EVALUATION, "Rating request", ("msgId",)),
    _signalling(
        names.CS_EVALUATION,
        "Rating",
        (*_CS_SESSION_FIELDS, "source", "suggest", "isresolve", "type"),
    ),
    _signalling(names.CS_PULL_LEAVE_MESSAGE, "Leave-a-message request", ("content",)),
    _signalling(names.CS_LEAVE_MESSAGE, "Leave a message", ("dataSet",)),
)
"""Customer-service signalling: mode switch robot/human, handshake, hang-up, rating, leave a
message."""

OTHER_SIGNALLING_TYPES: tuple[MessageType, ...] = (
    # Read receipts: sync of the read mark to one's other devices, and the group
    # receipt request. (The response, RC:RRRspMsg, is a status message.) The request
    # is stored, not counted: members away when it was made learn of it in their sync.
    _signalling(names.SYNC_READ_STATUS, "Read status sync", ("lastMessageSendTime",)),
    _signalling(
        names.READ_RECEIPT_REQUEST,
        "Read receipt request",
        ("messageUId",),
        stored=True,
        shown=False,
    ),
    _signalling(names.USER_INFO_UPDATE, "User info update", ("userInfo",)),
    # A recall is stored: it is an event with its own sequence number that points at
    # the original message and leaves the grey "recalled" notice in its place. Not
    # counted (nothing new to read) and not pushed (a push saying that something
    # vanished is noise; the client clears a pending notification instead).
    _signalling(
        names.RECALL,
        "Recall",
        ("messageUId", "conversationType", "targetId", "sentTime"),
        _recall,
        stored=True,
        shown=False,
    ),
    # An edit is stored for the same reason: an event with its own seq, so a device that
    # was away finds it by pulling; `content` is the message's new content. Not counted
    # and not pushed offline (the message was already counted and notified once).
    _signalling(
        names.EDIT,
        "Edit",
        ("messageUId", "seq", "content"),
        _edit,
        stored=True,
        shown=False,
    ),
)
"""Read-receipt signalling, user info update, recall and edit."""

SIGNALLING_TYPES: tuple[MessageType, ...] = (
    *CALL_TYPES,
    *CUSTOMER_SERVICE_TYPES,
    *OTHER_SIGNALLING_TYPES,
)
"""Every built-in signalling type."""

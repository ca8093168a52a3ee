"""The message-type catalogue: every RongCloud message type, its flags and its summary.

Sans-I/O and standard library only. Each object name (``"RC:TxtMsg"``, …) maps
to a :class:`MessageType` that says what kind of message it is, whether it is
stored (history, local store, sequence number), counted as unread and pushed,
and how its content reads as one line of text::

    from imkit_tui import messages

    kind = messages.lookup(messages.TEXT)
    kind.stored, kind.counted            # (True, True)
    messages.summarize(messages.VOICE, {"duration": 12})   # "[Voice] 0:12"

:func:`read_mentions` and :func:`mention_info` read and build RongCloud's
``mentionedInfo`` (@mentions) of a content.

Summaries never raise and are always one non-empty line of at most 500
characters. Unknown object names are never rejected: they are treated as
stored, counted and pushed content that summarises as ``[Unsupported: name]``.
Plugins add types with :func:`register`.
"""

from __future__ import annotations

from ._builders import text_content
from ._mentions import MENTION_ALL, MENTION_USERS, mention_info, mentions_user, read_mentions
from ._names import (
    CALL_ACCEPT,
    CALL_HANGUP,
    CALL_INVITE,
    CALL_MODIFY_MEDIA,
    CALL_MODIFY_MEMBER,
    CALL_RINGING,
    CHATROOM_KV_NTF,
    CMD,
    CMD_NTF,
    COMBINE,
    CONTACT_NTF,
    CS_CHANGE_MODE,
    CS_CHANGE_MODE_RESPONSE,
    CS_END,
    CS_EVALUATION,
    CS_HANDSHAKE,
    CS_HANDSHAKE_RESPONSE,
    CS_LEAVE_MESSAGE,
    CS_PULL_EVALUATION,
    CS_PULL_LEAVE_MESSAGE,
    CS_SUSPEND,
    CS_UPDATE,
    DELETED,
    FILE,
    GIF,
    GROUP_NTF,
    IMAGE,
    INFO_NTF,
    LOCATION,
    MEDIA_AUDIO,
    MEDIA_VIDEO,
    PROFILE_NTF,
    PS_ARTICLE,
    PS_CMD,
    PS_MULTI_ARTICLE,
    READ_NTF,
    READ_RECEIPT_REQUEST,
    READ_RECEIPT_RESPONSE,
    RECALL,
    RECALL_NTF,
    RICH_CONTENT,
    SIGHT,
    SYNC_READ_STATUS,
    TEXT,
    TYPING,
    USER_INFO_UPDATE,
    VOICE,
    VOICE_LEGACY,
)
from ._notifications import group_membership
from ._registry import all_types, is_known, lookup, register, summarize
from ._types import MessageKind, MessageType

__all__ = [
    "CALL_ACCEPT",
    "CALL_HANGUP",
    "CALL_INVITE",
    "CALL_MODIFY_MEDIA",
    "CALL_MODIFY_MEMBER",
    "CALL_RINGING",
    "CHATROOM_KV_NTF",
    "CMD",
    "CMD_NTF",
    "COMBINE",
    "CONTACT_NTF",
    "CS_CHANGE_MODE",
    "CS_CHANGE_MODE_RESPONSE",
    "CS_END",
    "CS_EVALUATION",
    "CS_HANDSHAKE",
    "CS_HANDSHAKE_RESPONSE",
    "CS_LEAVE_MESSAGE",
    "CS_PULL_EVALUATION",
    "CS_PULL_LEAVE_MESSAGE",
    "CS_SUSPEND",
    "CS_UPDATE",
    "DELETED",
    "FILE",
    "GIF",
    "GROUP_NTF",
    "IMAGE",
    "INFO_NTF",
    "LOCATION",
    "MEDIA_AUDIO",
    "MEDIA_VIDEO",
    "MENTION_ALL",
    "MENTION_USERS",
    "PROFILE_NTF",
    "PS_ARTICLE",
    "PS_CMD",
    "PS_MULTI_ARTICLE",
    "READ_NTF",
    "READ_RECEIPT_REQUEST",
    "READ_RECEIPT_RESPONSE",
    "RECALL",
    "RECALL_NTF",
    "RICH_CONTENT",
    "SIGHT",
    "SYNC_READ_STATUS",
    "TEXT",
    "TYPING",
    "USER_INFO_UPDATE",
    "VOICE",
    "VOICE_LEGACY",
    "MessageKind",
    "MessageType",
    "all_types",
    "group_membership",
    "is_known",
    "lookup",
    "mention_info",
    "mentions_user",
    "read_mentions",
    "register",
    "summarize",
    "text_content",
]

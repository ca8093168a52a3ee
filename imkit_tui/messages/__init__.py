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

The names below load on first use (:func:`imkit_tui.lazy.lazy_names`): importing the
package costs nothing until a name is looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
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
        EDIT,
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
    from ._notifications import group_membership, recalled_by_admin
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
    "EDIT",
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
    "recalled_by_admin",
    "register",
    "summarize",
    "text_content",
]

_BUILDERS = "imkit_tui.messages._builders"
_MENTIONS = "imkit_tui.messages._mentions"
_NAMES = "imkit_tui.messages._names"
_NOTIFICATIONS = "imkit_tui.messages._notifications"
_REGISTRY = "imkit_tui.messages._registry"
_TYPES = "imkit_tui.messages._types"
__getattr__ = lazy_names(
    __name__,
    {
        "CALL_ACCEPT": _NAMES,
        "CALL_HANGUP": _NAMES,
        "CALL_INVITE": _NAMES,
        "CALL_MODIFY_MEDIA": _NAMES,
        "CALL_MODIFY_MEMBER": _NAMES,
        "CALL_RINGING": _NAMES,
        "CHATROOM_KV_NTF": _NAMES,
        "CMD": _NAMES,
        "CMD_NTF": _NAMES,
        "COMBINE": _NAMES,
        "CONTACT_NTF": _NAMES,
        "CS_CHANGE_MODE": _NAMES,
        "CS_CHANGE_MODE_RESPONSE": _NAMES,
        "CS_END": _NAMES,
        "CS_EVALUATION": _NAMES,
        "CS_HANDSHAKE": _NAMES,
        "CS_HANDSHAKE_RESPONSE": _NAMES,
        "CS_LEAVE_MESSAGE": _NAMES,
        "CS_PULL_EVALUATION": _NAMES,
        "CS_PULL_LEAVE_MESSAGE": _NAMES,
        "CS_SUSPEND": _NAMES,
        "CS_UPDATE": _NAMES,
        "DELETED": _NAMES,
        "FILE": _NAMES,
        "GIF": _NAMES,
        "GROUP_NTF": _NAMES,
        "IMAGE": _NAMES,
        "INFO_NTF": _NAMES,
        "LOCATION": _NAMES,
        "MEDIA_AUDIO": _NAMES,
        "MEDIA_VIDEO": _NAMES,
        "MENTION_ALL": _MENTIONS,
        "MENTION_USERS": _MENTIONS,
        "MessageKind": _TYPES,
        "MessageType": _TYPES,
        "PROFILE_NTF": _NAMES,
        "PS_ARTICLE": _NAMES,
        "PS_CMD": _NAMES,
        "PS_MULTI_ARTICLE": _NAMES,
        "READ_NTF": _NAMES,
        "READ_RECEIPT_REQUEST": _NAMES,
        "READ_RECEIPT_RESPONSE": _NAMES,
        "RECALL": _NAMES,
        "EDIT": _NAMES,
        "RECALL_NTF": _NAMES,
        "RICH_CONTENT": _NAMES,
        "SIGHT": _NAMES,
        "SYNC_READ_STATUS": _NAMES,
        "TEXT": _NAMES,
        "TYPING": _NAMES,
        "USER_INFO_UPDATE": _NAMES,
        "VOICE": _NAMES,
        "VOICE_LEGACY": _NAMES,
        "all_types": _REGISTRY,
        "group_membership": _NOTIFICATIONS,
        "recalled_by_admin": _NOTIFICATIONS,
        "is_known": _REGISTRY,
        "lookup": _REGISTRY,
        "mention_info": _MENTIONS,
        "mentions_user": _MENTIONS,
        "read_mentions": _MENTIONS,
        "register": _REGISTRY,
        "summarize": _REGISTRY,
        "text_content": _BUILDERS,
    },
)

"""Notification messages: notices, usually shown as a grey bar.

Per the "Notification messages" table of SEED-FEATURES they are stored, not
counted and not pushed, except RC:ReadNtf, RC:PSCmd and RC:CmdMsg, which are
not stored either (they act on the client and leave nothing to show).
"""

from __future__ import annotations

from collections.abc import Callable

from . import _names as names
from . import _summaries as s
from ._types import MessageKind, MessageType, PersonalSummarizer, Summarizer

# Group notification operations (RongCloud's GroupNotificationMessage), lower-cased.
_GROUP_CREATE = "create"
_GROUP_ADD = "add"
_GROUP_QUIT = "quit"
_GROUP_DISMISS = "dismiss"
_GROUP_KICKED = "kicked"
_GROUP_RENAME = "rename"
_GROUP_BULLETIN = "bulletin"


def _info(content: object) -> str:
    """The grey bar's ``message``."""
    return s.text(content, "message") or ""


def recalled_by_admin(content: object) -> bool:
    """Whether a recall (its command or the notice it leaves) was made by the app's
    administrator (the Server API's `isAdmin`)."""
    return isinstance(content, dict) and content.get("isAdmin") in (1, True, "1")


def _recalled(content: object, viewer: str | None = None) -> str:
    """``alice recalled a message`` from the operator (``You`` for the viewer), else
    ``Message recalled``."""
    if recalled_by_admin(content):
        return "An administrator recalled a message"
    operator = s.text(content, "operatorId")
    if not operator:
        return "Message recalled"
    return f"{s.person(operator, operator, viewer, start=True)} recalled a message"


def _recalled_for(content: object, viewer: str) -> str:
    return _recalled(content, viewer)


def _contact(content: object) -> str:
    """The ``message`` (e.g. "Hi, I am bob"), else ``[Contact notification]``."""
    return s.text(content, "message") or ""


class _Group:
    """The parts of an ``RC:GrpNtf`` needed to write a sentence about it, for a reader."""

    __slots__ = ("data", "operator", "operator_id", "target_ids", "targets")

    def __init__(self, content: object, viewer: str | None = None) -> None:
        """Read the operator and targets from ``content`` and its ``data``.

        ``data`` may be a mapping or, as RongCloud sends it, a JSON string with
        ``operatorNickname``, ``targetUserIds``, ``targetUserDisplayNames`` and
        ``targetGroupName``. Display names win over user ids; the ``viewer`` (the
        reader's user id) is "You" as the operator and "you" among the targets.
        """
        self.data = s.mapping(s.get(content, "data")) or {}
        self.operator_id = s.text(content, "operatorUserId")
        nickname = s.text(self.data, "operatorNickname") or self.operator_id
        self.operator = (
            s.person(self.operator_id, nickname, viewer, start=True) if nickname else None
        )
        self.target_ids = s.items(s.get(self.data, "targetUserIds"))
        shown = s.items(s.get(self.data, "targetUserDisplayNames")) or self.target_ids
        self.targets = s.names(
            [
                s.person(_at(self.target_ids, i), name, viewer, start=False)
                if isinstance(name, str)
                else name
                for i, name in enumerate(shown)
            ]
        )

    def joined_by_self(self) -> bool:
        """Whether the operator added only themself, i.e. joined."""
        return self.operator_id is not None and self.target_ids == [self.operator_id]


def _at(values: list[object], index: int) -> object:
    """``values[index]``, or None past the end."""
    return values[index] if index < len(values) else None


def _group_create(op: str, group: _Group) -> str | None:
    return f"{op} created the group"


def _group_add(op: str, group: _Group) -> str | None:
    if group.joined_by_self():
        return f"{op} joined the group"
    return f"{op} added {group.targets}" if group.targets else None


def _group_quit(op: str, group: _Group) -> str | None:
    return f"{op} quit the group"


def _group_dismiss(op: str, group: _Group) -> str | None:
    return f"{op} dismissed the group"


def _group_kicked(op: str, group: _Group) -> str | None:
    return f"{op} removed {group.targets}" if group.targets else None


def _group_rename(op: str, group: _Group) -> str | None:
    name = s.text(group.data, "targetGroupName")
    return f"{op} renamed the group to {name}" if name else f"{op} renamed the group"


def _group_bulletin(op: str, group: _Group) -> str | None:
    return f"{op} updated the group announcement"


_GROUP_SENTENCES: dict[str, Callable[[str, _Group], str | None]] = {
    _GROUP_CREATE: _group_create,
    _GROUP_ADD: _group_add,
    _GROUP_QUIT: _group_quit,
    _GROUP_DISMISS: _group_dismiss,
    _GROUP_KICKED: _group_kicked,
    _GROUP_RENAME: _group_rename,
    _GROUP_BULLETIN: _group_bulletin,
}


def _group(content: object, viewer: str | None = None) -> str:
    """A sentence such as "alice added bob, carol", else ``message``, else the fallback.

    The operator is ``data.operatorNickname`` or else ``operatorUserId``; targets are
    ``data.targetUserDisplayNames`` or else ``data.targetUserIds``. Operations are
    matched without regard to case. For the ``viewer`` it reads "You added carol",
    "alice added you".
    """
    operation = s.text(content, "operation")
    sentence_for = _GROUP_SENTENCES.get(operation.strip().lower()) if operation else None
    if sentence_for is not None:
        group = _Group(content, viewer)
        if group.operator:
            sentence = sentence_for(group.operator, group)
            if sentence:
                return sentence
    return s.text(content, "message") or ""


def _group_for(content: object, viewer: str) -> str:
    return _group(content, viewer)


def group_membership(content: object, user_id: str) -> bool | None:
    """What an ``RC:GrpNtf`` says of ``user_id`` being in the group: True when it adds
    them (or they created it), False when they quit, were removed or the group was
    dismissed, None when it says neither. Never raises."""
    operation = s.text(content, "operation")
    op = operation.strip().lower() if operation else ""
    if op == _GROUP_DISMISS:
        return False
    group = _Group(content)
    concerned = group.operator_id == user_id or user_id in group.target_ids
    if op == _GROUP_CREATE and concerned:
        return True
    if op == _GROUP_QUIT and concerned:
        return False
    if op in (_GROUP_ADD, _GROUP_KICKED) and user_id in group.target_ids:
        return op == _GROUP_ADD
    return None


def _notification(
    object_name: str,
    label: str,
    fields: tuple[str, ...],
    summarizer: Summarizer | None = None,
    *,
    stored: bool = True,
    shown: bool = True,
    personal: PersonalSummarizer | None = None,
) -> MessageType:
    """Build a notification type: never counted, never pushed; stored and shown unless
    said."""
    return MessageType(
        object_name=object_name,
        kind=MessageKind.NOTIFICATION,
        stored=stored,
        counted=False,
        pushed=False,
        label=label,
        fields=fields,
        summarizer=summarizer,
        shown=shown,
        personal=personal,
    )


NOTIFICATION_TYPES: tuple[MessageType, ...] = (
    _notification(names.INFO_NTF, "Notice", ("message", "extra"), _info),
    _notification(
        names.CONTACT_NTF,
        "Contact notification",
        ("operation", "sourceUserId", "targetUserId", "message", "extra"),
        _contact,
    ),
    _notification(names.PROFILE_NTF, "Profile notification", ("operation", "data", "extra")),
    _notification(names.CMD_NTF, "Command notification", ("name", "data")),
    _notification(
        names.GROUP_NTF,
        "Group notification",
        ("operatorUserId", "operation", "data", "message", "extra"),
        _group,
        personal=_group_for,
    ),
    # A read notification only moves the read mark of a private conversation.
    _notification(
        names.READ_NTF,
        "Read notification",
        ("lastMessageSendTime", "messageUId", "type"),
        stored=False,
    ),
    # A public-service command (e.g. a menu click) is handled, never shown.
    _notification(names.PS_CMD, "Public service command", ("cmd", "data", "extra"), stored=False),
    # Any JSON for the app to act on; nothing to show in the chat.
    _notification(names.CMD, "Command", ("name", "data"), stored=False),
    # Sent when a chatroom attribute is set or removed; kept in the room's history
    # so late readers see the change, but it is never unread (chatrooms have none).
    _notification(names.CHATROOM_KV_NTF, "Chatroom attribute", ("type", "key", "value", "extra")),
    _notification(
        names.RECALL_NTF,
        "Recalled message",
        ("operatorId", "recallTime", "originalObjectName"),
        _recalled,
        personal=_recalled_for,
    ),
    _notification(names.DELETED, "Deleted message", (), shown=False),
)
"""Every built-in notification type, in the order of the SEED-FEATURES table."""

"""Error codes carried by error frames and acks.

RongCloud's numbers are reused wherever the service defines one, so an app that already
handles those codes needs no translation. Codes in the 90000 range are imkit's own.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    """Every error code the server sends and the client understands."""

    REJECTED_BY_BLACKLIST = 405
    MESSAGE_NOT_MODIFIABLE = 20116
    RATE_LIMITED = 20604
    SENSITIVE_WORD_BLOCKED = 21501
    NOT_IN_GROUP = 22406
    MUTED_IN_GROUP = 22408
    NOT_IN_CHATROOM = 23406
    MUTED_IN_CHATROOM = 23408
    KICKED_FROM_CHATROOM = 23409
    CHATROOM_NOT_FOUND = 23410
    CHATROOM_FULL = 23411
    CHATROOM_PARAMETER_INVALID = 23412
    CHATROOM_HISTORY_OFF = 23414
    CHATROOM_KV_EXCEED = 23423
    CHATROOM_KV_OVERWRITE_INVALID = 23424
    CHATROOM_KV_KEY_NOT_FOUND = 23427
    NOT_IN_ULTRA_GROUP = 24406
    MUTED_IN_ULTRA_GROUP = 24408
    ULTRA_GROUP_NOT_FOUND = 24410
    ULTRA_GROUP_JOIN_LIMIT = 24412
    ULTRA_CHANNEL_LIMIT = 24413
    ULTRA_CHANNEL_NOT_FOUND = 24414
    MESSAGE_TOO_LARGE = 30016
    PROTOCOL_VERSION = 31001
    TOKEN_INCORRECT = 31004
    USER_BLOCKED = 31009
    KICKED_BY_OTHER_DEVICE = 31010
    TOKEN_EXPIRED = 31020
    INVALID_PARAMETER = 33003
    MALFORMED_FRAME = 90001
    UNKNOWN_FRAME_TYPE = 90002
    NOT_AUTHENTICATED = 90003
    ALREADY_AUTHENTICATED = 90004
    INTERNAL_ERROR = 90005
    SERVER_SHUTTING_DOWN = 90006
    MEDIA_TOO_LARGE = 90010
    MEDIA_NOT_FOUND = 90011
    MEDIA_CORRUPT = 90012
    MEDIA_MISSING_LOCALLY = 90013
    CHATROOM_MESSAGE_DROPPED = 90020
    PUBLIC_ACCOUNT_NOT_FOUND = 90030
    NOT_FOLLOWING = 90031


#: Codes after which a client must not reconnect with the same credentials: at login,
#: or in an error frame answering no request (re 0) just before the server closes the
#: connection (a revoked token, a device closed past the cap of devices per user).
TERMINAL_CODES = frozenset(
    {
        ErrorCode.TOKEN_INCORRECT,
        ErrorCode.TOKEN_EXPIRED,
        ErrorCode.PROTOCOL_VERSION,
        ErrorCode.KICKED_BY_OTHER_DEVICE,
        ErrorCode.USER_BLOCKED,
    }
)

#: Codes after which the same send may succeed later (the client retries, same client id).
RETRYABLE_SEND_CODES = frozenset(
    {ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL_ERROR, ErrorCode.SERVER_SHUTTING_DOWN}
)


def describe(code: int) -> str:
    """A short English description of an error code, for people reading logs and CLIs."""
    try:
        return _DESCRIPTIONS[ErrorCode(code)]
    except (ValueError, KeyError):
        return f"error {code}"


_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.REJECTED_BY_BLACKLIST: "the receiver has blocked you",
    ErrorCode.MESSAGE_NOT_MODIFIABLE: "this message cannot be edited",
    ErrorCode.RATE_LIMITED: "sending too fast; slow down and retry",
    ErrorCode.SENSITIVE_WORD_BLOCKED: "the app does not allow this content",  # words or backend
    ErrorCode.NOT_IN_GROUP: "you are not a member of this group",
    ErrorCode.MUTED_IN_GROUP: "you are muted in this group",
    ErrorCode.NOT_IN_CHATROOM: "you are not in this chatroom",
    ErrorCode.MUTED_IN_CHATROOM: "you are muted in this chatroom",
    ErrorCode.KICKED_FROM_CHATROOM: "you were removed from this chatroom",
    ErrorCode.CHATROOM_NOT_FOUND: "no such chatroom",
    ErrorCode.CHATROOM_FULL: "the chatroom is full",
    ErrorCode.CHATROOM_PARAMETER_INVALID: "invalid chatroom parameter",
    ErrorCode.CHATROOM_HISTORY_OFF: "this server keeps no chatroom history",
    ErrorCode.CHATROOM_KV_EXCEED: "the chatroom holds as many attributes as it may",
    ErrorCode.CHATROOM_KV_OVERWRITE_INVALID: "the attribute exists and may not be overwritten",
    ErrorCode.CHATROOM_KV_KEY_NOT_FOUND: "no such chatroom attribute",
    ErrorCode.NOT_IN_ULTRA_GROUP: "you are not a member of this ultra group",
    ErrorCode.MUTED_IN_ULTRA_GROUP: "you are muted in this ultra group",
    ErrorCode.ULTRA_GROUP_NOT_FOUND: "no such ultra group",
    ErrorCode.ULTRA_GROUP_JOIN_LIMIT: "you are in as many ultra groups as allowed",
    ErrorCode.ULTRA_CHANNEL_LIMIT: "this ultra group has as many channels as allowed",
    ErrorCode.ULTRA_CHANNEL_NOT_FOUND: "no such channel in this ultra group",
    ErrorCode.MESSAGE_TOO_LARGE: "the message or frame is too large",
    ErrorCode.PROTOCOL_VERSION: "no protocol version in common with the server",
    ErrorCode.TOKEN_INCORRECT: "the token is invalid",
    ErrorCode.KICKED_BY_OTHER_DEVICE: "logged in on another device",
    ErrorCode.USER_BLOCKED: "this user is blocked by the app for now",
    ErrorCode.TOKEN_EXPIRED: "the token has expired",
    ErrorCode.INVALID_PARAMETER: "invalid parameter",
    ErrorCode.MALFORMED_FRAME: "the frame is not valid",
    ErrorCode.UNKNOWN_FRAME_TYPE: "unknown frame type",
    ErrorCode.NOT_AUTHENTICATED: "log in first",
    ErrorCode.ALREADY_AUTHENTICATED: "already logged in on this connection",
    ErrorCode.INTERNAL_ERROR: "internal server error; retry",
    ErrorCode.SERVER_SHUTTING_DOWN: "the server is shutting down; retry",
    ErrorCode.MEDIA_TOO_LARGE: "the file is larger than the server accepts",
    ErrorCode.MEDIA_NOT_FOUND: "no such file on the server",
    ErrorCode.MEDIA_CORRUPT: "the uploaded bytes do not match their checksum",
    ErrorCode.MEDIA_MISSING_LOCALLY: "the file to send is gone from the disk",
    ErrorCode.CHATROOM_MESSAGE_DROPPED: (
        "the chatroom is busy: the message was dropped, not delivered"
    ),
    ErrorCode.PUBLIC_ACCOUNT_NOT_FOUND: "no such public service account",
    ErrorCode.NOT_FOLLOWING: "follow this public service account first",
}


class ProtocolError(Exception):
    """A frame could not be accepted; carries the code to put in the error frame."""

    def __init__(self, code: ErrorCode, message: str, reply_to: int = 0) -> None:
        super().__init__(f"{int(code)}: {message}")
        self.code = code
        self.message = message
        self.reply_to = reply_to

"""Encoding and decoding of frames, with the size limit and clear error codes.

Pure functions over bytes and str: no sockets, so every rule here is tested without I/O.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from imkit_tui.protocol.content import (
    CONTENT_TOO_DEEP,
    MAX_CONTENT_DEPTH,
    UNREADABLE,
    depth_within,
    unreadable_content,
)
from imkit_tui.protocol.errors import ErrorCode, ProtocolError
from imkit_tui.protocol.frames import (
    MAX_INT,
    ClientFrame,
    Frame,
    MessageRecord,
    PullReply,
    Push,
    SendMessage,
    ServerFrame,
)

#: A frame larger than this is refused with MESSAGE_TOO_LARGE (RongCloud's 30016).
DEFAULT_MAX_FRAME_BYTES = 256 * 1024
#: The JSON of one message's content may not exceed this (RongCloud's 128 KB).
DEFAULT_MAX_CONTENT_BYTES = 128 * 1024

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientFrame)
_server_decoder = msgspec.json.Decoder(ServerFrame)

F = TypeVar("F")


class _Envelope(msgspec.Struct):
    """Just enough of any frame to answer it: its type, request id and reply id."""

    t: object = None
    id: object = 0
    re: object = 0


_envelope_decoder = msgspec.json.Decoder(_Envelope)
# When the envelope cannot be read (nested too deep to skip), the id is read where our
# encoders put it: last (`id` and `re` follow a frame's own fields), or right after `t`.
_ID_AT_EDGE = {
    field: (
        re.compile(rb'[{,]\s*"' + field.encode() + rb'"\s*:\s*(\d{1,19})\s*\}\s*$'),
        re.compile(
            rb'^\s*\{\s*"t"\s*:\s*"[^"\\]{0,64}"\s*,(?:\s*"id"\s*:\s*\d{1,19}\s*,)?\s*"'
            + field.encode()
            + rb'"\s*:\s*(\d{1,19})\s*[,}]'
        ),
    )
    for field in ("id", "re")
}
_LEADING_SEND = re.compile(rb'^\s*\{\s*"t"\s*:\s*"send"')
_TOO_DEEP = "nested too deep to decode"


def encode(frame: Frame) -> bytes:
    """Encode a frame as compact JSON bytes.

    A page of messages (or a push) holding a message that cannot be encoded (content
    nested too deep for the encoder) is still encoded: that one message goes as the
    UNREADABLE placeholder, the others as they are.
    """
    try:
        return _encoder.encode(frame)
    except (RecursionError, msgspec.EncodeError, TypeError, ValueError):
        if isinstance(frame, PullReply):
            messages = [_encodable(m) for m in frame.messages]
            return _encoder.encode(msgspec.structs.replace(frame, messages=messages))
        if isinstance(frame, Push):
            return _encoder.encode(
                Push(id=frame.id, re=frame.re, message=_unreadable(frame.message))
            )
        raise


def _encodable(record: MessageRecord) -> MessageRecord:
    try:
        _encoder.encode(record.content)
    except (RecursionError, msgspec.EncodeError, TypeError, ValueError):
        return _unreadable(record)
    return record


def _unreadable(record: MessageRecord) -> MessageRecord:
    """The placeholder of `record`: same place in the conversation, no content."""
    return msgspec.structs.replace(
        record, object_name=UNREADABLE, content=unreadable_content(record.object_name)
    )


def encode_content(content: dict[str, Any]) -> str:
    """A message's content as the JSON text that stores keep."""
    return _encoder.encode(content).decode()


def decode_client_frame(data: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> ClientFrame:
    """Decode a frame sent by a client; raise ProtocolError with a code if it is refused.

    A message whose content nests deeper than MAX_CONTENT_DEPTH is refused here with
    INVALID_PARAMETER, before any work is done for it.
    """
    raw = data.encode() if isinstance(data, str) else data
    try:
        frame: ClientFrame = _decode(_client_decoder, raw, max_bytes, "id")
    except ProtocolError as exc:
        if exc.message == _TOO_DEEP and _LEADING_SEND.match(raw[:40]):
            raise ProtocolError(
                ErrorCode.INVALID_PARAMETER, CONTENT_TOO_DEEP, exc.reply_to
            ) from None
        raise
    if (
        isinstance(frame, SendMessage)
        and raw.count(b"{") + raw.count(b"[") > MAX_CONTENT_DEPTH
        and not depth_within(frame.content)
    ):
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, CONTENT_TOO_DEEP, frame.id)
    return frame


def decode_server_frame(
    data: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES * 64
) -> ServerFrame:
    """Decode a frame sent by the server; raise ProtocolError with a code if it is invalid.

    The error's `reply_to` is the frame's `re` when it can be read: the request whose
    answer could not be decoded.
    """
    raw = data.encode() if isinstance(data, str) else data
    frame: ServerFrame = _decode(_server_decoder, raw, max_bytes, "re")
    return frame


def _decode(decoder: msgspec.json.Decoder[F], raw: bytes, max_bytes: int, reply_field: str) -> F:
    if len(raw) > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"frame of {len(raw)} bytes exceeds the limit of {max_bytes}",
            _reply_to(raw, reply_field),
        )
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        reply_to = _reply_to(raw, reply_field)
        if _is_unknown_tag(raw, exc):
            raise ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, str(exc), reply_to) from None
        raise ProtocolError(ErrorCode.MALFORMED_FRAME, str(exc), reply_to) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(ErrorCode.MALFORMED_FRAME, f"not JSON: {exc}", 0) from None
    except RecursionError:
        raise ProtocolError(
            ErrorCode.MALFORMED_FRAME, _TOO_DEEP, _reply_to(raw, reply_field)
        ) from None
    except Exception as exc:  # the decoder is the edge: nothing it raises gets past it
        raise ProtocolError(
            ErrorCode.MALFORMED_FRAME, f"undecodable: {type(exc).__name__}", 0
        ) from None


def _reply_to(raw: bytes, field: str) -> int:
    """The frame's request id (`id`) or reply id (`re`) when it can be read, so the
    error can name the request; else 0."""
    try:
        value = getattr(_envelope_decoder.decode(raw), field)
    except msgspec.DecodeError:
        return 0
    except RecursionError:
        last, first = _ID_AT_EDGE[field]
        found = last.search(raw[-60:]) or first.match(raw[:200])
        value = int(found.group(1)) if found else 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT:
        return value
    return 0


def _is_unknown_tag(raw: bytes, exc: msgspec.ValidationError) -> bool:
    try:
        tag = _envelope_decoder.decode(raw).t
    except (msgspec.DecodeError, RecursionError):
        return False
    return isinstance(tag, str) and "`$.t`" in str(exc)

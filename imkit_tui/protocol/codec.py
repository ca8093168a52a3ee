"""Encoding and decoding of frames, with the size limit and clear error codes.

Pure functions over bytes and str: no sockets, so every rule here is tested without I/O.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from imkit_tui.protocol.errors import ErrorCode, ProtocolError
from imkit_tui.protocol.frames import ClientFrame, Frame, ServerFrame

#: A frame larger than this is refused with MESSAGE_TOO_LARGE (RongCloud's 30016).
DEFAULT_MAX_FRAME_BYTES = 256 * 1024
#: The JSON of one message's content may not exceed this (RongCloud's 128 KB).
DEFAULT_MAX_CONTENT_BYTES = 128 * 1024

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientFrame)
_server_decoder = msgspec.json.Decoder(ServerFrame)

F = TypeVar("F")


class _Envelope(msgspec.Struct):
    """Just enough of any frame to answer it: its type and request id."""

    t: object = None
    id: object = 0


_envelope_decoder = msgspec.json.Decoder(_Envelope)


def encode(frame: Frame) -> bytes:
    """Encode a frame as compact JSON bytes."""
    return _encoder.encode(frame)


def encode_content(content: dict[str, Any]) -> str:
    """A message's content as the JSON text that stores keep."""
    return _encoder.encode(content).decode()


def decode_client_frame(data: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> ClientFrame:
    """Decode a frame sent by a client; raise ProtocolError with a code if it is refused."""
    frame: ClientFrame = _decode(_client_decoder, data, max_bytes)
    return frame


def decode_server_frame(
    data: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES * 64
) -> ServerFrame:
    """Decode a frame sent by the server; raise ProtocolError with a code if it is invalid."""
    frame: ServerFrame = _decode(_server_decoder, data, max_bytes)
    return frame


def _decode(decoder: msgspec.json.Decoder[F], data: str | bytes, max_bytes: int) -> F:
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"frame of {len(raw)} bytes exceeds the limit of {max_bytes}",
            _request_id(raw),
        )
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        reply_to = _request_id(raw)
        if _is_unknown_tag(raw, exc):
            raise ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, str(exc), reply_to) from None
        raise ProtocolError(ErrorCode.MALFORMED_FRAME, str(exc), reply_to) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(ErrorCode.MALFORMED_FRAME, f"not JSON: {exc}", 0) from None


def _request_id(raw: bytes) -> int:
    """The frame's request id when it can be read, so the error can answer it; else 0."""
    try:
        frame_id = _envelope_decoder.decode(raw).id
    except msgspec.DecodeError:
        return 0
    if isinstance(frame_id, int) and not isinstance(frame_id, bool) and frame_id >= 0:
        return frame_id
    return 0


def _is_unknown_tag(raw: bytes, exc: msgspec.ValidationError) -> bool:
    try:
        tag = _envelope_decoder.decode(raw).t
    except msgspec.DecodeError:
        return False
    return isinstance(tag, str) and "`$.t`" in str(exc)

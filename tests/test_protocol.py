"""The sans-I/O wire: codec, errors, versions and tokens, without any socket."""

from __future__ import annotations

import json
import typing

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    ErrorFrame,
    MessageRecord,
    ProtocolError,
    Push,
    SendAck,
    SyncReply,
    decode_client_frame,
    decode_server_frame,
    encode,
    negotiate,
)
from imkit_tui.protocol.frames import ClientFrame
from imkit_tui.protocol.ids import new_uuid7, uuid_from_key
from imkit_tui.protocol.tokens import issue_token, read_claims, verify_token
from tests.strategies import client_frames, json_objects, json_values

SECRET = b"0123456789abcdef0123456789abcdef"


@given(client_frames)
def test_client_frames_round_trip(frame: msgspec.Struct) -> None:
    assert decode_client_frame(encode(frame)) == frame


@given(json_objects)
def test_server_push_round_trips_any_content(content: dict[str, object]) -> None:
    record = MessageRecord(
        uid="u1",
        conv=ConvRef.private("bob"),
        seq=3,
        sender="alice",
        object_name="X:Custom",
        content=content,
        cmid="c1",
        sent_at=1,
    )
    assert decode_server_frame(encode(Push(message=record))) == Push(message=record)


@given(st.binary(max_size=300))
def test_garbage_bytes_give_a_protocol_error_and_nothing_else(data: bytes) -> None:
    try:
        decode_client_frame(data)
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.MALFORMED_FRAME, ErrorCode.UNKNOWN_FRAME_TYPE)


@given(json_values)
def test_any_json_value_is_refused_cleanly(value: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(json.dumps(value))
    assert caught.value.code in (ErrorCode.MALFORMED_FRAME, ErrorCode.UNKNOWN_FRAME_TYPE)


CLIENT_TAGS = {
    frame.__struct_config__.tag for frame in typing.get_args(ClientFrame)
}  # every frame type a client may send ("group" is one: hypothesis found it)


@given(st.text(min_size=1, max_size=20).filter(lambda t: t not in CLIENT_TAGS))
def test_unknown_frame_type_has_its_own_code_and_answers_the_request(tag: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(json.dumps({"t": tag, "id": 42}))
    assert caught.value.code == ErrorCode.UNKNOWN_FRAME_TYPE
    assert caught.value.reply_to == 42


def test_wrong_field_type_is_malformed_and_keeps_the_request_id() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(b'{"t":"sync","id":7,"since":"yesterday"}')
    assert caught.value.code == ErrorCode.MALFORMED_FRAME
    assert caught.value.reply_to == 7
    assert "since" in caught.value.message


def test_oversized_frame_is_refused_before_parsing() -> None:
    big = json.dumps({"t": "ping", "id": 9, "pad": "x" * 2000}).encode()
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(big, max_bytes=1000)
    assert caught.value.code == ErrorCode.MESSAGE_TOO_LARGE
    assert caught.value.reply_to == 9


def test_server_frames_are_not_client_frames() -> None:
    ack = SendAck(re=1, cmid="c", uid="u", seq=1, sent_at=1, conv=ConvRef.private("b"))
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(encode(ack))
    assert caught.value.code == ErrorCode.UNKNOWN_FRAME_TYPE


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    frame = decode_server_frame(b'{"t":"synced","re":2,"cursor":5,"conversations":[],"new":1}')
    assert frame == SyncReply(re=2, cursor=5, conversations=[])


def test_error_frame_encodes_code_and_reply() -> None:
    data = json.loads(encode(ErrorFrame(re=3, code=ErrorCode.RATE_LIMITED, message="slow")))
    assert data == {"t": "error", "re": 3, "code": 20604, "message": "slow"}


def test_version_negotiation_picks_the_highest_common() -> None:
    assert negotiate([1, 2, 3], supported=[1, 2]) == 2
    assert negotiate([9], supported=[1]) is None
    assert negotiate([], supported=[1]) is None


def test_tokens_verify_and_refuse_tampering_expiry_and_other_secrets() -> None:
    token = issue_token(SECRET, "alice", ttl_seconds=60, now=1000)
    assert verify_token(SECRET, token, now=1010).user_id == "alice"
    assert read_claims(token).expires_at == 1060
    with pytest.raises(ProtocolError) as expired:
        verify_token(SECRET, token, now=1060)
    assert expired.value.code == ErrorCode.TOKEN_EXPIRED
    with pytest.raises(ProtocolError) as other:
        verify_token(b"another secret of enough length!!", token, now=1010)
    assert other.value.code == ErrorCode.TOKEN_INCORRECT
    header, _payload, signature = token.split(".")
    forged = issue_token(SECRET, "mallory", now=1000).split(".")[1]
    with pytest.raises(ProtocolError) as tampered:
        verify_token(SECRET, f"{header}.{forged}.{signature}", now=1010)
    assert tampered.value.code == ErrorCode.TOKEN_INCORRECT
    assert verify_token(SECRET, issue_token(SECRET, "bob"), now=10**12).expires_at is None


@given(st.text(max_size=80))
def test_any_text_as_token_is_refused_with_token_incorrect(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        verify_token(SECRET, text)
    assert caught.value.code == ErrorCode.TOKEN_INCORRECT


def test_uuid7_is_time_ordered_and_keyed_ids_are_stable() -> None:
    first, second = new_uuid7(1000), new_uuid7(2000)
    assert first < second and first[14] == "7"
    assert uuid_from_key("batch", 3) == uuid_from_key("batch", 3) != uuid_from_key("batch", 4)

"""Tests of the message-type catalogue (imkit_tui.messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imkit_tui import messages
from imkit_tui.messages import MessageKind, MessageType, _registry

C, N, S, G = (
    MessageKind.CONTENT,
    MessageKind.NOTIFICATION,
    MessageKind.STATUS,
    MessageKind.SIGNALLING,
)

# Written from SEED-FEATURES.md and the brief, independently of the package:
# object name -> (kind, stored, counted, pushed).
EXPECTED: dict[str, tuple[MessageKind, bool, bool, bool]] = {
    # Content: stored, counted, pushed.
    "RC:TxtMsg": (C, True, True, True),
    "RC:HQVCMsg": (C, True, True, True),
    "RC:VcMsg": (C, True, True, True),
    "RC:ImgMsg": (C, True, True, True),
    "RC:GIFMsg": (C, True, True, True),
    "RC:ImgTextMsg": (C, True, True, True),
    "RC:FileMsg": (C, True, True, True),
    "RC:LBSMsg": (C, True, True, True),
    "RC:SightMsg": (C, True, True, True),
    "RC:CombineMsg": (C, True, True, True),
    "RC:PSImgTxtMsg": (C, True, True, True),
    "RC:PSMultiImgTxtMsg": (C, True, True, True),
    # Notifications: stored, not counted, not pushed, unless said.
    "RC:InfoNtf": (N, True, False, False),
    "RC:ContactNtf": (N, True, False, False),
    "RC:ProfileNtf": (N, True, False, False),
    "RC:CmdNtf": (N, True, False, False),
    "RC:GrpNtf": (N, True, False, False),
    "RC:ReadNtf": (N, False, False, False),
    "RC:PSCmd": (N, False, False, False),
    "RC:CmdMsg": (N, False, False, False),
    "RC:chrmKVNotiMsg": (N, True, False, False),
    # Status: nothing.
    "RC:TypSts": (S, False, False, False),
    "RC:RRRspMsg": (S, False, False, False),
    # Signalling: nothing, except invite/hang-up/recall.
    "RC:VCAccept": (G, False, False, False),
    "RC:VCHangup": (G, True, False, False),
    "RC:VCInvite": (G, True, False, True),
    "RC:VCModifyMedia": (G, False, False, False),
    "RC:VCModifyMem": (G, False, False, False),
    "RC:VCRinging": (G, False, False, False),
    "RC:CSCha": (G, False, False, False),
    "RC:CsChaR": (G, False, False, False),
    "RC:CsHs": (G, False, False, False),
    "RC:CsHsR": (G, False, False, False),
    "RC:CsSp": (G, False, False, False),
    "RC:CsEnd": (G, False, False, False),
    "RC:CsUpdate": (G, False, False, False),
    "RC:CsPullEva": (G, False, False, False),
    "RC:CsEva": (G, False, False, False),
    "RC:CsPLM": (G, False, False, False),
    "RC:CsLM": (G, False, False, False),
    "RC:SRSMsg": (G, False, False, False),
    # Stored so that a member away when receipts were asked learns of it in the sync.
    "RC:RRReqMsg": (G, True, False, False),
    "RC:UIUMsg": (G, False, False, False),
    "RC:RcCmd": (G, True, False, False),
    # What a recalled message becomes, and imkit's tombstone of a message deleted for
    # one user: both stored, neither counted nor pushed.
    "RC:RcNtf": (N, True, False, False),
    "imkit:Deleted": (N, True, False, False),
    # imkit's edit event (ultra groups): stored with its own seq, not counted or pushed.
    "imkit:EditCmd": (G, True, False, False),
}

EXPECTED_CONSTANTS = {
    "TEXT": "RC:TxtMsg",
    "VOICE": "RC:HQVCMsg",
    "VOICE_LEGACY": "RC:VcMsg",
    "IMAGE": "RC:ImgMsg",
    "GIF": "RC:GIFMsg",
    "RICH_CONTENT": "RC:ImgTextMsg",
    "FILE": "RC:FileMsg",
    "LOCATION": "RC:LBSMsg",
    "SIGHT": "RC:SightMsg",
    "COMBINE": "RC:CombineMsg",
    "PS_ARTICLE": "RC:PSImgTxtMsg",
    "PS_MULTI_ARTICLE": "RC:PSMultiImgTxtMsg",
    "INFO_NTF": "RC:InfoNtf",
    "CONTACT_NTF": "RC:ContactNtf",
    "PROFILE_NTF": "RC:ProfileNtf",
    "CMD_NTF": "RC:CmdNtf",
    "GROUP_NTF": "RC:GrpNtf",
    "READ_NTF": "RC:ReadNtf",
    "PS_CMD": "RC:PSCmd",
    "CMD": "RC:CmdMsg",
    "CHATROOM_KV_NTF": "RC:chrmKVNotiMsg",
    "TYPING": "RC:TypSts",
    "READ_RECEIPT_RESPONSE": "RC:RRRspMsg",
    "READ_RECEIPT_REQUEST": "RC:RRReqMsg",
    "SYNC_READ_STATUS": "RC:SRSMsg",
    "RECALL": "RC:RcCmd",
    "RECALL_NTF": "RC:RcNtf",
    "DELETED": "imkit:Deleted",
    "EDIT": "imkit:EditCmd",
    "USER_INFO_UPDATE": "RC:UIUMsg",
    "CALL_INVITE": "RC:VCInvite",
    "CALL_HANGUP": "RC:VCHangup",
}


@pytest.fixture
def restore_registry() -> Iterator[None]:
    """Put the registry back exactly as it was after a test that registers types."""
    saved = dict(_registry._REGISTRY)
    try:
        yield
    finally:
        _registry._REGISTRY.clear()
        _registry._REGISTRY.update(saved)


def assert_one_line(summary: object) -> None:
    """A summary is a non-empty, stripped, single line of bounded length."""
    assert isinstance(summary, str)
    assert summary
    assert summary == summary.strip()
    assert len(summary.splitlines()) == 1
    assert "\x1b" not in summary
    assert len(summary) <= 500
    summary.encode("utf-8")  # no lone surrogates


# --- the catalogue --------------------------------------------------------------------


def test_every_seed_type_is_present_with_its_flags() -> None:
    for name, (kind, stored, counted, pushed) in EXPECTED.items():
        assert messages.is_known(name), name
        message_type = messages.lookup(name)
        assert message_type.object_name == name
        assert (message_type.kind, message_type.stored, message_type.counted) == (
            kind,
            stored,
            counted,
        ), name
        assert message_type.pushed is pushed, name


def test_catalogue_has_nothing_but_the_seed_types() -> None:
    names = [t.object_name for t in messages.all_types()]
    assert len(names) == len(set(names))
    assert set(names) == set(EXPECTED)


def test_every_type_is_well_formed() -> None:
    for message_type in messages.all_types():
        assert message_type.label.strip()
        assert isinstance(message_type.fields, tuple)
        assert all(isinstance(f, str) and f for f in message_type.fields)
        assert isinstance(message_type.kind, MessageKind)
        if message_type.kind is MessageKind.STATUS:
            assert not (message_type.stored or message_type.counted or message_type.pushed)
        # Something counted as unread must be in the history to be read.
        assert message_type.stored or not message_type.counted


def test_documented_field_names() -> None:
    assert messages.lookup("RC:TxtMsg").fields[:2] == ("content", "extra")
    assert "duration" in messages.lookup("RC:HQVCMsg").fields
    assert {"name", "size", "type", "fileUrl"} <= set(messages.lookup("RC:FileMsg").fields)
    assert {"latitude", "longitude", "poi"} <= set(messages.lookup("RC:LBSMsg").fields)
    assert {"operatorUserId", "operation", "data", "message"} <= set(
        messages.lookup("RC:GrpNtf").fields
    )
    assert "messageUId" in messages.lookup("RC:RcCmd").fields
    assert "callId" in messages.lookup("RC:VCInvite").fields


def test_constants() -> None:
    for constant, name in EXPECTED_CONSTANTS.items():
        assert getattr(messages, constant) == name, constant
    for constant in messages.__all__:
        assert hasattr(messages, constant)
    for constant in messages.__all__:
        value = getattr(messages, constant)
        if constant.isupper() and isinstance(value, str):
            assert messages.is_known(value), constant


def test_message_kind_values() -> None:
    assert [k.value for k in MessageKind] == ["content", "notification", "status", "signalling"]
    assert MessageKind("status") is MessageKind.STATUS


def test_message_type_is_frozen_and_hashable() -> None:
    text = messages.lookup(messages.TEXT)
    with pytest.raises(AttributeError):
        text.stored = False  # type: ignore[misc]
    assert hash(text) == hash(messages.lookup(messages.TEXT))


# --- summaries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("RC:TxtMsg", {"content": "hello 👋 https://example.com"}, "hello 👋 https://example.com"),
        ("RC:TxtMsg", {"content": "line one\n\n  line\ttwo  "}, "line one line two"),
        ("RC:TxtMsg", {"content": ""}, "[Text]"),
        ("RC:TxtMsg", {"content": 42}, "[Text]"),
        ("RC:HQVCMsg", {"remoteUrl": "https://x/a.aac", "duration": 12}, "[Voice] 0:12"),
        ("RC:HQVCMsg", {"duration": 60}, "[Voice] 1:00"),
        ("RC:HQVCMsg", {"duration": -3}, "[Voice]"),
        ("RC:HQVCMsg", {"duration": "abc"}, "[Voice]"),
        ("RC:HQVCMsg", {"duration": True}, "[Voice]"),
        ("RC:HQVCMsg", {}, "[Voice]"),
        ("RC:VcMsg", {"content": "IyFBTVIK", "duration": 7}, "[Voice] 0:07"),
        ("RC:ImgMsg", {"content": "base64", "imageUri": "https://x/i.jpg"}, "[Image]"),
        ("RC:GIFMsg", {"remoteUrl": "https://x/a.gif", "width": 10, "height": 10}, "[GIF]"),
        ("RC:ImgTextMsg", {"title": "Release notes", "content": "…"}, "[Link] Release notes"),
        ("RC:ImgTextMsg", {"content": "no title"}, "[Link]"),
        ("RC:FileMsg", {"name": "report.pdf", "size": 1024, "type": "pdf"}, "[File] report.pdf"),
        (
            "RC:LBSMsg",
            {"latitude": 31.2, "longitude": 121.4, "poi": "The Bund"},
            "[Location] The Bund",
        ),
        ("RC:SightMsg", {"sightUrl": "https://x/v.mp4", "duration": 8}, "[Video] 0:08"),
        ("RC:SightMsg", {"duration": 125}, "[Video] 2:05"),
        ("RC:CombineMsg", {"remoteUrl": "https://x/c.html", "nameList": ["a"]}, "[Chat history]"),
        (
            "RC:PSImgTxtMsg",
            {"articles": [{"title": "Weekly digest", "digest": "d", "url": "u"}]},
            "[Article] Weekly digest",
        ),
        (
            "RC:PSMultiImgTxtMsg",
            {"articles": [{"title": "First"}, {"title": "Second"}]},
            "[Article] First",
        ),
        ("RC:PSMultiImgTxtMsg", {"articles": []}, "[Article]"),
        ("RC:InfoNtf", {"message": "You are now friends"}, "You are now friends"),
        ("RC:ContactNtf", {"operation": "Request", "message": "Hi, I am bob"}, "Hi, I am bob"),
        ("RC:ContactNtf", {"operation": "Request"}, "[Contact notification]"),
        ("RC:RcCmd", {"messageUId": "ABC", "conversationType": 1}, "Message recalled"),
        ("RC:VCInvite", {"callId": "c1", "mediaType": 1}, "[Call]"),
        ("RC:VCInvite", {"callId": "c1", "mediaType": 2}, "[Video call]"),
        ("RC:VCInvite", {"callId": "c1"}, "[Call]"),
        ("RC:VCHangup", {"callId": "c1", "reason": 3}, "Call ended"),
        ("RC:VCHangup", {"callId": "c1", "duration": 192000, "mediaType": 1}, "Voice call · 3:12"),
        ("RC:VCHangup", {"callId": "c1", "duration": 5000, "mediaType": 2}, "Video call · 0:05"),
        ("RC:VCHangup", {"callId": "c1", "duration": 0}, "Call ended"),
        ("RC:TypSts", {"typingContentType": "RC:TxtMsg"}, "[Typing]"),
        ("RC:CmdMsg", {"name": "refresh", "data": "{}"}, "[Command]"),
        ("RC:HQVCMsg", {"duration": 3725}, "[Voice] 1:02:05"),
    ],
)
def test_summaries(name: str, content: object, expected: str) -> None:
    assert messages.summarize(name, content) == expected
    assert messages.lookup(name).summary(content) == expected


def _group(operation: str, **data: object) -> dict[str, object]:
    return {
        "operatorUserId": "u-alice",
        "operation": operation,
        "data": json.dumps({"operatorNickname": "alice", **data}),
        "message": "fallback message",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_group("Add", targetUserDisplayNames=["bob", "carol"]), "alice added bob, carol"),
        (_group("Add", targetUserIds=["u-bob"]), "alice added u-bob"),
        (_group("Add", targetUserIds=["u-alice"]), "alice joined the group"),
        (_group("Rename", targetGroupName="X"), "alice renamed the group to X"),
        (_group("Quit"), "alice quit the group"),
        (_group("Create"), "alice created the group"),
        (_group("Dismiss"), "alice dismissed the group"),
        (_group("Kicked", targetUserDisplayNames=["bob"]), "alice removed bob"),
        (_group("Bulletin"), "alice updated the group announcement"),
        (
            _group("Add", targetUserDisplayNames=[f"u{i}" for i in range(8)]),
            "alice added u0, u1, u2, u3, u4 and 3 others",
        ),
        # data as a mapping instead of a JSON string
        (
            {"operation": "Quit", "data": {"operatorNickname": "dave"}},
            "dave quit the group",
        ),
        # no nickname: the operator's user id
        ({"operatorUserId": "u-erin", "operation": "Dismiss"}, "u-erin dismissed the group"),
        # unknown operation or nothing usable: the message, then the fallback
        (_group("Transfer"), "fallback message"),
        (_group("Add"), "fallback message"),
        ({"operation": "Add", "data": "not json {"}, "[Group notification]"),
        ({}, "[Group notification]"),
    ],
)
def test_group_notification_sentences(content: object, expected: str) -> None:
    assert messages.summarize(messages.GROUP_NTF, content) == expected


_G, _R = messages.GROUP_NTF, messages.RECALL_NTF


@pytest.mark.parametrize(
    ("name", "viewer", "content", "expected"),
    [
        # The reader is the operator: "You".
        (_G, "u-alice", _group("Create"), "You created the group"),
        (_G, "u-alice", _group("Add", targetUserIds=["u-carol"]), "You added u-carol"),
        (_G, "u-alice", _group("Add", targetUserIds=["u-alice"]), "You joined the group"),
        (_G, "u-alice", _group("Quit"), "You quit the group"),
        (_G, "u-alice", _group("Rename", targetGroupName="X"), "You renamed the group to X"),
        # The reader is a target: "you", found by id even when display names are given.
        (_G, "u-carol", _group("Add", targetUserIds=["u-carol"]), "alice added you"),
        (
            _G,
            "u-carol",
            _group("Kicked", targetUserIds=["u-bob", "u-carol"], targetUserDisplayNames=["B", "C"]),
            "alice removed B, you",
        ),
        # Someone else reads it: as before.
        (_G, "u-bob", _group("Add", targetUserIds=["u-carol"]), "alice added u-carol"),
        (_G, "u-alice", _group("Transfer"), "fallback message"),
        (_G, "u-alice", {}, "[Group notification]"),
        # A recall notice.
        (_R, "root", {"operatorId": "root"}, "You recalled a message"),
        (_R, "bob", {"operatorId": "root"}, "root recalled a message"),
        (_R, "root", {}, "Message recalled"),
        (_R, "root", None, "Message recalled"),
    ],
)
def test_notices_speak_to_their_reader(
    name: str, viewer: str, content: object, expected: str
) -> None:
    assert messages.summarize(name, content, viewer) == expected


def test_the_reader_changes_nothing_in_other_summaries() -> None:
    assert messages.summarize(messages.TEXT, {"content": "hi"}, "me") == "hi"
    assert messages.summarize(messages.RECALL, {"messageUId": "A"}, "me") == "Message recalled"
    assert messages.summarize(messages.RECALL_NTF, {"operatorId": "root"}) == (
        "root recalled a message"
    )


@pytest.mark.parametrize("content", [None, [], [1, 2], "text", 12, 3.5, True, {"x": object()}])
def test_odd_content_falls_back_to_label(content: object) -> None:
    for message_type in messages.all_types():
        summary = message_type.summary(content)
        assert_one_line(summary)
    assert messages.summarize(messages.TEXT, content) == "[Text]"
    assert messages.summarize(messages.FILE, content) == "[File]"


def test_huge_and_hostile_strings_are_bounded_and_safe() -> None:
    summary = messages.summarize(messages.TEXT, {"content": "a" * 5_000_000})
    assert_one_line(summary)
    assert summary.endswith("…")
    hostile = "hi\x1b[2J\r\nthere\u2028\x00\ud800!"
    summary = messages.summarize(messages.TEXT, {"content": hostile})
    assert_one_line(summary)
    assert summary == "hi [2J there \ufffd!"
    assert_one_line(messages.summarize(messages.FILE, {"name": "\n" * 100_000 + "x"}))
    assert_one_line(messages.summarize(messages.VOICE, {"duration": 10**400}))


def test_a_raising_summarizer_falls_back() -> None:
    def explode(content: object) -> str:
        raise RuntimeError("boom")

    def not_a_string(content: object) -> str:
        return 42  # type: ignore[return-value]

    for summarizer in (explode, not_a_string):
        message_type = MessageType(
            "app:Boom", MessageKind.CONTENT, True, True, True, "Boom", (), summarizer=summarizer
        )
        assert message_type.summary({"a": 1}) == "[Boom]"
    plain = MessageType("app:Plain", MessageKind.STATUS, False, False, False, "Plain")
    assert plain.summary(None) == "[Plain]"


# --- unknown types --------------------------------------------------------------------


def test_unknown_types_are_kept_and_delivered() -> None:
    assert not messages.is_known("app:Poll")
    unknown = messages.lookup("app:Poll")
    assert unknown.object_name == "app:Poll"
    assert unknown.kind is MessageKind.CONTENT
    assert unknown.stored and unknown.counted and unknown.pushed
    assert unknown.label == "Unsupported message"
    assert messages.summarize("app:Poll", {"question": "?"}) == "[Unsupported: app:Poll]"
    assert messages.summarize("app:Poll", None) == "[Unsupported: app:Poll]"
    assert not messages.is_known("app:Poll")  # lookup does not register it
    assert not messages.is_known("rc:txtmsg")  # names are case-sensitive


def test_unknown_names_with_odd_characters_are_summarised_safely() -> None:
    for name in ("", "\n", "a\x1bb\nc", "x" * 10_000):
        assert_one_line(messages.summarize(name, {}))
        assert messages.lookup(name).stored


# --- register -------------------------------------------------------------------------


def _poll_type(label: str = "Poll") -> MessageType:
    def summarize_poll(content: object) -> str:
        question = content.get("question") if isinstance(content, dict) else None
        return f"[Poll] {question}" if isinstance(question, str) else "[Poll]"

    return MessageType(
        object_name="app:Poll",
        kind=MessageKind.CONTENT,
        stored=True,
        counted=True,
        pushed=False,
        label=label,
        fields=("question", "options"),
        summarizer=summarize_poll,
    )


def test_register_a_plugin_type(restore_registry: None) -> None:
    before = messages.all_types()
    messages.register(_poll_type())
    assert messages.is_known("app:Poll")
    assert messages.lookup("app:Poll").pushed is False
    assert messages.summarize("app:Poll", {"question": "Lunch?"}) == "[Poll] Lunch?"
    assert messages.summarize("app:Poll", ["bad"]) == "[Poll]"
    assert messages.all_types() == [*before, _poll_type()]


def test_register_twice_needs_replace(restore_registry: None) -> None:
    messages.register(_poll_type())
    with pytest.raises(ValueError, match="already registered"):
        messages.register(_poll_type("Other"))
    assert messages.lookup("app:Poll").label == "Poll"
    messages.register(_poll_type("Vote"), replace=True)
    assert messages.lookup("app:Poll").label == "Vote"
    assert [t.object_name for t in messages.all_types()].count("app:Poll") == 1


def test_replace_a_builtin(restore_registry: None) -> None:
    with pytest.raises(ValueError):
        messages.register(messages.lookup(messages.TEXT))
    quiet_text = MessageType(
        messages.TEXT, MessageKind.CONTENT, True, True, False, "Text", ("content",)
    )
    messages.register(quiet_text, replace=True)
    assert messages.lookup(messages.TEXT).pushed is False
    assert messages.summarize(messages.TEXT, {"content": "hi"}) == "[Text]"


def test_registry_is_restored_after_registering_tests() -> None:
    assert not messages.is_known("app:Poll")
    assert messages.lookup(messages.TEXT).pushed is True
    assert messages.summarize(messages.TEXT, {"content": "hi"}) == "hi"


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("not a type", TypeError),
        (MessageType("", MessageKind.CONTENT, True, True, True, "X"), ValueError),
        (MessageType(" app:X", MessageKind.CONTENT, True, True, True, "X"), ValueError),
        (MessageType("app:X", "content", True, True, True, "X"), TypeError),  # type: ignore[arg-type]
        (MessageType("app:X", MessageKind.CONTENT, 1, True, True, "X"), TypeError),  # type: ignore[arg-type]
        (MessageType("app:X", MessageKind.CONTENT, True, True, True, ""), ValueError),
        (MessageType("app:X", MessageKind.CONTENT, True, True, True, "X", ["a"]), TypeError),  # type: ignore[arg-type]
    ],
)
def test_register_rejects_malformed_types(
    restore_registry: None, bad: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        messages.register(bad)  # type: ignore[arg-type]
    assert not messages.is_known("app:X")


# --- builders -------------------------------------------------------------------------


def test_text_content() -> None:
    assert messages.text_content("hi") == {"content": "hi"}
    assert messages.text_content("hi", extra="e") == {"content": "hi", "extra": "e"}
    assert messages.summarize(messages.TEXT, messages.text_content("hi there")) == "hi there"
    with pytest.raises(TypeError):
        messages.text_content(3)  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
)
json_like = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
KNOWN_NAMES = sorted(EXPECTED)
ALL_FIELDS = sorted(
    {f for t in messages.all_types() for f in t.fields}
    | {"operatorNickname", "targetUserDisplayNames", "targetUserIds", "targetGroupName", "title"}
)


@st.composite
def plausible_content(draw: st.DrawFn) -> object:
    """A dict using real field names, with values of any JSON-like type."""
    keys = draw(st.lists(st.sampled_from(ALL_FIELDS), max_size=6, unique=True))
    content: dict[str, object] = {key: draw(json_like) for key in keys}
    if "data" in content and draw(st.booleans()):
        content["data"] = json.dumps(draw(json_like))
    return content


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(KNOWN_NAMES), content=json_like | plausible_content())
def test_summaries_of_known_types_never_raise(name: str, content: object) -> None:
    assert_one_line(messages.summarize(name, content))


@settings(max_examples=200, deadline=None)
@given(name=st.text(), content=json_like)
def test_summaries_of_random_names_never_raise(name: str, content: object) -> None:
    summary = messages.summarize(name, content)
    assert_one_line(summary)
    message_type = messages.lookup(name)
    if not messages.is_known(name):
        assert message_type.stored and message_type.counted


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_text_summary_is_the_text_collapsed(text: str) -> None:
    summary = messages.summarize(messages.TEXT, messages.text_content(text))
    assert_one_line(summary)
    if text.isprintable() and text.split() and len(text) < 400:
        assert summary == " ".join(text.split())


@pytest.mark.parametrize(
    ("content", "user", "member"),
    [
        (_group("Create"), "u-alice", True),
        (_group("Add", targetUserIds=["u-carol"]), "u-carol", True),
        (_group("Kicked", targetUserIds=["u-bob", "u-carol"]), "u-carol", False),
        (_group("Quit", targetUserIds=["u-alice"]), "u-alice", False),
        (_group("Dismiss", targetUserIds=["u-alice", "u-bob"]), "u-bob", False),
        # Notices about others, or nothing usable: they say nothing of this user.
        (_group("Kicked", targetUserIds=["u-bob"]), "u-carol", None),
        (_group("Quit", targetUserIds=["u-bob"]), "u-carol", None),
        (_group("Rename", targetGroupName="X"), "u-alice", None),
        ({}, "u-alice", None),
        (None, "u-alice", None),
    ],
)
def test_group_membership_of_a_user(content: object, user: str, member: bool | None) -> None:
    assert messages.group_membership(content, user) is member

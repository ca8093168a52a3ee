"""Sensitive words: the filter alone, and set through the Server API, applied to what
devices send."""

from __future__ import annotations

from pathlib import Path

import pytest

from imkit_tui.protocol import ConversationType, ConvRef, ErrorCode, ErrorFrame, SendAck
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.sensitive_words import WordFilter
from tests.api_client import ApiHandle, running_api


def test_the_filter_replaces_whatever_the_case_and_spots_refused_words() -> None:
    words = WordFilter({"darn": "***", "darned": "#", "secret": None, "机密": None})
    assert words.apply("Darn, DARNED darn") == ("***, # ***", False)
    assert words.apply("a SECRET plan")[1]
    assert words.apply("这是机密")[1]
    assert WordFilter().apply("anything") == ("anything", False)
    assert not WordFilter()


@pytest.fixture
async def api(tmp_path: Path) -> ApiHandle:  # type: ignore[misc]
    async with running_api(tmp_path / "server") as handle:
        yield handle


async def test_replaced_words_reach_receivers_replaced_and_refused_ones_nobody(
    api: ApiHandle,
) -> None:
    alice, bob = await api.handle.login("alice"), await api.handle.login("bob")
    await api.client.ok("/sensitiveword/add.json", {"word": "darn", "replaceWord": "***"})
    await api.client.ok("/sensitiveword/add.json", {"word": "secret"})
    listed = await api.client.ok("/sensitiveword/list.json")
    assert listed["words"] == [
        {"type": "0", "word": "darn", "replaceWord": "***"},
        {"type": "1", "word": "secret", "replaceWord": ""},
    ]
    assert [
        w["word"] for w in (await api.client.ok("/sensitiveword/list.json", {"type": "1"}))["words"]
    ] == ["secret"]
    assert isinstance(await alice.send_text("bob", "darn it", new_uuid7()), SendAck)
    push = await bob.next_push()
    assert push.message.content == {"content": "*** it"}
    refused = await alice.send_text("bob", "the Secret plan", new_uuid7())
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.SENSITIVE_WORD_BLOCKED
    server = api.handle.server
    assert server is not None
    await server.create_group("g1", "Team", "alice", ["bob"])
    await bob.next_push()  # the group's notice
    group = ConvRef(type=ConversationType.GROUP, target="g1")
    refused = await alice.send_text("", "secret", new_uuid7(), conv=group)
    assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.SENSITIVE_WORD_BLOCKED
    await api.client.ok("/sensitiveword/batch/delete.json", [("words", "secret")])
    assert isinstance(await alice.send_text("bob", "no secret now", new_uuid7()), SendAck)
    assert (await bob.next_push()).message.content == {"content": "no secret now"}
    await api.client.ok("/sensitiveword/delete.json", {"word": "darn"})
    assert (await api.client.ok("/sensitiveword/list.json"))["words"] == []
    await alice.close()
    await bob.close()


async def test_an_app_has_at_most_50_words(api: ApiHandle) -> None:
    for n in range(50):
        await api.client.ok("/sensitiveword/add.json", {"word": f"w{n}"})
    status, body = await api.client.post("/sensitiveword/add.json", {"word": "one-more"})
    assert (status, body["code"]) == (400, 1002)
    await api.client.ok("/sensitiveword/add.json", {"word": "w1", "replaceWord": "x"})


async def test_a_word_added_after_sends_without_words_applies_at_once(api: ApiHandle) -> None:
    alice, bob = await api.handle.login("alice"), await api.handle.login("bob")
    assert isinstance(await alice.send_text("bob", "darn", new_uuid7()), SendAck)
    assert (await bob.next_push()).message.content == {"content": "darn"}
    await api.client.ok("/sensitiveword/add.json", {"word": "darn", "replaceWord": "d**n"})
    assert isinstance(await alice.send_text("bob", "darn", new_uuid7()), SendAck)
    assert (await bob.next_push()).message.content == {"content": "d**n"}
    await alice.close()
    await bob.close()

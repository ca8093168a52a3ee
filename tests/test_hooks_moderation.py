"""The message callback: a real local backend decides pass, block or replace, and a
held message keeps its place in the conversation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from imkit_tui.core import IMClient, SendStatus
from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    EditMessage,
    ErrorCode,
    ErrorFrame,
    SendAck,
    SendMessage,
)
from imkit_tui.protocol.media import media_url
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.hooks.moderation import DELIVER, Verdict, verdict
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from tests.backend import Received, running_backend
from tests.conftest import FAST_BACKOFF, running_server
from tests.test_chatrooms import join, text
from tests.test_hooks_routing import FAST, hooked
from tests.test_ultra_server import pull, refused, ug, ultra


async def decide(received: Received) -> dict[str, Any]:
    text = json.loads(received.form["content"]).get("content", "")
    if "slow" in text:
        await asyncio.sleep(0.6)
    if "bad" in text:
        return {"pass": 0}
    if "darn" in text:
        return {"pass": 1, "replaceContent": json.dumps({"content": text.replace("darn", "****")})}
    return {"pass": 1}


def test_the_answer_decides() -> None:
    assert verdict({"pass": 1}, DELIVER) == Verdict(True)
    assert verdict({"pass": 0}, DELIVER) == Verdict(False)
    assert verdict({"pass": 1, "replaceContent": '{"content": "x"}'}, DELIVER) == Verdict(
        True, {"content": "x"}
    )
    assert verdict({"pass": 1, "replaceContent": {"content": "y"}}, DELIVER).content == {
        "content": "y"
    }
    assert verdict(None, DELIVER) == Verdict(True)
    assert verdict(None, "block") == Verdict(False)
    assert verdict({"nonsense": 1}, "block") == Verdict(False)


async def test_pass_block_and_replace(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        bob = await h.handle.login("bob")
        refused = await alice.send_text("bob", "a bad word", cmid="b1")
        assert isinstance(refused, ErrorFrame)
        assert refused.code == ErrorCode.SENSITIVE_WORD_BLOCKED
        replaced = await alice.send_text("bob", "oh darn", cmid="r1")
        assert isinstance(replaced, SendAck)
        assert replaced.content == {"content": "oh ****"}  # the sender's copy becomes it
        fine = await alice.send_text("bob", "hello", cmid="f1")
        assert isinstance(fine, SendAck) and fine.content is None
        first, second = await bob.next_push(), await bob.next_push()
        assert [first.message.content, second.message.content] == [
            {"content": "oh ****"},
            {"content": "hello"},
        ]
        assert (first.message.seq, second.message.seq) == (1, 2)  # the blocked left no gap
        assert len(h.backend.bodies("/moderate")) == 3
        await alice.close()
        await bob.close()


async def test_a_timeout_delivers_by_default_and_blocks_when_told(tmp_path: Path) -> None:
    for on_timeout, delivered in (("deliver", True), ("block", False)):
        data = tmp_path / on_timeout
        async with hooked(
            data,
            moderation_url="/moderate",
            moderation_timeout_seconds=0.2,
            moderation_on_timeout=on_timeout,
        ) as h:
            h.backend.answer = decide
            alice = await h.handle.login("alice")
            answer = await alice.send_text("bob", "slow one", cmid="s1")
            assert isinstance(answer, SendAck) is delivered, answer
            await alice.close()


async def test_a_held_message_keeps_its_place(tmp_path: Path) -> None:
    async with hooked(
        tmp_path / "server", moderation_url="/moderate", moderation_users=("alice",)
    ) as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        bob = await h.handle.login("bob")
        held = asyncio.create_task(alice.send_text("bob", "slow but first", cmid="a1"))
        await h.backend.until(lambda: len(h.backend.got) == 1)
        after = await bob.send_text("alice", "sent while it was held", cmid="b1")
        first = await held
        assert isinstance(first, SendAck) and isinstance(after, SendAck)
        assert (first.seq, after.seq) == (1, 2)
        assert len(h.backend.got) == 1  # bob is not moderated, only made to wait
        await alice.close()
        await bob.close()


async def test_what_does_not_match_is_not_held(tmp_path: Path) -> None:
    async with hooked(
        tmp_path / "server",
        moderation_url="/moderate",
        moderation_types=("RC:ImgMsg",),
        moderation_conversations=("group",),
    ) as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        assert isinstance(await alice.send_text("bob", "a bad word", cmid="x"), SendAck)
        assert h.backend.got == [] and h.hooks.moderation.asked == 0
        await alice.close()


async def test_the_question_is_the_message_as_routing_sends_it(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", moderation_url="/moderate", routing_url="/route") as h:
        assert h.handle.server is not None
        await h.handle.server.create_group("g1", "G", "alice", ["bob", "carol"])
        alice = await h.handle.login("alice")
        assert isinstance(await alice.send_text("bob", "héllo & bye", cmid="p1"), SendAck)
        group = ConvRef(type=ConversationType.GROUP, target="g1")
        targeted = SendMessage(
            conv=group, object_name="RC:TxtMsg", content={"content": "x=1"}, cmid="g1", to=["bob"]
        )
        assert isinstance(await alice.request(targeted), SendAck)

        def routed_texts() -> list[dict[str, str]]:
            return [
                r.form for r in h.backend.bodies("/route") if r.form["objectName"] == "RC:TxtMsg"
            ]

        await h.backend.until(lambda: len(routed_texts()) == 2)
        asked, routed = [r.form for r in h.backend.bodies("/moderate")], routed_texts()
        assert len(asked) == len(routed) == 2
        for question, route in zip(asked, routed, strict=True):
            # Asked before it is stored: no uid yet, and the time of asking.
            assert question["msgUID"] == "" and route["msgUID"]
            assert 0 < int(question["msgTimeStamp"]) <= int(route["msgTimeStamp"])
            same = {k: v for k, v in question.items() if k not in ("msgUID", "msgTimeStamp")}
            assert (
                same == {k: route[k] for k in same}
                and same.keys()
                | {
                    "msgUID",
                    "msgTimeStamp",
                }
                == route.keys()
            )
        assert asked[1]["groupUserIds"] == "bob" and asked[1]["toUserId"] == "g1"
        assert h.backend.bad_signatures == 0
        await alice.close()


async def test_the_hooks_shorter_timeout_decides_too(tmp_path: Path) -> None:
    async with hooked(
        tmp_path / "server",
        moderation_url="/moderate",
        moderation_timeout_seconds=30.0,
        moderation_on_timeout="block",
        timeout_seconds=0.2,
    ) as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        answer = await alice.send_text("bob", "slow but fine", cmid="s1")
        assert isinstance(answer, ErrorFrame) and answer.code == ErrorCode.SENSITIVE_WORD_BLOCKED
        await alice.close()


async def test_a_late_answer_is_never_taken_for_the_next_question(tmp_path: Path) -> None:
    async with hooked(
        tmp_path / "server", moderation_url="/moderate", moderation_timeout_seconds=0.2
    ) as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        bob = await h.handle.login("bob")
        # No answer in time: delivered (the default); its "block" comes too late.
        assert isinstance(await alice.send_text("bob", "slow and bad", cmid="s1"), SendAck)
        replaced = await alice.send_text("bob", "oh darn", cmid="r1")
        assert isinstance(replaced, SendAck)
        first, second = await bob.next_push(), await bob.next_push()
        assert [first.message.content, second.message.content] == [
            {"content": "slow and bad"},
            {"content": "oh ****"},
        ]
        await h.backend.until(lambda: len(h.backend.got) == 2)
        await alice.close()
        await bob.close()


async def test_the_backend_is_not_asked_about_a_send_too_big_to_store(tmp_path: Path) -> None:
    """The size check comes before the question; a replaced content is checked too."""

    async def grow(received: Received) -> dict[str, Any]:
        text = json.loads(received.form["content"])["content"]
        if text == "grow":
            return {"pass": 1, "replaceContent": json.dumps({"content": "x" * 200_000})}
        return {"pass": 1}

    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        h.backend.answer = grow
        alice = await h.handle.login("alice")
        too_big = await alice.send_text("bob", "y" * 200_000, cmid="big")
        assert isinstance(too_big, ErrorFrame) and too_big.code == ErrorCode.MESSAGE_TOO_LARGE
        assert h.backend.bodies("/moderate") == []
        grown = await alice.send_text("bob", "grow", cmid="grow")
        assert isinstance(grown, ErrorFrame) and grown.code == ErrorCode.MESSAGE_TOO_LARGE
        assert len(h.backend.bodies("/moderate")) == 1
        await alice.close()


async def test_the_backend_hears_of_no_send_refused_for_its_rate_or_its_files(
    tmp_path: Path,
) -> None:
    """Asked last: a send past the send limit (20604), or naming a file its sender may
    not read, is refused before the backend hears of it; one it passed is stored."""
    data = tmp_path / "server"
    async with (
        running_server(data, rate_per_second=0.001, rate_burst=2) as handle,
        running_backend(load_or_create(data, environ={}).app_secret) as backend,
    ):
        assert handle.server is not None
        config = replace(FAST, moderation_url=backend.at("/moderate"))
        hooks = await start_hooks(handle.server, config)
        try:
            alice = await handle.login("alice")
            image = {"imageUri": media_url("a" * 64), "content": ""}
            frame = SendMessage(conv=ConvRef.private("bob"), object_name="RC:ImgMsg",
                                content=image, cmid="file")  # fmt: skip
            named = await alice.request(frame)
            assert isinstance(named, ErrorFrame) and named.code == ErrorCode.MEDIA_NOT_FOUND
            assert backend.bodies("/moderate") == []
            assert isinstance(await alice.send_text("bob", "one", cmid="one"), SendAck)
            over = await alice.send_text("bob", "two", cmid="two")
            assert isinstance(over, ErrorFrame) and over.code == ErrorCode.RATE_LIMITED
            asked = [json.loads(r.form["content"]) for r in backend.bodies("/moderate")]
            assert asked == [{"content": "one"}]
            await alice.close()
        finally:
            await hooks.stop()


async def test_a_chatroom_message_the_backend_replaced_is_acked_with_it(tmp_path: Path) -> None:
    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        h.backend.answer = decide
        alice, bob = await h.handle.login("alice"), await h.handle.login("bob")
        for client in (alice, bob):
            await join(client)
        replaced = await alice.request(text("r1", "oh darn"))
        assert isinstance(replaced, SendAck) and replaced.content == {"content": "oh ****"}
        fine = await alice.request(text("f1", "hello"))
        assert isinstance(fine, SendAck) and fine.content is None
        await alice.close()
        await bob.close()


@asynccontextmanager
async def alice_moderated(tmp_path: Path) -> AsyncIterator[IMClient]:
    """Alice's client, synced, on a server whose backend decides by :func:`decide`."""
    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        h.backend.answer = decide
        alice = IMClient(
            server_url=h.handle.url,
            token=h.handle.token("alice"),
            store_path=tmp_path / "alice.db",
            backoff=FAST_BACKOFF,
        )
        await alice.start()
        try:
            await alice.wait_synced(timeout=10)
            yield alice
        finally:
            await alice.close()


async def test_the_senders_own_room_message_shows_the_replaced_content(tmp_path: Path) -> None:
    async with alice_moderated(tmp_path) as alice:
        await alice.chatrooms.join("live")
        sent = await alice.chatrooms.send_text("live", "oh darn")
        assert sent.status == SendStatus.SENT and sent.content == {"content": "oh ****"}
        (kept,) = await alice.chatrooms.messages("live")
        assert kept.content == {"content": "oh ****"}


def test_ultra_groups_are_a_kind_the_callback_holds_not_one_routed() -> None:
    assert ConversationType.ULTRA_GROUP in HooksConfig().moderated_kinds
    assert HooksConfig(moderation_conversations=("ultra_group",)).moderated_kinds == {
        ConversationType.ULTRA_GROUP
    }
    with pytest.raises(ValueError, match="routing_conversations: unknown ultra_group"):
        HooksConfig(routing_conversations=("ultra_group",))


async def test_ultra_group_messages_and_edits_are_held_too(tmp_path: Path) -> None:
    """An ultra group's send is refused or replaced as a group's is; an edit is asked
    about as the message it edits becomes, so an edit cannot bring in what a send may
    not (before, neither was asked about)."""
    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        h.backend.answer = decide
        alice = await h.handle.login("alice")
        bob = await h.handle.login("bob")
        await ultra(alice, "ug", "create", name="Ultra")
        await ultra(alice, "ug", "channel_create", channel="news")
        await ultra(bob, "ug", "join")
        news = ug("ug", "news")

        def said(text: str, cmid: str) -> SendMessage:
            return SendMessage(
                conv=news, object_name="RC:TxtMsg", content={"content": text}, cmid=cmid
            )

        assert await refused(alice, said("bad news", "u1")) == ErrorCode.SENSITIVE_WORD_BLOCKED
        masked = await alice.request(said("darn news", "u2"))
        assert isinstance(masked, SendAck) and masked.content == {"content": "**** news"}
        asked = h.backend.got[-1].form
        assert (asked["channelType"], asked["busChannel"], asked["toUserId"]) == (
            "ULTRAGROUP",
            "news",
            "ug",
        )
        fine = await alice.request(said("fine", "u3"))
        assert isinstance(fine, SendAck)

        def edited(text: str, cmid: str) -> EditMessage:
            return EditMessage(conv=news, uid=fine.uid, content={"content": text}, cmid=cmid)

        assert await refused(alice, edited("bad now", "e1")) == ErrorCode.SENSITIVE_WORD_BLOCKED
        edit = await alice.request(edited("darn fine", "e2"))
        assert isinstance(edit, SendAck) and edit.content is not None
        assert edit.content["content"] == {"content": "**** fine"}
        asked = h.backend.got[-1].form
        assert asked["objectName"] == "RC:TxtMsg"
        assert json.loads(asked["content"]) == {"content": "darn fine"}

        history = await pull(bob, news, before=10**6)
        shown = sorted(history.messages, key=lambda m: m.seq)
        texts = [m.content for m in shown if m.object_name == "RC:TxtMsg"]
        assert texts == [{"content": "**** news"}, {"content": "**** fine"}]


async def test_an_ultra_retry_stored_before_the_backend_refused_gets_its_ack(
    tmp_path: Path,
) -> None:
    """A message and an edit stored, then the backend begins to refuse such content:
    their retries get their original acks, as in a group; a new send is refused."""
    async with hooked(tmp_path / "server", moderation_url="/moderate") as h:
        alice = await h.handle.login("alice")
        await ultra(alice, "ug", "create", name="Ultra")
        message = SendMessage(
            conv=ug("ug"), object_name="RC:TxtMsg", content={"content": "fine"}, cmid="u1"
        )
        first = await alice.request(message)
        assert isinstance(first, SendAck)
        edit = EditMessage(conv=ug("ug"), uid=first.uid, content={"content": "fine"}, cmid="e1")
        edited = await alice.request(edit)
        assert isinstance(edited, SendAck)

        async def refuse(_received: Received) -> dict[str, Any]:
            return {"pass": 0}

        h.backend.answer = refuse
        again = await alice.request(message)
        assert isinstance(again, SendAck) and (again.uid, again.seq) == (first.uid, first.seq)
        edit_again = await alice.request(edit)
        assert isinstance(edit_again, SendAck) and edit_again.seq == edited.seq
        fresh = SendMessage(conv=ug("ug"), object_name="RC:TxtMsg", content={}, cmid="u2")
        assert await refused(alice, fresh) == ErrorCode.SENSITIVE_WORD_BLOCKED
        history = await pull(alice, ug("ug"), before=10**6)
        assert sorted(m.cmid for m in history.messages) == ["e1", "u1"]


async def test_the_editors_own_message_shows_the_replaced_edit(tmp_path: Path) -> None:
    async with alice_moderated(tmp_path) as alice:
        await alice.ultra.create("guild", "Guild")
        hall = ug("guild")
        sent = await alice.send_text(hall, "all fine")
        (stored,) = await alice.wait_sent([sent.id], timeout=10)
        edited = await alice.ultra.edit_text(stored, "darn fine")
        assert edited.content == {"content": "**** fine"}
        kept = [m for m in await alice.messages(hall) if m.id == stored.id]
        assert kept[0].content == {"content": "**** fine"}

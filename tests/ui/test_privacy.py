"""Blocking in the app: a rejected message's grey line (refused by its receiver, or for
its content), and Block/Unblock in the palette."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.style import Style
from textual.pilot import Pilot

from imkit_tui.core import IMClient, SendStatus
from imkit_tui.protocol import ConvRef, ErrorCode
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.bubbles._status import CONTENT_REJECTED
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.conversation_list import ConversationList
from tests.conftest import ClientFactory, ServerHandle
from tests.ui import drawn
from tests.ui.test_app import list_lines, make_app, send_all, until

ALICE = ConvRef.private("alice")
REJECTED = "Message rejected: alice does not accept messages from you"


def _styles_of(bubble: Bubble, text: str) -> list[Style]:
    """The styles of the drawn segments that hold `text`."""
    return [
        segment.style
        for strip in drawn.strips(bubble)
        for segment in strip
        if text in segment.text and segment.style is not None
    ]


async def test_a_rejected_message_is_grey_and_r_does_not_retry_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    await send_all(alice, "me", ["hi"])
    await alice.privacy.block("me")
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("enter")  # alice's chat, the only one
        await pilot.press(*"let me in", "enter")
        chat = app.screen.query_one(ChatView)
        await until(
            pilot,
            lambda: chat.bubbles()[-1].message.status == SendStatus.FAILED,
            "the refusal",
        )
        bubble = chat.bubbles()[-1]
        assert bubble.message.error == ErrorCode.REJECTED_BY_BLACKLIST
        assert bubble.meta_text == REJECTED
        assert bubble.rejected and not bubble.failed and bubble.tooltip is None
        await pilot.pause()
        colours = bubble.palette
        styles = _styles_of(bubble, "Message rejected")
        assert styles, "the line is not drawn"
        assert all(style.color == colours.meta.color for style in styles)
        assert all(style.color != colours.failed.color for style in styles)

        chat.focus()
        await pilot.press("up")
        assert chat.selected is not None and chat.selected.id == bubble.message.id
        await pilot.press("r")
        await pilot.pause(0.3)
        (kept,) = await me.store.messages.by_ids([bubble.message.id])
        assert kept.status == SendStatus.FAILED and kept.error == ErrorCode.REJECTED_BY_BLACKLIST
        assert await me.store.outbox.count() == 0
        assert bubble.meta_text == REJECTED
    texts = [m.content.get("content") for m in await alice.messages(ConvRef.private("me"))]
    assert texts == ["hi"]


async def _alice_and_me(
    make_client: ClientFactory, server_handle: ServerHandle, word: str, replace: str | None
) -> tuple[IMClient, IMClient]:
    """The server refuses `word` (`replace` None) or replaces it; alice has written to
    me: alice's client and mine."""
    assert server_handle.server is not None and server_handle.server.store is not None
    assert await server_handle.server.store.words.add(word, replace)
    alice = await make_client("alice")
    await send_all(alice, "me", ["hi"])
    return alice, await make_client("me")


async def _typed_to_alice(
    pilot: Pilot[None], app: IMKitApp, text: str, status: SendStatus
) -> ChatView:
    """Open alice's chat (the only one), send `text`, wait for its `status`."""
    await pilot.press("enter")
    await pilot.press(*text, "enter")
    chat = app.screen.query_one(ChatView)
    await until(pilot, lambda: chat.bubbles()[-1].message.status == status, str(status))
    return chat


async def test_a_message_refused_for_its_content_says_so_and_is_not_retried(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    """21501 (a refusing sensitive word here; the app's backend blocking a message
    answers the same): the sender sees it rejected, and sending again cannot help."""
    alice, me = await _alice_and_me(make_client, server_handle, "spam", None)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await _typed_to_alice(pilot, app, "buy spam", SendStatus.FAILED)
        bubble = chat.bubbles()[-1]
        assert bubble.message.error == ErrorCode.SENSITIVE_WORD_BLOCKED
        assert bubble.meta_text == CONTENT_REJECTED
        assert bubble.rejected and not bubble.failed and bubble.tooltip is None
        await pilot.pause()
        shown = " ".join(line.strip() for line in drawn.lines(bubble))
        assert CONTENT_REJECTED in shown, "cut at 80 columns"
        chat.focus()
        await pilot.press("up")
        await pilot.press("r")
        await pilot.pause(0.3)
        (kept,) = await me.store.messages.by_ids([bubble.message.id])
        assert kept.status == SendStatus.FAILED and kept.error == ErrorCode.SENSITIVE_WORD_BLOCKED
        assert await me.store.outbox.count() == 0
    texts = [m.content.get("content") for m in await alice.messages(ConvRef.private("me"))]
    assert texts == ["hi"]


def _bubble_texts(chat: ChatView) -> list[str]:
    return [str(b.message.content.get("content")) for b in chat.bubbles()]


async def test_a_refused_message_keeps_its_place_as_the_chat_goes_on(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    """Seen in the app: a rejected message stayed at the bottom, below every reply
    that came after it, for good. It stays where it was written, in the open chat and
    when the chat is opened again."""
    alice, me = await _alice_and_me(make_client, server_handle, "spam", None)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await _typed_to_alice(pilot, app, "buy spam", SendStatus.FAILED)
        await pilot.press(*"sorry", "enter")
        await send_all(alice, "me", ["what?"])
        expected = ["hi", "buy spam", "sorry", "what?"]
        await until(pilot, lambda: _bubble_texts(chat) == expected, "in place, live")
        await pilot.press("escape", "escape")
        await pilot.pause()
        app.screen.query_one(ConversationList).focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: _bubble_texts(chat) == expected, "in place, opened again")
        refused = chat.bubbles()[1]
        shown = " ".join(line.strip() for line in drawn.lines(refused))
        assert CONTENT_REJECTED in shown


async def test_the_list_row_marks_a_refused_message_until_another_follows(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    """The chat list showed a refused message as the last one, as if it had gone: its
    row now says "!" before it, as long as it is the message the row shows."""
    alice, me = await _alice_and_me(make_client, server_handle, "spam", None)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _typed_to_alice(pilot, app, "buy spam", SendStatus.FAILED)
        await until(pilot, lambda: "! buy spam" in list_lines(app)[1], "the mark")
        await send_all(alice, "me", ["what?"])
        await until(pilot, lambda: list_lines(app)[1].strip() == "what?", "the reply, unmarked")


async def test_a_message_whose_words_were_replaced_shows_what_the_others_see(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    """The server replaced a word (the app's sensitive words here; its backend's
    replaceContent is acked the same): the sender's bubble, its list row and its store
    hold what was stored and what the receiver got, not what was typed."""
    alice, me = await _alice_and_me(make_client, server_handle, "darn", "****")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await _typed_to_alice(pilot, app, "darn it", SendStatus.SENT)
        bubble = chat.bubbles()[-1]
        assert bubble.message.content == {"content": "**** it"}
        await until(
            pilot,
            lambda: any("**** it" in line for line in drawn.lines(chat.bubbles()[-1])),
            "the stored text drawn",
        )
        assert not any("darn" in line for line in drawn.lines(chat.bubbles()[-1]))
        await until(
            pilot, lambda: any("**** it" in line for line in list_lines(app)), "the list row"
        )
    (kept,) = await me.store.messages.by_ids([bubble.message.id])
    assert kept.content == {"content": "**** it"}
    texts = [m.content.get("content") for m in await alice.messages(ConvRef.private("me"))]
    assert texts == ["hi", "**** it"]


async def test_block_and_unblock_from_the_palette(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    await send_all(alice, "me", ["hi"])
    me = await make_client("me")
    other_device = await make_client("me", "phone")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        listing = app.screen.query_one(ConversationList)
        listing.focus()
        listing.highlight(ALICE)
        await pilot.press("ctrl+p")
        await pilot.press(*"Block alice")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "⛔" in list_lines(app)[0], "the blocked mark")
        assert "alice" in list_lines(app)[0]
        await until(pilot, lambda: bool(app.screen.query("Toast")), "the confirmation")
        assert me.privacy.known is not None and me.privacy.known.blocked == ("alice",)

        # alice is refused now.
        message = await alice.send_text(ConvRef.private("me"), "still there?")
        (done,) = await alice.wait_sent([message.id], timeout=10)
        assert done.error == ErrorCode.REJECTED_BY_BLACKLIST

        # Blocked on another device: the palette offers to unblock, and the mark goes
        # when that device unblocks.
        await other_device.privacy.unblock("alice")
        await until(pilot, lambda: "⛔" not in list_lines(app)[0], "the mark gone")
        await other_device.privacy.block("alice")
        await until(pilot, lambda: "⛔" in list_lines(app)[0], "the mark back")
        listing.focus()
        await pilot.press("ctrl+p")
        await pilot.press(*"Unblock alice")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "⛔" not in list_lines(app)[0], "unblocked")
    for _ in range(100):
        if (await other_device.privacy.settings()).blocked == ():
            break
        await asyncio.sleep(0.02)
    assert (await other_device.privacy.settings()).blocked == ()

"""Recall, re-edit, delete and clear history in the app, against a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from imkit_tui import messages
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import RecallNoticeBubble
from imkit_tui.ui.screens import history_actions
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from tests.conftest import ClientFactory
from tests.ui.test_app import bob_said_hello, make_app, send_all, until
from tests.ui.test_chat_view import screen_text

ME = ConvRef.private("me")


async def _send_and_recall(pilot: Pilot[None], app: IMKitApp, text: str) -> ChatView:
    """Open the chat with bob (who said hello), send ``text``, recall it."""
    await pilot.press("enter")
    await pilot.press(*text, "enter")
    chat = app.screen.query_one(ChatView)
    await until(pilot, lambda: chat.shown[-1].seq == 2, "the ack")
    chat.focus()
    await pilot.press("up", "x")  # select the newest (mine), recall it
    await until(pilot, lambda: chat.shown[-1].object_name == messages.RECALL_NTF, "the recall")
    return chat


async def test_recall_then_re_edit_and_the_peer_sees_a_notice(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        chat = await _send_and_recall(pilot, app, "meet at 5pm, not 6")
        notice = chat.bubbles()[-1]
        assert isinstance(notice, RecallNoticeBubble)
        # Own action, in the first person, with the key that takes the text back.
        assert notice.notice == "You recalled a message · e to edit again"
        assert "You recalled a message · e to edit again" in screen_text(app)
        await pilot.press("e")  # re-edit: the text comes back into the composer
        composer = app.screen.query_one(Composer)
        await until(pilot, lambda: composer.text == "meet at 5pm, not 6", "the text back")
        assert composer.cursor_location == composer.document.end

    page = await bob.messages(ME)
    recalled = [m for m in page if m.seq == 2]
    assert recalled and recalled[0].object_name == messages.RECALL_NTF
    assert "5pm" not in str(recalled[0].content)


async def test_the_re_edit_hint_goes_when_the_text_is_no_longer_kept(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_actions, "RE_EDIT_SECONDS", 0.5)
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        chat = await _send_and_recall(pilot, app, "oops")
        notice = chat.bubbles()[-1]
        assert isinstance(notice, RecallNoticeBubble) and notice.re_editable
        await until(pilot, lambda: "edit again" not in screen_text(app), "the hint to go")
        assert notice.notice == "You recalled a message"
        assert "You recalled a message" in screen_text(app)
    # The peer reads it in the third person.
    page = await bob.messages(ME)
    recalled = next(m for m in page if m.seq == 2)
    assert messages.summarize(recalled.object_name, recalled.content, "bob") == (
        "me recalled a message"
    )


async def test_delete_asks_where_and_the_message_leaves_the_chat(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await send_all(bob, "me", ["keep me", "delete me"])
    me = await make_client("me")
    other = await make_client("me", "phone")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: len(chat.shown) == 2, "both messages")
        chat.focus()
        await pilot.press("up", "d")
        menu = app.screen.query_one(OptionList)
        assert "Delete for me on every device" in str(menu.get_option_at_index(1).prompt)
        await pilot.press("down", "enter")
        await until(pilot, lambda: len(chat.shown) == 1, "the message to leave")
        assert chat.shown[0].content == {"content": "keep me"}
        # And the screen: the deleted text stayed drawn until something else moved.
        await until(pilot, lambda: "delete me" not in screen_text(app), "off the screen")
        assert "keep me" in screen_text(app)

    async def other_device_follows() -> bool:
        page = await other.messages(ConvRef.private("bob"))
        return [m.object_name for m in page] == [messages.TEXT, messages.DELETED]

    with other.subscribe() as events:
        async with asyncio.timeout(10):
            while not await other_device_follows():
                await events.next()


async def test_clear_history_from_the_palette(make_client: ClientFactory, tmp_path: Path) -> None:
    bob = await make_client("bob")
    await send_all(bob, "me", ["one", "two"])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: len(chat.shown) == 2, "the history")
        app.screen.action_clear_history()
        await pilot.pause()
        await pilot.press("enter")  # yes
        await until(pilot, lambda: chat.shown == [], "an empty chat")
    assert await me.messages(ConvRef.private("bob")) == []
    assert await me.history.load(ConvRef.private("bob")) == []

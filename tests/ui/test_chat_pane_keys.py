"""Keys of the chat pane in the whole app: escape goes back to the conversation list in
one press, from the messages or from the composer, and the keys typed after it go there
however fast they come. A real server and the real app."""

from __future__ import annotations

from pathlib import Path

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.conversation_list import ConversationList
from tests.conftest import ClientFactory
from tests.ui.test_app import bob_said_hello, make_app, send_all, until
from tests.ui.test_composer_keys import burst, key_event


async def test_one_escape_from_a_selected_message_reaches_the_list(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    await send_all(bob, "me", ["second", "third"])
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")  # opens bob
        screen = app.screen
        assert isinstance(screen, MainScreen)
        chat, listing = screen.query_one(ChatView), screen.query_one(ConversationList)
        await until(pilot, lambda: len(chat.shown) == 3, "bob's messages")
        chat.focus()
        await pilot.press("up", "up")  # the user reads: a message is selected
        assert chat.selected is not None
        await pilot.press("escape")
        assert app.focused is listing
        assert chat.selected is None  # nothing left selected behind the user's back


async def test_one_escape_from_the_composer_reaches_the_list(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    _bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        composer = screen.query_one(Composer)
        assert app.focused is composer
        await pilot.press(*"half a thought", "escape")
        assert app.focused is screen.query_one(ConversationList)
        assert composer.text == "half a thought"


async def test_escape_down_enter_in_one_burst_opens_the_next_chat_and_sends_nothing(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """As a script (tmux send-keys) or a fast typist sends them: the draft stays a draft."""
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["from alice"])
    await send_all(bob, "me", ["from bob"])  # bob on top, alice below
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")  # opens bob
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await until(pilot, lambda: screen.current == ConvRef.private("bob"), "bob open")
        await burst(pilot, app, *"not yet", "escape", "down", "enter")
        await until(pilot, lambda: screen.current == ConvRef.private("alice"), "alice open")
        bob_row = await me.conversation(ConvRef.private("bob"))
        assert bob_row is not None and bob_row.draft == "not yet"
        assert [m.content["content"] for m in await me.messages(ConvRef.private("bob"))] == [
            "from bob"
        ]


async def test_ctrl_q_right_after_typing_keeps_the_whole_draft(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """ctrl+q is the app's priority key: it runs ahead of the characters still queued."""
    _bob, me, app = await bob_said_hello(make_client, tmp_path)
    draft = "a draft typed fast, the whole of it kept " * 3
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")  # opens bob
        for key in [*draft, "ctrl+q"]:
            app.post_message(key_event(key))
        await until(pilot, lambda: app.return_code is not None, "the app to end")
    row = await me.conversation(ConvRef.private("bob"))
    assert row is not None and row.draft == draft

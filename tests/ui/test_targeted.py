"""`/to` in a group chat: a targeted message, marked with whom it went to."""

from __future__ import annotations

from pathlib import Path

import pytest

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.composer_input import CommandError, TargetedCommand, parse_command
from tests.conftest import ClientFactory
from tests.ui.test_app import make_app, until

TEAM = ConvRef.group("team")


async def test_to_sends_a_message_only_the_named_members_get(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, carol, me = [await make_client(user) for user in ("bob", "carol", "me")]
    await me.create_group("team", "Team", ["bob", "carol"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.current == TEAM
        composer = screen.query_one(Composer)
        composer.load_text("/to bob see you at five")
        await pilot.press("enter")
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq is not None, "the ack")
        sent = chat.shown[-1]
        assert sent.to == ("bob",) and sent.content["content"] == "see you at five"
        bubble = chat.bubble_of(sent.id)
        assert bubble is not None and bubble.meta_text.endswith("· to bob")
        assert composer.text == ""

    async def bob_got_it() -> bool:
        return any(m.to == ("bob",) for m in await bob.messages(TEAM))

    for _ in range(200):
        if await bob_got_it():
            break
        await pilot.pause(0.02)
    assert await bob_got_it()
    await carol.wait_synced(timeout=5)
    assert all(m.content.get("content") != "see you at five" for m in await carol.messages(TEAM))


def test_to_parses_or_says_how_to_write_it() -> None:
    assert parse_command("/to bob,@carol,bob  hi there ") == TargetedCommand(
        ("bob", "carol"), "hi there"
    )
    for bad in ("/to", "/to bob", "/to  hi"):
        with pytest.raises(CommandError, match="Usage: /to"):
            parse_command(bad)

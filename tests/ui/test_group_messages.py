"""Group messages in the app: `/to` sends a targeted message, marked with whom it went
to; the actions menu asks for read receipts and the status line counts the readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import TextPromptScreen
from imkit_tui.ui.screens.receipt_actions import ReceiptsScreen
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.composer_input import CommandError, TargetedCommand, parse_command
from tests.conftest import ClientFactory
from tests.ui.test_app import list_lines, make_app, until

TEAM = ConvRef.group("team")


async def test_to_sends_a_message_only_the_named_members_get(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, carol, me = [await make_client(user) for user in ("bob", "carol", "me")]
    await me.groups.create("team", "Team", ["bob", "carol"])
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


async def choose(pilot: Pilot[None], label: str) -> None:
    """Pick the entry of the open actions menu whose text starts with ``label``."""
    menu = pilot.app.screen.query_one(OptionList)
    labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
    index = next(i for i, text in enumerate(labels) if label in text)
    menu.highlighted = index
    await pilot.press("enter")


async def test_asking_for_read_receipts_counts_who_read(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, carol, me = [await make_client(user) for user in ("bob", "carol", "me")]
    await me.groups.create("team", "Team", ["bob", "carol"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        await pilot.press(*"who is in?", "enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq is not None, "the ack")
        chat.focus()
        await pilot.press("up", "m")
        await choose(pilot, "Ask for read receipts")
        mine = chat.shown[-1]
        await until(pilot, lambda: chat.shown[-1].receipt_asked, "the request to be noted")
        bubble = chat.bubble_of(mine.id)
        assert bubble is not None
        await until(pilot, lambda: "0 read · 2 unread" in bubble.meta_text, "the count")

        async def bob_has_it() -> bool:
            return any(m.content.get("content") == "who is in?" for m in await bob.messages(TEAM))

        for _ in range(200):
            if await bob_has_it():
                break
            await pilot.pause(0.02)
        await bob.mark_read(TEAM)
        await until(pilot, lambda: "1 read · 1 unread" in bubble.meta_text, "bob's answer")

        await pilot.press("m")
        await choose(pilot, "Read by")
        await until(pilot, lambda: isinstance(app.screen, ReceiptsScreen), "the readers")
        shown = app.screen
        assert isinstance(shown, ReceiptsScreen)
        assert shown.read == ("bob",) and shown.unread == ("carol",)
        await pilot.press("escape")
    assert all(m.object_name != "RC:RRReqMsg" for m in chat.shown)
    (row,) = [c for c in await carol.conversations() if c.ref == TEAM]
    assert row.preview.endswith("who is in?")


async def test_the_list_and_the_header_show_the_groups_name(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, me = await make_client("bob"), await make_client("me")
    await bob.groups.create("team", "Team", ["me"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: "# Team" in "".join(list_lines(app)), "the name in the list")
        await pilot.press("enter")
        header = app.screen.query_one(ChatHeader)
        assert "# Team" in header.render().plain
        await bob.groups.rename("team", "Dream Team")
        await until(pilot, lambda: "# Dream Team" in "".join(list_lines(app)), "the new name")
        await until(pilot, lambda: "# Dream Team" in header.render().plain, "the header")


async def test_a_new_group_from_the_app(make_client: ClientFactory, tmp_path: Path) -> None:
    bob, me = await make_client("bob"), await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        main.action_new_group()
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen), "the members asked")
        await pilot.press(*"me", "enter")  # only myself: said, and asked again
        error = app.screen.query_one("#prompt-error", Label)
        await until(pilot, lambda: "at least one other" in str(error.render()), "why")
        app.screen.query_one(Input).value = "bob, carol"
        await pilot.press("enter")
        await until(
            pilot, lambda: "Name of the group" in str(app.screen.query_one(Label).render()), "name"
        )
        app.screen.query_one(Input).value = "Crew"
        await pilot.press("enter")
        await until(pilot, lambda: (main.current or TEAM).target.startswith("g-"), "the chat")
        group_id = (main.current or TEAM).target
        header = main.query_one(ChatHeader)
        await until(pilot, lambda: "# Crew" in header.render().plain, "its name")
    group = await bob.groups.info(group_id)
    assert (group.name, group.owner, group.members) == ("Crew", "me", ("me", "bob", "carol"))

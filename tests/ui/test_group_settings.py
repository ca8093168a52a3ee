"""The group settings screen on a real server: members, search, invite and remove, mute,
speak whitelist, rename, who may do what, quit and dismiss, offline and removed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Switch

from imkit_tui.core import IMClient, RequestFailed
from imkit_tui.protocol import ConversationType, ConvRef, ErrorCode
from imkit_tui.ui import palette as command_palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.chat_settings import ChatSettingsScreen
from imkit_tui.ui.screens.group_settings import GONE, OFFLINE, GroupSettingsScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import ConfirmScreen, TextPromptScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.member_list import MemberList
from tests.conftest import ClientFactory, ServerHandle
from tests.ui.test_app import list_lines, make_app, until

TEAM = ConvRef(type=ConversationType.GROUP, target="team")


async def _open_settings(pilot: Pilot[None], app: IMKitApp, *, loaded: bool = True) -> None:
    """Open the team's chat (the only conversation), then its settings."""
    await until(pilot, lambda: "# Team" in "".join(list_lines(app)), "the group in the list")
    await pilot.press("enter")
    await until(pilot, lambda: getattr(app.screen, "current", None) == TEAM, "the chat")
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, GroupSettingsScreen), "the settings")
    if loaded:
        await until(pilot, lambda: _screen(app).group is not None, "the members")


def _screen(app: IMKitApp) -> GroupSettingsScreen:
    screen = app.screen
    assert isinstance(screen, GroupSettingsScreen)
    return screen


def _members(app: IMKitApp) -> MemberList:
    return _screen(app).query_one(MemberList)


async def _select(pilot: Pilot[None], app: IMKitApp, member: str) -> None:
    members = _members(app)
    members.options.highlighted = members.shown.index(member)
    members.options.focus()
    await pilot.pause()


async def _answer(pilot: Pilot[None], app: IMKitApp, prompt: type[object], text: str) -> None:
    """Answer the prompt that opens next: type ``text`` (if any) and press enter."""
    await until(pilot, lambda: isinstance(app.screen, prompt), f"the {prompt.__name__}")
    if text:
        app.screen.query_one("#prompt-input", Input).value = text
    await pilot.press("enter")


def _notes(app: IMKitApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def _line(members: MemberList, member: str) -> str:
    return str(members.options.get_option(member).prompt)


async def test_owner_sees_searches_adds_and_removes_members(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    bob = await make_client("bob")
    await me.groups.create("team", "Team", ["bob", "carol"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await _open_settings(pilot, app)
        screen, members = _screen(app), _members(app)
        assert str(screen.query_one("#settings-title").render()) == "Team"
        assert "3 members" in str(screen.query_one("#settings-info").render())
        assert members.shown == ["me", "bob", "carol"]
        assert "(you)" in _line(members, "me") and "owner" in _line(members, "me")
        assert "owner" not in _line(members, "bob")

        await pilot.press("slash", "c", "a")
        await until(pilot, lambda: members.shown == ["carol"], "the search to filter")
        await pilot.press("backspace", "backspace", "enter")
        await until(pilot, lambda: len(members.shown) == 3, "everyone again")

        await pilot.press("a")
        await _answer(pilot, app, TextPromptScreen, "dave, erin  carol")
        await until(pilot, lambda: "erin" in (screen.group.members if screen.group else ()), "+")
        assert "5 members" in str(screen.query_one("#settings-info").render())
        assert (await bob.groups.info("team")).members == ("me", "bob", "carol", "dave", "erin")

        await _select(pilot, app, "dave")
        await pilot.press("x")
        await _answer(pilot, app, ConfirmScreen, "")
        await until(pilot, lambda: "dave" not in members.shown, "dave to leave the list")
        assert "dave" not in (await bob.groups.info("team")).members
        assert "Removed dave" in _notes(app)

        await _select(pilot, app, "me")
        await pilot.press("x")  # the owner cannot remove themself
        await until(pilot, lambda: any("dismiss" in n for n in _notes(app)), "the refusal")
        assert isinstance(app.screen, GroupSettingsScreen)


async def test_owner_mutes_keeps_the_speak_whitelist_renames_and_dismisses(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    carol = await make_client("carol")
    await me.groups.create("team", "Team", ["bob", "carol"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await _open_settings(pilot, app)
        screen, members = _screen(app), _members(app)

        def group_now() -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
            group = screen.group
            assert group is not None
            return group.muted, group.all_muted, group.speakers

        await _select(pilot, app, "bob")
        await pilot.press("m")
        await until(pilot, lambda: group_now()[0] == ("bob",), "bob muted")
        assert "muted" in _line(members, "bob")
        assert (await carol.groups.info("team")).muted == ("bob",)

        await pilot.press("M")
        mute_all = screen.query_one("#all-muted", Switch)
        await until(pilot, lambda: group_now()[1] and mute_all.value, "everyone muted")
        await _select(pilot, app, "carol")
        await pilot.press("s")
        await until(pilot, lambda: group_now()[2] == ("carol",), "carol on the whitelist")
        assert "may speak" in _line(members, "carol")
        seen = await carol.groups.info("team")
        assert seen.all_muted and seen.speakers == ("carol",)

        await pilot.click("#all-muted")
        await until(pilot, lambda: not group_now()[1], "the mute of all lifted")
        assert not (await carol.groups.info("team")).all_muted

        await pilot.press("r")
        await _answer(pilot, app, TextPromptScreen, "Core team")
        title = screen.query_one("#settings-title")
        await until(pilot, lambda: str(title.render()) == "Core team", "the new name")
        assert (await carol.groups.info("team")).name == "Core team"

        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Dismiss Core team?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the settings to close")
    with pytest.raises(RequestFailed) as refused:
        await carol.groups.info("team")
    assert refused.value.code == ErrorCode.NOT_IN_GROUP


async def test_a_member_gets_no_owner_actions_and_quits_after_confirming(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    me = await make_client("me")
    await alice.groups.create("team", "Team", ["me", "bob"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await _open_settings(pilot, app)
        screen = _screen(app)
        keys = {binding.action for (_, binding, enabled, _) in screen.active_bindings.values()}
        assert {"add_members", "leave"} <= keys
        assert not keys & {"remove_member", "rename", "mute_member", "mute_all"}
        assert not screen.query_one("#remove_member").display
        assert not screen.query_one("#rename").display
        assert not screen.query_one("#mute-all-setting").display
        commands = [command.title for command in command_palette.entries(screen)]
        assert "Add members…" in commands and "Quit the group…" in commands
        assert "Rename the group…" not in commands

        await _select(pilot, app, "bob")
        await pilot.press("x", "r")  # not offered: nothing happens
        assert isinstance(app.screen, GroupSettingsScreen)
        screen.action_remove_member()  # asked for anyway (a stale palette): refused clearly
        await until(pilot, lambda: "Only the owner can remove members" in _notes(app), "no")

        await pilot.press("ctrl+p", *"Quit the group")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        palette = app.screen
        await until(pilot, lambda: palette.query_one(OptionList).option_count > 0, "found")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Quit Team?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("escape")  # no: nothing happens
        await until(pilot, lambda: isinstance(app.screen, GroupSettingsScreen), "back")
        assert "me" in (await alice.groups.info("team")).members

        await pilot.press("q")
        await _answer(pilot, app, ConfirmScreen, "")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the settings to close")
        assert "You left Team" in _notes(app)
    assert (await alice.groups.info("team")).members == ("alice", "bob")


async def test_dnd_and_pin_persist_and_a_private_chat_keeps_its_screen(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    phone = await make_client("me", "phone")
    await me.groups.create("team", "Team", ["bob"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await _open_settings(pilot, app)
        screen = _screen(app)
        await pilot.press("d", "p")
        await until(pilot, lambda: screen.row.muted and screen.row.pinned, "muted and pinned")
        assert screen.query_one("#muted", Switch).value
        await pilot.press("c")  # closes; the main screen asks
        await _answer(pilot, app, ConfirmScreen, "")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown == [], "the cleared chat")
        assert "🔕" in "".join(list_lines(app))

        await pilot.press("ctrl+n", *"bob", "enter")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen), "bob's settings")
        assert not isinstance(app.screen, GroupSettingsScreen)

    async def synced(client: IMClient) -> bool:
        row = await client.conversation(TEAM)
        return row is not None and row.muted and row.pinned

    with phone.subscribe() as events:
        async with asyncio.timeout(10):
            while not await synced(phone):
                await events.next()


async def test_offline_it_shows_what_it_can_and_loads_once_connected(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    await me.groups.create("team", "Team", ["bob"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: "# Team" in "".join(list_lines(app)), "the group")
        await server_handle.stop()
        await _open_settings(pilot, app, loaded=False)
        screen = _screen(app)
        await until(pilot, lambda: screen.status == OFFLINE, "cannot reach the server")
        assert str(screen.query_one("#settings-title").render()) == "# Team"
        await pilot.press("a")
        await until(pilot, lambda: "Not connected: cannot add members now." in _notes(app), "!")
        assert isinstance(app.screen, GroupSettingsScreen)
        await pilot.press("p")  # the conversation's own settings work offline
        await until(pilot, lambda: screen.row.pinned, "pinned offline")

        await server_handle.start()
        await until(pilot, lambda: screen.group is not None, "the members once connected")
        assert screen.status == "" and _members(app).shown == ["me", "bob"]
        assert str(screen.query_one("#settings-title").render()) == "Team"


async def test_a_removed_member_is_told_so(make_client: ClientFactory, tmp_path: Path) -> None:
    alice = await make_client("alice")
    me = await make_client("me")
    await alice.groups.create("team", "Team", ["me", "bob"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: "# Team" in "".join(list_lines(app)), "the group")
        await alice.groups.kick("team", ["me"])
        await _open_settings(pilot, app, loaded=False)
        screen = _screen(app)
        await until(pilot, lambda: screen.status == GONE, "not a member any more")
        assert _members(app).shown == []
        assert not screen.query_one("#leave").display
        assert not screen.query_one("#add_members").display
        screen.action_add_members()
        await until(pilot, lambda: GONE in _notes(app), "the same said on asking")


async def test_an_invitation_is_accepted_from_the_palette(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    mallory = await make_client("mallory")
    await me.privacy.block("mallory")
    made = await mallory.groups.create("team", "Team", ["me"])
    assert made.invited == ("me",) and "me" not in made.members
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: "invited you" in "".join(list_lines(app)), "the invitation")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.action_accept_invitation()
        await until(pilot, lambda: bool(app.screen.query("#prompt-input")), "the prompt")
        await _answer(pilot, app, TextPromptScreen, "team")
        await until(pilot, lambda: getattr(app.screen, "current", None) == TEAM, "the chat")
    assert "me" in (await mallory.groups.info("team")).members

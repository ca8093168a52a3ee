"""Conversations the user cannot write to show why instead of a composer, and keep no
draft: the System conversation, a dismissed group, a group the user was removed from."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import SelectionList

from imkit_tui import messages
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.forward import ForwardScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.read_only import (
    DISMISSED_REASON,
    LEFT_REASON,
    SYSTEM_REASON,
    ReadOnlyNote,
)
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.ui.test_app import make_app, until
from tests.ui.whole_text import region_text, screen_strips

SYSTEM = ConvRef(type=ConversationType.SYSTEM, target="system")
TEAM = ConvRef.group("team")
BOB = ConvRef.private("bob")


def _main(app: IMKitApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def _writable(app: IMKitApp) -> bool:
    """Whether the composer is shown (and no note saying why not)."""
    screen = _main(app)
    note = screen.query_one(ReadOnlyNote)
    return bool(screen.query_one("#composer-row").display) and not note.display


def _note(app: IMKitApp) -> str:
    """What the screen shows where the composer would be ("" when it is shown)."""
    note = _main(app).query_one(ReadOnlyNote)
    if not note.display:
        return ""
    region = app.screen._compositor.visible_widgets[note][0]
    return region_text(screen_strips(app), region)


async def _open(pilot: Pilot[None], app: IMKitApp, conv: ConvRef) -> None:
    await _main(app).open_conversation(conv)
    await pilot.pause()


async def test_the_system_conversation_says_why_and_keeps_no_draft(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    server = server_handle.server
    assert server is not None
    await server.send_system("me", messages.TEXT, messages.text_content("Welcome"))
    await (await make_client("bob")).send_text(ConvRef.private("me"), "hi")
    me = await make_client("me")
    await me.set_draft(SYSTEM, "typed before")  # an older version kept what was typed
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app, SYSTEM)
        assert not _writable(app)
        assert _note(app) == SYSTEM_REASON
        # Typing goes nowhere: the chat has the focus, the composer is not shown.
        assert isinstance(app.focused, ChatView)
        await pilot.press(*"lost words")
        composer = _main(app).query_one(Composer)
        assert composer.text == "" and composer.draft_key is None
        # A chat that can be written to shows the composer again, with its draft.
        await _open(pilot, app, BOB)
        assert _writable(app) and _note(app) == ""
        await pilot.press(*"for bob")
        await _open(pilot, app, SYSTEM)
        await pilot.press("ctrl+a")  # no attachment board either
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await _main(app).keep_draft()
    assert (await me.conversation(SYSTEM)).draft == ""  # type: ignore[union-attr]
    assert (await me.conversation(BOB)).draft == "for bob"  # type: ignore[union-attr]


async def test_a_group_the_user_was_removed_from_or_that_ended(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, me = await make_client("bob"), await make_client("me")
    await bob.send_text(ConvRef.private("me"), "hello")
    await bob.groups.create("team", "Team", ["me", "carol"])
    await bob.groups.create("crew", "Crew", ["me"])
    await until_client(me, lambda: _has(me, ConvRef.group("crew")))
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app, TEAM)
        assert _writable(app)
        await pilot.press(*"half a thought")
        # Removed while the chat is open: the composer goes, and so does what was typed.
        await bob.groups.kick("team", ["me"])
        await until(pilot, lambda: _note(app) == LEFT_REASON, "the reason")
        assert not _writable(app)
        # A dismissed group says so.
        await bob.groups.dismiss("crew")
        await until_client(me, lambda: _last_is_notice(me, ConvRef.group("crew")))
        await _open(pilot, app, ConvRef.group("crew"))
        await until(pilot, lambda: _note(app) == DISMISSED_REASON, "the reason")
        assert not _writable(app)
        await _open(pilot, app, TEAM)
        assert _note(app) == LEFT_REASON and not _writable(app)
        await _main(app).keep_draft()
        # Nor is either offered as a place to forward to.
        await _open(pilot, app, BOB)
        chat = _main(app).query_one(ChatView)
        chat.focus()
        await pilot.press("up", "f")
        await until(pilot, lambda: isinstance(app.screen, ForwardScreen), "the dialog")
        targets = app.screen.query_one(SelectionList)
        offered = [str(targets.get_option_at_index(i).prompt) for i in range(targets.option_count)]
        assert offered == ["bob"]
    assert (await me.conversation(TEAM)).draft == ""  # type: ignore[union-attr]


async def _has(client: IMClient, conv: ConvRef) -> bool:
    return await client.conversation(conv) is not None


async def _last_is_notice(client: IMClient, conv: ConvRef) -> bool:
    page = await client.messages(conv)
    return bool(page) and "dismiss" in str(page[-1].content).lower()

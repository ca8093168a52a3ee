"""The private-chat settings screen: switches act at once and follow other devices."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Switch

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.screens.chat_settings import ChatSettingsScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.search import SearchScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui.test_app import list_lines, make_app, send_all, until

BOB = ConvRef.private("bob")


async def test_switches_search_and_clear_from_the_settings(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    await send_all(bob, "me", ["hello there"])
    me = await make_client("me")
    phone = await make_client("me", "phone")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.press("enter")  # open bob
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen), "the settings")
        settings = app.screen
        assert "user id bob" in str(settings.query_one("#settings-info").render())

        await pilot.click("#muted")
        await pilot.click("#pinned")
        await until(pilot, lambda: settings.row.muted and settings.row.pinned, "muted, pinned")

        # A change on another device shows while the screen is open.
        await phone.change_settings(BOB, pinned=False)
        pinned = settings.query_one("#pinned", Switch)
        await until(pilot, lambda: not pinned.value, "the other device's unpin")

        await pilot.click("#blocked")
        privacy = next(s for s in app.screen_stack if isinstance(s, MainScreen)).privacy
        await until(pilot, lambda: privacy.is_blocked("bob"), "bob blocked")

        await pilot.click("#search")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        await pilot.press("escape")

        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen), "the settings")
        await pilot.click("#clear")
        await pilot.pause()
        await pilot.press("enter")  # yes
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown == [], "the cleared chat")
        assert "🔕" in "".join(list_lines(app))

    with phone.subscribe() as events:
        async with asyncio.timeout(10):
            while not (row := await phone.conversation(BOB)) or not row.muted:
                await events.next()
    assert list((await me.privacy.settings()).blocked) == ["bob"]

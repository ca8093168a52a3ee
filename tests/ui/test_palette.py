"""The command palette: each screen lists its own entries; the app only its own."""

from __future__ import annotations

from pathlib import Path

from imkit_tui.protocol import ConvRef
from imkit_tui.ui import palette
from tests.conftest import ClientFactory
from tests.ui.test_actions import SIZE, select_last, until
from tests.ui.test_app import make_app

ME = ConvRef.private("me")

#: Every entry of the main screen with a private chat open, its last message selected
#: and marked (the jump to a mention is checked in test_mentions, a group's own
#: entries in test_group_settings).
MAIN_ENTRIES = {
    "New chat with…",
    "New group…",
    "Accept invitation to a group…",
    "Conversations",
    "Chatrooms…",
    "Write a message",
    "Jump to latest",
    "Pin bob",
    "Do not disturb: bob",
    "Mark bob as unread",
    "Settings of bob",
    "Clear history with bob",
    "Remove bob from the list",
    "Block bob",
    "Public service accounts…",
    "Set my display name…",
    "Set my picture…",
    "Offline pushes: where they go…",
    "Customer service",
    "Attach…",
    "Send an image…",
    "Send a file…",
    "Send a voice message…",
    "Send a video…",
    "Send a location…",
    "Forward 1 marked message…",
    "Unmark all messages",
    "Message: Copy text",
    "Message: Forward…",
    "Message: Unmark",
    "Message: Actions…",
    "GIF animations: stop or start",
    "Search messages",
}


async def test_the_main_screen_lists_every_entry_and_the_app_none_of_them(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    message = await bob.send_text(ME, "pick me")
    await bob.wait_sent([message.id], timeout=10)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chat = await select_last(pilot)
        await pilot.press("space")
        await until(pilot, lambda: len(chat.marked) == 1, "the mark")
        titles = [command.title for command in palette.entries(app.screen)]
        own = {command.title for command in app.get_system_commands(app.screen)}
        themes = {title for title in own if title.startswith("Theme: ")}
        assert themes and "Quit" in own  # the app's: Textual's own and the themes
        assert set(titles) - own == MAIN_ENTRIES
        assert not own & MAIN_ENTRIES  # the app does not reach into the screen
        assert len(titles) == len(set(titles))  # each entry once

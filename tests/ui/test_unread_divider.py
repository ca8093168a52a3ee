"""The "New messages" divider, in the whole app: right above the first message the user
has not read, whatever came between (notices that are not counted, own messages).

A real server, real clients with real stores, the real app driven by Pilot.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imkit_tui.core import IMClient, Message
from imkit_tui.ui.bubbles.divider import NEW_MESSAGES
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui.test_app import make_app, until
from tests.ui.test_mentions import TEAM, open_team, say, stored


def with_divider(chat: ChatView) -> list[str]:
    """The texts (or object names) of the bubbles with the "New messages" divider."""
    found = []
    for message in chat.shown:
        bubble = chat.bubble_of(message.id)
        if bubble is not None and ("unread", NEW_MESSAGES) in bubble.dividers:
            found.append(str(message.content.get("content", message.object_name)))
    return found


async def read_up_to(client: IMClient, text: str) -> Message:
    """Wait for `text` in `client`'s team chat and mark the chat read there."""
    message = await stored(client, text)
    await client.mark_read(TEAM)
    return message


@pytest.mark.parametrize("between", ["a notice", "an own message"])
async def test_the_divider_is_right_above_the_first_unread(
    between: str, make_client: ClientFactory, tmp_path: Path
) -> None:
    """Among the unread ones: a notice (shown, but not counted as unread), or a message
    this user sent from another device (not unread)."""
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    await say(alice, ["read already"])
    await read_up_to(bob, "read already")
    await say(alice, ["first unread"])
    if between == "a notice":
        await alice.groups.invite("team", ["carol"])
    else:
        await say(bob, ["bob answers from another device"])
    await say(alice, ["second unread", "third unread"])
    await stored(bob, "third unread")
    app = make_app(bob, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: len(chat.shown) >= 5, "the team's messages")
        assert with_divider(chat) == ["first unread"]

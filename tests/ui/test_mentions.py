"""@mentions in the whole app: completion in the composer, [@me] in the list, the jump.

A real server, real clients with real stores, the real app driven by Pilot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import events
from textual.pilot import Pilot

from imkit_tui.core import IMClient, Message
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui import palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.conversation_list import ConversationList
from tests.conftest import ClientFactory, ServerHandle
from tests.ui import drawn
from tests.ui.test_app import list_lines, make_app, until

TEAM = ConvRef(type=ConversationType.GROUP, target="team")


async def say(
    client: IMClient, texts: list[str], mentioned: tuple[str, ...] = (), mention_all: bool = False
) -> list[Message]:
    """Send texts to the team and wait for their acks."""
    sent = [
        await client.send_text(TEAM, text, mentioned=mentioned, mention_all=mention_all)
        for text in texts
    ]
    return await client.wait_sent([m.id for m in sent], timeout=10)


async def stored(client: IMClient, text: str) -> Message:
    """The message with `text` in the team chat of `client`'s store, once it is there."""
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while True:
                page = await client.messages(TEAM)
                found = [m for m in page if m.content.get("content") == text]
                if found:
                    return found[0]
                await events.next()


async def open_team(pilot: Pilot[None], app: IMKitApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    listing = screen.query_one(ConversationList)
    await until(pilot, lambda: listing.get(TEAM) is not None, "the team in the list")
    listing.focus()
    listing.highlight(TEAM)
    await pilot.press("enter")
    await until(pilot, lambda: screen.current == TEAM, "the team chat open")
    return screen


def team_row(app: IMKitApp) -> str:
    """The second line (preview, markers) of the team's row in the list."""
    lines = list_lines(app)
    for index in range(0, len(lines) - 1, 2):
        if "team" in lines[index].lower():
            return lines[index + 1]
    raise AssertionError(f"no team row in {lines}")


async def test_typing_at_offers_members_and_the_mention_reaches_the_member(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob, carol = [await make_client(u) for u in ("alice", "bob", "carol")]
    await alice.groups.create("team", "Team", ["bob", "carol"])
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        composer = screen.query_one(Composer)
        assert app.focused is composer
        await pilot.press(*"lunch? @")
        offered = ["all", "bob", "carol"]
        await until(pilot, lambda: composer.mentions_offered == offered, "the members")
        await pilot.press("c")
        await until(pilot, lambda: composer.mentions_offered == ["carol"], "carol only")
        await pilot.press("enter")
        await until(pilot, lambda: composer.text == "lunch? @carol ", "carol inserted")
        await pilot.press("enter")
        received = await stored(carol, "lunch? @carol")
        assert received.content["mentionedInfo"] == {"type": 2, "userIdList": ["carol"]}
        carol_row = await carol.conversation(TEAM)
        assert carol_row is not None and carol_row.mentions == 1
        await stored(bob, "lunch? @carol")
        bob_row = await bob.conversation(TEAM)
        assert bob_row is not None and bob_row.mentions == 0

        await pilot.press(*"@", "up", "up", "up", "enter")  # wraps around to "all"
        await until(pilot, lambda: composer.text == "@all ", "@all inserted")
        await pilot.press(*"thanks", "enter")
        everyone = await stored(bob, "@all thanks")
        assert everyone.content["mentionedInfo"] == {"type": 1, "userIdList": []}


async def test_offline_the_members_last_heard_are_offered_and_no_others(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    await alice.groups.create("team", "Team", ["bob"])  # alice's device now knows bob
    await alice.groups.invite("team", ["bea"])
    await server_handle.stop()
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        composer = screen.query_one(Composer)
        await pilot.press(*"hi @b")
        await until(pilot, lambda: composer.mentions_offered != [], "the members known")
        assert composer.mentions_offered == ["bob", "bea"]
        await pilot.press("enter")  # picks bob
        await pilot.press(*"and @nobody", "enter")
        await until(pilot, lambda: composer.text == "", "sent to the outbox")
        (queued,) = [m for m in await alice.messages(TEAM) if m.seq is None]
        # bob was picked; nobody was never a known member.
        assert queued.content["mentionedInfo"] == {"type": 2, "userIdList": ["bob"]}


async def test_me_marker_until_read_and_the_jump_key_shows_the_mention(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    await say(alice, ["morning"])
    (mention,) = await say(alice, ["@bob can you check the build?"], mentioned=("bob",))
    await say(alice, [f"chatter {i}" for i in range(250)])
    await stored(bob, "chatter 249")
    here = await bob.mentions.first_unread(TEAM)
    assert here is not None and here.uid == mention.uid
    app = make_app(bob, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: "[@me]" in team_row(app), "[@me] on the team's row")
        screen = await open_team(pilot, app)
        await until(pilot, lambda: "[@me]" not in team_row(app), "[@me] gone once read")
        row = await bob.conversation(TEAM)
        assert row is not None and row.mentions == 0 and row.unread == 0

        chat = screen.query_one(ChatView)
        header = screen.query_one(ChatHeader)
        assert "@ 1 mention (alt+m)" in header.render_line(0).text
        assert "alt+m" in screen.active_bindings  # in the footer while one waits
        assert "Jump to the @mention" in [c.title for c in palette.entries(screen)]
        assert chat.bubble_of(here.id) is None  # far above what the chat opened on
        await pilot.press("alt+m")
        await until(pilot, lambda: chat.selected is not None, "the mention selected")
        selected = chat.selected
        assert selected is not None and selected.uid == mention.uid
        bubble = chat.bubble_of(selected.id)
        assert bubble is not None
        await until(pilot, lambda: drawn.visible(bubble), "the mention in view")
        assert app.focused is chat
        assert "mention" not in header.render_line(0).text
        assert "alt+m" not in screen.active_bindings
        assert "Jump to the @mention" not in [c.title for c in palette.entries(screen)]
        await pilot.press("alt+m")  # nothing more to jump to: nothing happens
        assert chat.selected is not None and chat.selected.uid == mention.uid


async def test_mentions_arriving_while_reading_far_up_can_be_jumped_to(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    await say(alice, [f"old {i}" for i in range(30)])
    await stored(bob, "old 29")
    await bob.mark_read(TEAM)  # the chat opens at the latest
    app = make_app(bob, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: chat.at_bottom, "the chat at the latest")
        chat.focus()
        await pilot.press(*["up"] * 25)  # the user reads further up (one run: a line each)
        await until(pilot, lambda: not chat.at_bottom, "reading far up")
        (recalled,) = await say(alice, ["@bob oops, wrong chat"], mentioned=("bob",))
        (mention,) = await say(alice, ["@all standup now"], mention_all=True)
        header = screen.query_one(ChatHeader)
        await until(pilot, lambda: "@ 2 mentions" in header.render_line(0).text, "both noted")
        await alice.history.recall(recalled)
        await until(pilot, lambda: "@ 1 mention " in header.render_line(0).text, "one left")
        await pilot.press("alt+m")
        await until(
            pilot,
            lambda: chat.selected is not None and chat.selected.uid == mention.uid,
            "the mention selected",
        )


async def test_members_added_while_the_chat_is_open_are_offered(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        composer = screen.query_one(Composer)
        await pilot.press("@")
        await until(pilot, lambda: composer.mentions_offered == ["all", "bob"], "bob")
        await pilot.press("backspace")
        await bob.groups.invite("team", ["dave"])  # another member adds dave
        await alice.groups.invite("team", ["erin"])  # and this user adds erin (as settings do)
        chat = screen.query_one(ChatView)
        notices = lambda: sum(m.object_name == "RC:GrpNtf" for m in chat.shown)  # noqa: E731
        await until(pilot, lambda: notices() >= 3, "the notices of the additions")
        await pilot.press("@")
        offered = ["all", "bob", "dave", "erin"]
        await until(pilot, lambda: composer.mentions_offered == offered, "dave and erin")


async def test_alt_m_in_the_composer_jumps_and_types_nothing(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    (mention,) = await say(alice, ["@bob a look, please"], mentioned=("bob",))
    await say(alice, [f"chatter {i}" for i in range(40)])
    await stored(bob, "chatter 39")
    app = make_app(bob, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await open_team(pilot, app)
        composer, chat = screen.query_one(Composer), screen.query_one(ChatView)
        assert app.focused is composer
        assert "alt+m" in screen.active_bindings  # the footer offers it here
        # A terminal without the kitty protocol sends ESC m: alt+m with the character "m".
        app.post_message(events.Key("alt+m", "m"))
        await until(pilot, lambda: chat.selected is not None, "the mention selected")
        assert chat.selected is not None and chat.selected.uid == mention.uid
        assert composer.text == ""

"""Chatrooms in the app, on a real server: the list (ctrl+r), joining, the live stream,
the member panel, the attributes, leaving; and a busy room (60 messages a second) that
loses no message in the view while the composer keeps taking keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input

from imkit_tui import messages
from imkit_tui.core import Direction, IMClient, Message, SendStatus
from imkit_tui.core.chatroom_store import room_ref
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.chatrooms.settings import ChatroomSettings, PublicRoom
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.chatroom import ChatroomScreen
from imkit_tui.ui.screens.chatrooms import ChatroomsScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.room_feed import RoomFeed
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import FAST_BACKOFF, ServerHandle, running_server
from tests.ui.test_app import make_app, until

LOBBY = "lobby"


@pytest.fixture
async def lobby_server(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    settings = ChatroomSettings(public_rooms=(PublicRoom(LOBBY, "Lobby"),))
    async with running_server(tmp_path / "server", chatrooms=settings) as handle:
        yield handle


@pytest.fixture
async def clients(lobby_server: ServerHandle, tmp_path: Path) -> AsyncIterator[list[IMClient]]:
    made: list[IMClient] = []
    for user in ("me", "bob"):
        client = IMClient(
            server_url=lobby_server.url,
            token=lobby_server.token(user),
            store_path=tmp_path / user / "store.db",
            backoff=FAST_BACKOFF,
            request_timeout=5.0,
        )
        await client.start()
        await client.wait_synced(timeout=10)
        made.append(client)
    try:
        yield made
    finally:
        for client in made:
            await client.close()


def texts(screen: ChatroomScreen) -> list[str]:
    return [str(m.content.get("content", "")) for m in screen.chat.shown]


async def open_lobby(pilot: Pilot[None], app: IMKitApp) -> ChatroomScreen:
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(app.screen, ChatroomsScreen), "the list")
    listing = app.screen
    assert isinstance(listing, ChatroomsScreen)
    await until(pilot, lambda: bool(listing.rooms), "the public rooms")
    assert [r.room for r in listing.rooms] == [LOBBY]
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ChatroomScreen), "the room's screen")
    screen = app.screen
    assert isinstance(screen, ChatroomScreen)
    await until(pilot, lambda: screen.info is not None, "the join")
    return screen


async def test_open_the_list_join_see_the_stream_and_members_then_leave(
    clients: list[IMClient], tmp_path: Path
) -> None:
    me, bob = clients
    await bob.chatrooms.join(LOBBY)
    await bob.chatrooms.send_text(LOBBY, "said before you came")
    await bob.chatrooms.set_attributes(LOBBY, {"topic": "terminals"})
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_lobby(pilot, app)
        await until(pilot, lambda: "said before you came" in texts(screen), "the history")
        assert "2 members" in screen.header and "Lobby" in screen.header
        await bob.chatrooms.send_text(LOBBY, "live from bob")
        await until(pilot, lambda: "live from bob" in texts(screen), "the live message")
        screen.action_refresh_panels()
        await until(pilot, lambda: screen.members.shown == ["bob", "me"], "the members")
        await until(pilot, lambda: screen.attributes.shown == {"topic": "terminals"}, "attrs")
        assert app.focused is screen.composer
        await pilot.press("ctrl+a")  # no attachments in a room: said, nothing opens
        await pilot.pause(0.05)
        assert app.screen is screen and app._notifications
        await pilot.press(*"hello lobby", "enter")
        await until(pilot, lambda: "hello lobby" in texts(screen), "my own message")

        async def bob_has_it() -> bool:
            return "hello lobby" in [
                m.content.get("content") for m in await bob.chatrooms.messages(LOBBY)
            ]

        for _ in range(200):
            if await bob_has_it():
                break
            await pilot.pause(0.02)
        assert await bob_has_it()
        assert await me.store.chatrooms.count(LOBBY) >= 3
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        assert not me.chatrooms.is_joined(LOBBY)
        assert await me.store.chatrooms.count(LOBBY) == 0
        assert await me.conversations() == []


async def test_a_room_is_joined_by_id(clients: list[IMClient], tmp_path: Path) -> None:
    me, _bob = clients
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ChatroomsScreen), "the list")
        app.screen.query_one("#room-id", Input).focus()
        await pilot.press(*"side-room", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChatroomScreen), "the room")
        screen = app.screen
        assert isinstance(screen, ChatroomScreen)
        await until(pilot, lambda: screen.info is not None, "the join")
        assert screen.room == "side-room" and me.chatrooms.joined == ["side-room"]
        assert "1 member" in screen.header


async def test_a_busy_room_loses_nothing_and_the_composer_keeps_taking_keys(
    clients: list[IMClient], tmp_path: Path
) -> None:
    me, bob = clients
    await bob.chatrooms.join(LOBBY)
    app = make_app(me, tmp_path)
    rate, seconds = 60, 3
    total = rate * seconds
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_lobby(pilot, app)

        async def talk() -> None:
            for n in range(total):
                await bob.chatrooms.send_text(LOBBY, f"busy {n}")
                await asyncio.sleep(1 / rate)

        talking = asyncio.create_task(talk())
        typed = "typing while the room is busy"
        await pilot.pause(0.5)
        await pilot.press(*typed)
        assert screen.composer.text == typed  # every key arrived, in order
        await pilot.press("enter")
        await talking
        expected = [f"busy {n}" for n in range(total)]
        await until(
            pilot,
            lambda: all(e in set(texts(screen)) for e in expected[-10:]),
            "the last messages",
            tries=500,
        )
        shown = texts(screen)
        assert [t for t in shown if t.startswith("busy ")] == expected  # none lost, in order
        assert typed in shown


def room_message(n: int) -> Message:
    return Message(
        id=n,
        conv=room_ref(LOBBY),
        seq=n,
        uid=f"u{n}",
        cmid=f"c{n}",
        sender="bob",
        object_name=messages.TEXT,
        content={"content": f"line {n}"},
        sent_at=1_000 + n,
        direction=Direction.RECEIVED,
        status=SendStatus.RECEIVED,
    )


class _ViewHost(App[None]):
    def compose(self) -> ComposeResult:
        async def nothing(before_seq: int, limit: int) -> list[Message]:
            return []

        yield ChatView(me="me", loader=nothing, id="view")


async def test_what_arrives_between_two_frames_reaches_the_view_in_one_batch() -> None:
    app = _ViewHost()
    async with app.run_test(size=(80, 24)) as pilot:
        chat = app.query_one(ChatView)
        feed = RoomFeed(app.screen, chat, frame=0.05)
        for n in range(1, 101):
            feed.received([room_message(n)])
        assert feed.waiting == 100 and chat.held_count == 0
        await pilot.pause(0.3)
        assert feed.flushes == 1 and feed.waiting == 0
        assert [m.seq for m in chat.shown] == list(range(1, 101))
        feed.received([room_message(101)])
        feed.received([msgspec.structs.replace(room_message(101), content={"content": "new"})])
        await pilot.pause(0.3)
        assert feed.flushes == 2 and chat.shown[-1].content == {"content": "new"}


async def test_the_room_is_joined_again_after_a_reconnect_and_shown_afresh(
    clients: list[IMClient], lobby_server: ServerHandle, tmp_path: Path
) -> None:
    me, bob = clients
    await bob.chatrooms.join(LOBBY)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_lobby(pilot, app)
        await bob.chatrooms.send_text(LOBBY, "before the drop")
        await until(pilot, lambda: "before the drop" in texts(screen), "the first message")
        await lobby_server.stop()
        await until(pilot, lambda: "reconnecting…" in screen.header, "the drop")
        await lobby_server.start()
        await until(pilot, lambda: me.chatrooms.is_joined(LOBBY), "the rejoin", tries=500)
        await until(pilot, lambda: "reconnecting" not in screen.header, "the header")
        await until(pilot, lambda: bob.chatrooms.is_joined(LOBBY), "bob back", tries=500)
        await bob.chatrooms.send_text(LOBBY, "after the drop")
        await until(pilot, lambda: "after the drop" in texts(screen), "the live stream again")
        assert app.screen is screen


async def test_the_chatrooms_key_can_be_moved_with_the_keymap(
    clients: list[IMClient], tmp_path: Path
) -> None:
    me, _bob = clients
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        app.set_keymap({"main.chatrooms": "f6"})
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ChatroomsScreen)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ChatroomsScreen), "the list")


async def test_the_header_says_while_you_are_muted(
    clients: list[IMClient], lobby_server: ServerHandle, tmp_path: Path
) -> None:
    me, _bob = clients
    server = lobby_server.server
    assert server is not None
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_lobby(pilot, app)
        server.chatrooms.service.gag(LOBBY, ["me"], 5, now_ms())
        await until(pilot, lambda: "you are muted" in screen.header, "the mute")
        await pilot.press(*"can I speak?", "enter")
        await until(pilot, lambda: "can I speak?" in texts(screen), "the attempt")
        await until(pilot, lambda: screen.chat.shown[-1].error == 23408, "the refusal")
        server.chatrooms.service.ungag(LOBBY, ["me"])
        await until(pilot, lambda: "muted" not in screen.header, "the mute lifted")

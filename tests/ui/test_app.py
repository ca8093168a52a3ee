"""The whole app on a real server, with real clients and a real store, driven by Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from imkit_tui.config import UiState
from imkit_tui.core import Backoff, ConnectionState, IMClient, MessagesReceived
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.ui import palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.conversation_list import ConversationList
from imkit_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import ClientFactory, ServerHandle

ME = ConvRef.private("me")


def make_app(client: IMClient, tmp_path: Path) -> IMKitApp:
    return IMKitApp(client, themes=load_themes(), state=UiState(tmp_path / "ui-state.json"))


def list_lines(app: IMKitApp) -> list[str]:
    listing = app.screen.query_one(ConversationList)
    return [listing.render_line(y).text for y in range(listing.size.height)]


async def bob_said_hello(
    make_client: ClientFactory, tmp_path: Path
) -> tuple[IMClient, IMClient, IMKitApp]:
    """bob has written "hello" to me: bob's client, mine, and my app (not started)."""
    bob = await make_client("bob")
    await send_all(bob, "me", ["hello"])
    me = await make_client("me")
    return bob, me, make_app(me, tmp_path)


async def until(
    pilot: Pilot[None], condition: Callable[[], bool], what: str, tries: int = 200
) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def send_all(client: IMClient, to: str, texts: list[str]) -> None:
    sent = [await client.send_text(ConvRef.private(to), text) for text in texts]
    await client.wait_sent([m.id for m in sent], timeout=10)


async def test_list_order_badges_and_opening_a_conversation(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["hi", "are you there?"])
    await asyncio.sleep(0.01)
    await send_all(bob, "me", ["newest"])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        lines = list_lines(app)
        assert "bob" in lines[0] and "newest" in lines[1] and " 1 " in lines[1]
        assert "alice" in lines[2] and "are you there?" in lines[3] and " 2 " in lines[3]
        assert "3 unread" in app.screen.query_one(StatusBar).render().plain
        await pilot.press("down", "enter")
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.current == ConvRef.private("alice")
        chat = screen.query_one(ChatView)
        assert [m.content["content"] for m in chat.shown] == ["hi", "are you there?"]
        await until(pilot, lambda: " 2 " not in list_lines(app)[3], "alice's badge to clear")
        assert app.title == "imkit · 1 unread"


async def test_sending_from_the_composer_reaches_the_peer(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, _me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        with bob.subscribe() as events:
            await pilot.press("enter")
            assert app.focused is app.screen.query_one(Composer)
            await pilot.press(*"hi bob :smile:")
            await pilot.press("enter")
            event = await events.next(5)
            while not isinstance(event, MessagesReceived):
                event = await events.next(5)
        assert event.messages[0].content == {"content": "hi bob 😄"}
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq == 2, "the ack")
        assert app.screen.query_one(Composer).text == ""


async def test_a_message_for_another_conversation_updates_its_row_and_toasts(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["first"])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        await pilot.press("enter")  # opens alice, the only conversation
        await send_all(bob, "me", ["psst, over here"])
        await until(pilot, lambda: "bob" in list_lines(app)[0], "bob's row on top")
        assert "psst, over here" in list_lines(app)[1] and " 1 " in list_lines(app)[1]
        await until(pilot, lambda: bool(app.screen.query("Toast")), "a toast")
        await send_all(alice, "me", ["in the open chat"])
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].content["content"] == "in the open chat", "it")


async def test_an_own_message_sent_outside_the_composer_comes_into_view(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    _bob, me, app = await bob_said_hello(make_client, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")  # opens bob
        chat = app.screen.query_one(ChatView)
        # A script on this client (as the CLI beside the app, or a plugin) sends: the
        # chat view learns of it the way it learns of every message, from the events.
        await me.send_text(ConvRef.private("bob"), "from a script")
        await until(pilot, lambda: chat.shown[-1].content == {"content": "from a script"}, "it")
        await until(pilot, lambda: chat.shown[-1].seq == 2, "its ack")
        assert [m.content["content"] for m in chat.shown].count("from a script") == 1


async def test_drafts_are_kept_per_conversation_and_across_restarts(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["a"])
    await asyncio.sleep(0.01)
    await send_all(bob, "me", ["b"])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")  # bob, on top
        await pilot.press(*"half-written")
        await pilot.press("escape", "down", "enter")  # alice
        composer = app.screen.query_one(Composer)
        assert composer.text == ""
        await until(pilot, lambda: any("[Draft]" in line for line in list_lines(app)), "marker")
        bob_row = await me.conversation(ConvRef.private("bob"))
        assert bob_row is not None and bob_row.draft == "half-written"
        await pilot.press(*"for alice")
        await pilot.press("ctrl+q")
    assert (await me.conversation(ConvRef.private("alice"))).draft == "for alice"  # type: ignore[union-attr]
    again = make_app(me, tmp_path)
    async with again.run_test(size=(110, 30)) as pilot:
        listing = again.screen.query_one(ConversationList)
        listing.highlight(ConvRef.private("bob"))
        await pilot.press("enter")
        assert again.screen.query_one(Composer).text == "half-written"


async def test_older_messages_page_in_and_the_window_stays_bounded(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    await send_all(alice, "me", [f"m{i:03d}" for i in range(400)])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        assert chat.shown[-1].content["content"] == "m399"
        oldest = chat.shown[0].seq
        assert oldest is not None and oldest > 1
        for _ in range(12):
            await chat.load_older()
            await pilot.pause()
        assert chat.shown[0].seq == 1  # the store ran out, the server's history did not
        assert chat.held_count <= 300


async def test_the_status_bar_follows_the_connection(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        bar = app.screen.query_one(StatusBar)
        await until(pilot, lambda: bar.state == ConnectionState.CONNECTED, "connected")
        await server_handle.stop()
        await until(pilot, lambda: bar.state == ConnectionState.RECONNECTING, "reconnecting")
        assert "reconnecting" in bar.render().plain
        await pilot.press("ctrl+n")
        await pilot.press(*"carol", "enter")
        await pilot.press(*"written offline", "enter")
        await server_handle.start()
        await until(pilot, lambda: bar.state == ConnectionState.CONNECTED, "back")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq == 1, "the queued message sent")


async def test_a_refused_token_ends_the_app_with_code_3(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    client = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("me", ttl=-1),
        store_path=tmp_path / "me.db",
    )
    await client.start()
    app = make_app(client, tmp_path)
    try:
        async with app.run_test(size=(110, 30)) as pilot:
            await until(pilot, lambda: app.refusal is not None, "the refusal")
        assert app.return_code == 3 and "31020" in (app.refusal or "")
    finally:
        await client.close()


async def test_the_palette_offers_the_app_commands_and_remembers_the_theme(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    await send_all(alice, "me", ["hi"])
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("enter")
        titles = {command.title for command in palette.entries(app.screen)}
        assert {"New chat with…", "Conversations", "Jump to latest"} <= titles
        assert {"Theme: imkit-dark", "Theme: imkit-light"} <= titles
        light = next(c for c in palette.entries(app.screen) if c.title.endswith("light"))
        light.callback()
        await pilot.pause()
        assert app.theme == "imkit-light"
    assert UiState(tmp_path / "ui-state.json").get("theme") == "imkit-light"
    again = make_app(me, tmp_path)
    async with again.run_test(size=(110, 30)):
        assert again.theme == "imkit-light"


async def test_a_server_never_reached_is_named_in_the_header(tmp_path: Path) -> None:
    client = IMClient(
        server_url="ws://127.0.0.1:1",
        token=issue_token(b"k" * 32, "me", None),
        store_path=tmp_path / "me.db",
        backoff=Backoff(base=0.05, cap=0.2),
    )
    await client.start()
    app = make_app(client, tmp_path)
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            bar = app.screen.query_one(StatusBar)
            await until(pilot, lambda: "refused" in bar.render().plain, "the reason")
            line = bar.render().plain
            # The address is on the left; the reason says the rest once.
            assert "ws://127.0.0.1:1 " in line and line.count("ws://127.0.0.1:1") == 1
            assert "never connected: connection refused" in line
            assert "reconnecting" not in line
    finally:
        await client.close()

"""Every screen and dialog of the app at 80x24 shows its texts whole.

Each entry of :data:`SCREENS` opens one screen or dialog from the main screen, the way
the user does (keys, the palette's actions) or, for dialogs that need a file or a
server answer the test does not have, with the texts the app gives them. The same
check (:func:`tests.ui.whole_text.cut_texts`) runs on each: a new screen gets it by
being added to the list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Label, Static

from imkit_tui import messages
from imkit_tui.core import ConnectionState, IMClient
from imkit_tui.media.probe import MediaKind
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.format import display_name
from imkit_tui.ui.screens.attachment_board import AttachmentBoard, AttachmentForm
from imkit_tui.ui.screens.forward import ForwardScreen
from imkit_tui.ui.screens.group_settings import GroupSettingsScreen
from imkit_tui.ui.screens.history_viewer import HistoryViewerScreen
from imkit_tui.ui.screens.image_viewer import ImageViewerScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import ActionMenuScreen, ConfirmScreen, PasteOfferScreen
from imkit_tui.ui.screens.receipt_actions import ReceiptsScreen
from imkit_tui.ui.screens.save_file import SaveFileScreen
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.conversation_list import ConversationList
from imkit_tui.ui.widgets.key_footer import KeyFooter
from imkit_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.ui.test_app import make_app, until
from tests.ui.whole_text import cut_texts, region_text, screen_strips

SIZE = (80, 24)
BOB = ConvRef.private("bob")
TEAM = ConvRef.group("team")
SYSTEM = ConvRef(type=ConversationType.SYSTEM, target="system")
DAVE, ERIN = ConvRef.private("dave"), ConvRef.private("erin")

Opener = Callable[[Pilot[None], IMKitApp, MainScreen], Awaitable[None]]


async def _nothing(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    """The main screen as it starts: the list, no chat open."""


async def _private_chat(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(BOB)


async def _chat_focused(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(BOB)
    main.query_one(ChatView).focus()
    await pilot.press("up")


async def _group_chat(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(TEAM)


async def _busy_header(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(TEAM)
    header = main.query_one(ChatHeader)
    header.typing("bob")
    header.typing("carol")
    header.set_mentions(2, "alt+m")


async def _system_chat(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(SYSTEM)


def _keys(*keys: str, after: Opener = _nothing) -> Opener:
    async def opener(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
        await after(pilot, app, main)
        await pilot.pause()
        await pilot.press(*keys)

    return opener


def _action(name: str, after: Opener = _nothing) -> Opener:
    async def opener(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
        await after(pilot, app, main)
        await pilot.pause()
        await main.run_action(name)

    return opener


def _dialog(make: Callable[[MainScreen], object]) -> Opener:
    async def opener(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
        dialog = make(main)
        app.push_screen(dialog)  # type: ignore[arg-type]

    return opener


async def _no_conversations(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    main.query_one(ConversationList).set_conversations([])


def _viewer(conv: ConvRef, ready: Callable[[IMKitApp], bool]) -> Opener:
    """Open the newest message of ``conv`` ("o") and wait until ``ready``."""

    async def opener(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
        await main.open_conversation(conv)
        main.query_one(ChatView).focus()
        await pilot.press("up", "o")
        await until(pilot, lambda: ready(app), "the viewer")

    return opener


def _picture_shown(app: IMKitApp) -> bool:
    return isinstance(app.screen, ImageViewerScreen) and app.screen.loaded


def _history_shown(app: IMKitApp) -> bool:
    return isinstance(app.screen, HistoryViewerScreen) and len(app.screen.shown) == 2


async def _group_settings(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    await main.open_conversation(TEAM)
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, GroupSettingsScreen), "the settings")
    screen = app.screen
    assert isinstance(screen, GroupSettingsScreen)
    await until(pilot, lambda: screen.group is not None, "the members")


async def _new_group_name(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    main.action_new_group()
    await pilot.pause()
    await pilot.press(*"bob carol", "enter")


async def _forward(pilot: Pilot[None], app: IMKitApp, main: MainScreen) -> None:
    rows = await main.client.conversations()
    app.push_screen(ForwardScreen(2, rows, names=display_name))


SCREENS: dict[str, Opener] = {
    "main, the list": _nothing,
    "main, a private chat": _private_chat,
    "main, the chat focused": _chat_focused,
    "main, a group chat": _group_chat,
    "main, typing and mentions": _busy_header,
    "main, the System chat": _system_chat,
    "main, no conversations": _no_conversations,
    "new chat": _keys("ctrl+n"),
    "new chat, a wrong id": _keys("ctrl+n", "space", "enter"),
    "new group, members": _action("new_group"),
    "new group, name": _new_group_name,
    "search": _keys("ctrl+f"),
    "search in a chat": _keys("ctrl+f", after=_private_chat),
    "palette": _keys("ctrl+p"),
    "actions menu": _keys("m", after=_chat_focused),
    "chat settings": _keys("ctrl+o", after=_private_chat),
    "group settings": _group_settings,
    "group settings, leave": _keys("q", after=_group_settings),
    "group settings, add": _keys("a", after=_group_settings),
    "clear history": _action("clear_history", after=_private_chat),
    "delete": _keys("d", after=_chat_focused),
    "attachment board": _keys("ctrl+a", after=_private_chat),
    "attachment form": _dialog(lambda main: AttachmentForm("voice", lambda _r: _sent())),
    "location form": _dialog(lambda main: AttachmentForm("location", lambda _r: _sent())),
    "board alone": _dialog(lambda main: AttachmentBoard()),
    "forward": _forward,
    "image viewer": _viewer(DAVE, _picture_shown),
    "merged history": _viewer(ERIN, _history_shown),
    "receipts": _dialog(lambda main: ReceiptsScreen(("bob",), ("carol", "dave"))),
    "paste offer": _dialog(lambda main: PasteOfferScreen("holiday photo.png", "an image")),
    "save file": _dialog(lambda main: SaveFileScreen("report.pdf", Path.home() / "report.pdf")),
    "confirm": _dialog(lambda main: ConfirmScreen("Remove bob from the list?")),
    "a long menu title": _dialog(
        lambda main: ActionMenuScreen("x" * 60, [("here", "Delete on this device")])
    ),
}
"""Every screen and dialog, by name, with how to open it from the main screen."""


async def _sent() -> str | None:
    return None


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small picture to send."""
    path = tmp_path_factory.mktemp("pictures") / "sky.png"
    Image.new("RGB", (320, 200), (30, 120, 220)).save(path)
    return path


@pytest.fixture
async def workspace(
    server_handle: ServerHandle, make_client: ClientFactory, picture: Path
) -> IMClient:
    """me, with chats with bob, dave (a picture) and erin (a merged forward), a group I
    own (team) and a System message."""
    server = server_handle.server
    assert server is not None
    await server.send_system("me", messages.TEXT, messages.text_content("Welcome to imkit"))
    bob, dave, erin = [await make_client(user) for user in ("bob", "dave", "erin")]
    to_me = ConvRef.private("me")
    await bob.send_text(to_me, "hello there, how are you doing today?")
    image = await dave.files.send(to_me, picture, MediaKind.IMAGE)
    lines = [await erin.send_text(ConvRef.private("bob"), text) for text in ("one", "two")]
    done = await erin.wait_sent([m.id for m in lines], timeout=10)
    merged = await erin.files.forward(done, [to_me], merged=True)
    await erin.wait_sent([m.id for m in merged], timeout=15)
    await dave.wait_sent([image.id], timeout=15)
    me = await make_client("me")
    await me.groups.create("team", "Team", ["bob", "carol"])
    await until_client(me, lambda: _has(me, ERIN))
    return me


async def _has(client: IMClient, conv: ConvRef) -> bool:
    return await client.conversation(conv) is not None


@pytest.mark.parametrize("name", list(SCREENS))
async def test_every_text_is_whole_at_80x24(name: str, workspace: IMClient, tmp_path: Path) -> None:
    app = make_app(workspace, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await until(pilot, lambda: main.query("ConversationList"), "the list")
        await SCREENS[name](pilot, app, main)
        if not name.startswith("main"):  # the check below must look at what opened
            assert app.screen is not main, f"{name}: nothing opened"
        await pilot.pause()
        await pilot.pause(0.1)
        cut = cut_texts(app)
        assert not cut, f"{name}:\n" + "\n".join(cut)


@pytest.mark.parametrize("width", [80, 60])
async def test_the_footer_keeps_quit_however_many_keys(
    workspace: IMClient, tmp_path: Path, width: int
) -> None:
    app = make_app(workspace, tmp_path)
    async with app.run_test(size=(width, 24)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await main.open_conversation(BOB)  # the composer's keys come first

        def footer() -> str:
            return region_text(screen_strips(app), main.query_one(KeyFooter).region)

        await until(pilot, lambda: footer().startswith("^a Attach"), "the composer's keys")
        assert "^q Quit" in footer()
        assert footer().endswith("^p palette")
        assert not cut_texts(app)


class _BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar("a-rather-long-user-id", "wss://chat.example.com:8443/imkit/socket")


@pytest.mark.parametrize("width", [80, 50])
async def test_the_status_bar_keeps_the_state_and_the_unread_count_whole(width: int) -> None:
    app = _BarApp()
    async with app.run_test(size=(width, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_connection(ConnectionState.CONNECTED)  # then lost: "reconnecting", with why
        bar.set_connection(ConnectionState.RECONNECTING, "connection refused by 203.0.113.9:8443")
        bar.unread = 123
        await pilot.pause()
        line = screen_strips(app)[0].text
        assert "◌ reconnecting…" in line and line.rstrip().endswith("123 unread")
        assert line.startswith(" imkit · a-rather")


class _LocalBarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar("bob", "ws://127.0.0.1:8899")


@pytest.mark.parametrize("ever", [True, False])
async def test_the_status_bar_says_why_whole_at_80_columns(ever: bool) -> None:
    """The reason names the address the bar shows: it is said once, and whole."""
    app = _LocalBarApp()
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        if ever:
            bar.set_connection(ConnectionState.CONNECTED)
        bar.set_connection(
            ConnectionState.RECONNECTING, "cannot reach ws://127.0.0.1:8899: connection refused"
        )
        await pilot.pause()
        line = screen_strips(app)[0].text
        state = "◌ reconnecting… (connection refused)" if ever else "never connected: connection"
        assert state in line and "…" not in line.replace("reconnecting…", ""), line
        assert line.count("ws://127.0.0.1:8899") == 1, line
        # As the connection says it between attempts: the address gives way to the rest.
        bar.set_connection(
            ConnectionState.RECONNECTING,
            "cannot reach ws://127.0.0.1:8899: connection refused, retrying in 14.8 s",
        )
        await pilot.pause()
        line = screen_strips(app)[0].text
        assert "connection refused, retrying in 14.8 s" in line, line
        assert "…" not in line.replace("reconnecting…", ""), line


class _CutApp(App[None]):
    CSS = "#narrow { width: 10; height: 1; }"

    def compose(self) -> ComposeResult:
        yield Static("This label is far too long to fit", id="narrow")
        yield Label("short")


async def test_the_check_reports_a_cut_label() -> None:
    app = _CutApp()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        cut = cut_texts(app)
    assert len(cut) == 1 and "far too long" in cut[0]

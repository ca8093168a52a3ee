"""People's names and pictures in the whole app: a real server, real clients with real
stores, the real app driven by Pilot."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import Input, OptionList

from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.ui import palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.kitty_inline import decode_placeholders
from imkit_tui.ui.screens.group_settings import GroupSettingsScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import TextPromptScreen
from imkit_tui.ui.screens.receipt_actions import ReceiptsScreen
from imkit_tui.ui.screens.search import SearchScreen
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets._conversation_rows import AVATAR_WIDTH
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.conversation_list import ConversationList
from imkit_tui.ui.widgets.member_list import MemberList
from imkit_tui.ui.widgets.mention_picker import MentionPicker
from tests.conftest import ClientFactory, ServerHandle
from tests.ui import drawn
from tests.ui.test_app import list_lines, make_app, send_all, until
from tests.ui.test_mentions import say

TEAM = ConvRef(type=ConversationType.GROUP, target="team")
BOB = ConvRef.private("bob")
CAROL = ConvRef.private("carol")


async def _name(handle: ServerHandle, user: str, name: str, portrait: str | None = None) -> None:
    """Set `user`'s profile in the server's store, as the app's backend would."""
    assert handle.server is not None
    await handle.server.require_store().users.set_profile(user, name, portrait, now_ms())


async def _open(app: IMKitApp, pilot: object, conv: ConvRef) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await until(pilot, lambda: screen.listing.get(conv) is not None, f"{conv} listed")  # type: ignore[arg-type]
    await screen.open_conversation(conv)
    return screen


async def test_names_show_in_the_list_header_senders_picker_and_search(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    await _name(server_handle, "bob", "Bob Builder")
    await _name(server_handle, "carol", "Carol King")
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob", "carol"])
    await say(bob, ["can we fix it?"])
    await send_all(bob, "alice", ["yes we can"])
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        shown = lambda: "\n".join(list_lines(app))  # noqa: E731
        await until(pilot, lambda: "Bob Builder" in shown(), "bob's name in the list")
        listing = app.screen.query_one(ConversationList)
        team = listing.get(TEAM)
        assert team is not None
        wide = "".join(s.text for s in listing._painter.second_line(team, (), 80))
        assert "Bob Builder: can we fix it?" in wide  # the group's last sender
        assert alice.profiles.queries <= 2  # the rows asked in one batch (bob, and later)
        screen = await _open(app, pilot, BOB)
        header = screen.query_one(ChatHeader)
        assert header.text.startswith("Bob Builder")
        screen = await _open(app, pilot, TEAM)
        chat = screen.chat_view
        assert chat is not None
        await until(
            pilot,
            lambda: any("Bob Builder" in " ".join(drawn.lines(b)) for b in chat.bubbles()),
            "the sender's name above his message",
        )
        composer = screen.query_one(Composer)
        composer.focus()
        await pilot.press(*"hi @king")
        await until(pilot, lambda: composer.mentions_offered == ["carol"], "carol by her name")
        picker = screen.query_one(MentionPicker)
        assert "Carol King" in str(picker.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await until(pilot, lambda: composer.text == "hi @carol ", "her id inserted")
        await pilot.press(*"and @bo")
        await until(pilot, lambda: composer.mentions_offered == ["bob"], "bob by his id")

        await pilot.press("escape", "escape", "ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, GroupSettingsScreen), "the settings")
        members = app.screen.query_one(MemberList)
        lines = lambda: [str(o.prompt) for o in members.options.options]  # noqa: E731
        await until(pilot, lambda: any("Carol King (carol)" in x for x in lines()), "names")
        members.search.value = "king"
        await until(pilot, lambda: members.shown == ["carol"], "a member found by name")
        members.search.value = "bo"
        await until(pilot, lambda: members.shown == ["bob"], "a member found by id")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back")
        # "Read by…" names the readers, ids beside.
        await app.push_screen(ReceiptsScreen(("bob",), ("carol",)))
        said = [str(w.render()) for w in app.screen.query(".receipts-names")]
        assert said == ["Bob Builder (bob)", "Carol King (carol)"]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back again")
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        search = app.screen
        assert isinstance(search, SearchScreen)
        await until(pilot, lambda: isinstance(app.focused, Input), "the query field")
        await pilot.press("ctrl+t")  # in every conversation
        await pilot.press(*"from:builder")
        await until(pilot, lambda: len(search.hits) == 2, "bob's messages found by his name")
        results = search.query_one("#search-results", OptionList)
        assert "Bob Builder" in str(results.get_option_at_index(0).prompt)
        await pilot.press(*["backspace"] * len("builder"), *"bob")
        await until(pilot, lambda: len(search.hits) == 2, "bob's messages found by his id")


async def test_a_name_changed_by_the_backend_shows_at_once_on_the_open_app(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(bob, "alice", ["hello"])
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        screen = await _open(app, pilot, BOB)
        await until(pilot, lambda: alice.profiles.known("bob") is not None, "bob looked up")
        assert screen.query_one(ChatHeader).text.startswith("bob")
        # bob names himself on his own device: alice's open app follows (RC:UIUMsg).
        await bob.profiles.set_own(name="Robert")
        await until(
            pilot, lambda: screen.query_one(ChatHeader).text.startswith("Robert"), "the header"
        )
        await until(pilot, lambda: "Robert" in "\n".join(list_lines(app)), "the list row")
        # In another chat, his next message toasts under his name.
        await send_all(alice, "dave", ["hi dave"])
        await _open(app, pilot, ConvRef.private("dave"))
        await send_all(bob, "alice", ["me again"])
        await until(
            pilot,
            lambda: any(t.title == "Robert" for t in app._notifications),
            "a toast named Robert",
        )


async def test_the_user_sets_their_own_name_in_the_app(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, other_device = await make_client("me"), await make_client("me", "laptop")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: me.state.name == "CONNECTED", "connected")
        entry = next(c for c in palette.entries(app.screen) if c.title == "Set my display name…")
        entry.callback()
        await until(pilot, lambda: isinstance(app.screen, TextPromptScreen), "the prompt")
        await pilot.press(*"Marie Curie", "enter")
        await until(
            pilot, lambda: other_device.profiles.name("me") == "Marie Curie", "the other device"
        )
        assert (await me.profiles.get(["me"]))["me"].name == "Marie Curie"


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _line(app: IMKitApp, conv: ConvRef) -> str:
    """The first line of `conv`'s row in the list."""
    listing = app.screen.query_one(ConversationList)
    index = [row.ref for row in listing._rows].index(conv)
    return listing.render_line(index * 2 - int(listing.scroll_offset.y)).text


def _avatar(app: IMKitApp, conv: ConvRef) -> str:
    """The avatar tile's cells on `conv`'s first row line (one character each)."""
    return _line(app, conv)[1:4]


async def test_a_portrait_draws_as_a_picture_and_the_letter_stays_otherwise(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    bob, carol = await make_client("bob"), await make_client("carol")
    picture = tmp_path / "bob.png"
    picture.write_bytes(_png((200, 30, 30)))
    uploaded = await bob.transfers.upload(picture)
    await bob.profiles.set_own(name="Bob", portrait=uploaded.url)
    await carol.profiles.set_own(name="Carol", portrait="https://127.0.0.1:1/none.png")
    alice = await make_client("alice")
    await send_all(bob, "alice", ["hi"])
    await send_all(carol, "alice", ["hey"])
    await send_all(alice, "dave", ["hello?"])
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: "▀" in _avatar(app, BOB), "bob's portrait drawn", tries=400)
        assert _avatar(app, CAROL) == " C "  # her URL cannot be fetched: the letter
        assert _avatar(app, ConvRef.private("dave")) == " D "  # no portrait: the letter
    assert isinstance(alice, IMClient)


async def test_with_kitty_a_portrait_is_placeholders_sent_once(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    bob = await make_client("bob")
    picture = tmp_path / "bob.png"
    picture.write_bytes(_png((30, 200, 30)))
    await bob.profiles.set_own(portrait=(await bob.transfers.upload(picture)).url)
    alice = await make_client("alice")
    await send_all(bob, "alice", ["hi"])
    state = UiState(tmp_path / "ui-state.json")
    app = IMKitApp(alice, themes=load_themes(), state=state, graphics=GraphicsProtocol.KITTY)
    images = app.inline_pictures
    assert images is not None
    async with app.run_test(size=(110, 30)) as pilot:
        sent: list[str] = []
        images.writer = sent.append
        placed = lambda: decode_placeholders(_line(app, BOB))  # noqa: E731
        await until(pilot, lambda: len(placed()) == AVATAR_WIDTH, "kitty cells", tries=400)
        assert "▀" not in _line(app, BOB)
        app.screen.query_one(ConversationList).refresh()
        await pilot.pause()
        assert len([s for s in sent if "a=T" in s]) == 1  # transmitted once

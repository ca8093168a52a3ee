"""Ultra groups in the app, on a real server: one list row with the total unread, the
channel sidebar (counts, @ marks, switching channels), the header naming group and
channel, `e` editing an own message ("(edited)"), and the settings screen."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import OptionList, Select, Switch

from imkit_tui.core import IMClient, Message, SendStatus, channel_ref, ultra_row
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles._status import EDITED_MARK
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import ActionMenuScreen
from imkit_tui.ui.screens.ultra_settings import UltraSettingsScreen
from imkit_tui.ui.widgets.channel_sidebar import ChannelSidebar
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.ui import drawn
from tests.ui.test_app import list_lines, make_app, until

GROUP = "guild"
GENERAL = channel_ref(GROUP, "")
NEWS = channel_ref(GROUP, "news")


async def _guild(alice: IMClient, me: IMClient) -> None:
    """alice's ultra group "Guild" with a "News" channel; `me` joined; alice wrote 2 in
    the default channel and 1 in News that @mentions me."""
    await alice.ultra.create(GROUP, "Guild")
    await alice.ultra.create_channel(GROUP, "news", "News")
    await me.ultra.join(GROUP)
    sent = [
        await alice.send_text(GENERAL, "welcome"),
        await alice.send_text(GENERAL, "rules are simple"),
        await alice.send_text(NEWS, "@me big news", mentioned=["me"]),
    ]
    await alice.wait_sent([m.id for m in sent], timeout=10)
    await me.ultra.sync()


def _main(app: IMKitApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def _open_guild(pilot: Pilot[None], app: IMKitApp) -> MainScreen:
    await until(pilot, lambda: any("# Guild" in line for line in list_lines(app)), "the row")
    await pilot.press("enter")
    screen = _main(app)
    await until(pilot, lambda: screen.current == GENERAL, "the default channel")
    return screen


async def _guild_sidebar(pilot: Pilot[None], app: IMKitApp) -> tuple[MainScreen, ChannelSidebar]:
    """The guild opened, its sidebar showing both channels."""
    screen = await _open_guild(pilot, app)
    sidebar = screen.query_one(ChannelSidebar)
    await until(pilot, lambda: len(sidebar.channels) == 2, "the channels")
    return screen, sidebar


async def test_one_row_with_the_total_and_a_sidebar_of_channels(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(130, 30)) as pilot:
        await until(pilot, lambda: "# Guild" in "\n".join(list_lines(app)), "the row")
        lines = "\n".join(list_lines(app))
        assert lines.count("# Guild") == 1 and " 3 " in lines and "[@me]" in lines
        screen, sidebar = await _guild_sidebar(pilot, app)
        assert sidebar.display
        general, news = sidebar.lines()
        assert general.startswith("# general")
        assert news.startswith("# News") and "@" in news and news.rstrip().endswith("1")
        assert screen.query_one(ChatHeader).text.startswith("# Guild › # general")
        chat = screen.query_one(ChatView)
        assert [m.content["content"] for m in chat.shown] == ["welcome", "rules are simple"]
        # The default channel was read: the row keeps News's one unread.
        await until(pilot, lambda: " 1 " in "\n".join(list_lines(app)), "the total")
        # Choosing News in the sidebar opens it; the header and the chat follow.
        sidebar.focus()
        sidebar.highlighted = 1
        await pilot.press("enter")
        await until(pilot, lambda: screen.current == NEWS, "the News channel")
        assert screen.query_one(ChatHeader).text.startswith("# Guild › # News")
        shown = lambda: [m.content["content"] for m in chat.shown]  # noqa: E731
        await until(pilot, lambda: shown() == ["@me big news"], "the news")
        await until(pilot, lambda: "@" not in sidebar.lines()[1], "the @ mark read")
        # Another conversation hides the sidebar; the group opens again on News.
        await screen.open_conversation(ConvRef.private("alice"))
        assert not sidebar.display
        screen.listing.focus()
        screen.listing.highlight(ultra_row(GROUP))
        await pilot.press("enter")
        await until(pilot, lambda: screen.current == NEWS, "News again")
        assert sidebar.display


async def _editing(pilot: Pilot[None], app: IMKitApp, mine: Message) -> tuple[ChatView, Composer]:
    """The guild opened, `mine` (the newest, "see you at 5") selected and `e` pressed:
    the chat and the composer holding its text."""
    screen = await _open_guild(pilot, app)
    chat = screen.query_one(ChatView)
    await until(pilot, lambda: bool(chat.shown) and chat.shown[-1].id == mine.id, "mine")
    chat.focus()
    assert chat.select_message(mine.id)
    await pilot.press("e")
    composer = screen.query_one(Composer)
    await until(pilot, lambda: composer.text == "see you at 5", "the text to edit")
    assert composer.cursor_location == composer.document.end  # typing goes on at the end
    return chat, composer


async def test_e_edits_an_own_message_and_the_bubble_says_edited(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    queued = await me.send_text(GENERAL, "see you at 5")
    (mine,) = await me.wait_sent([queued.id], timeout=10)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(130, 30)) as pilot:
        chat, composer = await _editing(pilot, app, mine)
        composer.load_text("see you at 6")
        await pilot.press("enter")
        await until(pilot, lambda: chat.shown[-1].content["content"] == "see you at 6", "edit")
        bubble = chat.bubble_of(mine.id)
        assert bubble is not None and EDITED_MARK in bubble.meta_text
        # Saved as an edit, not sent as a new message.
        assert [m.content["content"] for m in chat.shown][-1:] == ["see you at 6"]
        assert len([m for m in chat.shown if m.sender == "me"]) == 1
        # alice edits hers: the open chat shows it at once, marked.
        welcome = next(m for m in await alice.messages(GENERAL) if m.seq == 1)
        await alice.ultra.edit_text(welcome, "welcome, everyone")
        await until(pilot, lambda: chat.shown[0].content["content"] == "welcome, everyone", "hers")
        theirs = chat.bubble_of(chat.shown[0].id)
        assert theirs is not None and EDITED_MARK in theirs.meta_text

    async def alice_sees() -> bool:
        found = [m for m in await alice.messages(GENERAL) if m.uid == mine.uid]
        return bool(found) and found[0].content["content"] == "see you at 6"

    await until_client(alice, alice_sees)


async def test_settings_of_the_group_and_channel(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open_guild(pilot, app)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, UltraSettingsScreen), "the settings")
        settings = app.screen
        assert isinstance(settings, UltraSettingsScreen)
        await until(pilot, lambda: settings.group is not None, "the group")
        # A member: no channel management, but quitting.
        assert not settings.query_one("#new_channel").display
        assert settings.query_one("#quit").display
        settings.query_one("#group-dnd", Switch).value = True

        async def dnd_on() -> bool:
            group = await me.ultra.group(GROUP)
            return group is not None and group.dnd

        for _ in range(200):
            if await dnd_on():
                break
            await pilot.pause(0.02)
        assert await dnd_on()
        settings.query_one("#channel-level", Select).value = "none"
        for _ in range(200):
            channels = {c.channel: c for c in await me.ultra.channels(GROUP)}
            if channels[""].level == "none":
                break
            await pilot.pause(0.02)
        assert channels[""].level == "none"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "back")
        await until(pilot, lambda: "🔕" in "\n".join(list_lines(app)), "the DND mark")
        # p in the list pins the group on this device.
        screen.listing.focus()
        await pilot.press("p")
        await until(pilot, lambda: "📌" in "\n".join(list_lines(app)), "the pin")
        # Quitting (here from another device) takes the group off the list.
        phone = await make_client("me", "phone")
        await phone.ultra.quit(GROUP)
        await me.ultra.sync()
        await until(pilot, lambda: "# Guild" not in "\n".join(list_lines(app)), "gone")
        assert not screen.ultra.sidebar.display


async def test_the_owner_manages_channels_from_the_settings(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(alice, tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open_guild(pilot, app)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, UltraSettingsScreen), "the settings")
        settings = app.screen
        assert isinstance(settings, UltraSettingsScreen)
        await until(pilot, lambda: settings.group is not None, "the group")
        assert settings.query_one("#new_channel").display
        assert not settings.query_one("#quit").display
        await pilot.click("#new_channel")
        await until(pilot, lambda: app.screen is not settings, "the prompt")
        await pilot.press(*"random", "enter")
        sidebar = screen.query_one(ChannelSidebar)
        await until(pilot, lambda: len(sidebar.channels) == 3, "the new channel")
        assert any(line.startswith("# random") for line in sidebar.lines())
        # The open channel deleted: the default channel opens instead.
        await screen.open_conversation(channel_ref(GROUP, "random"))
        assert screen.current == channel_ref(GROUP, "random")
        await alice.ultra.delete_channel(GROUP, "random")
        await until(pilot, lambda: screen.current == GENERAL, "the default channel")
        await until(pilot, lambda: len(sidebar.channels) == 2, "the channel gone")


async def test_escape_gives_an_edit_up_and_the_menu_offers_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    queued = await me.send_text(GENERAL, "draft one")
    (mine,) = await me.wait_sent([queued.id], timeout=10)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(130, 30)) as pilot:
        screen = await _open_guild(pilot, app)
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown and chat.shown[-1].id == mine.id, "mine")
        composer = screen.query_one(Composer)
        composer.load_text("half a thought")  # kept aside while editing
        chat.focus()
        assert chat.select_message(mine.id)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the menu")
        menu = app.screen.query_one(OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert "Edit (e)" in labels
        menu.highlighted = labels.index("Edit (e)")
        await pilot.press("enter")
        await until(pilot, lambda: composer.text == "draft one", "the text to edit")
        assert screen.ultra.editing is not None
        await pilot.press("escape")  # given up: the next enter sends a new message
        assert screen.ultra.editing is None and composer.text == "half a thought"
        composer.focus()
        composer.load_text("a new message")
        await pilot.press("enter")
        await until(pilot, lambda: len([m for m in chat.shown if m.sender == "me"]) == 2, "sent")
        (first, second) = [m for m in chat.shown if m.sender == "me"]
        assert first.content["content"] == "draft one" and not first.edited_at
        assert second.content["content"] == "a new message"


async def test_the_sidebar_counts_what_arrives_in_other_channels_live(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(130, 30)) as pilot:
        screen, sidebar = await _guild_sidebar(pilot, app)
        assert sidebar.lines()[1].rstrip().endswith("1")
        sent = [await alice.send_text(NEWS, f"news {i}") for i in range(3)]
        await alice.wait_sent([m.id for m in sent], timeout=10)
        # While general stays open, News's count follows each arrival.
        await until(pilot, lambda: sidebar.lines()[1].rstrip().endswith("4"), "News at 4")
        assert screen.current == GENERAL


async def test_a_narrow_terminal_leaves_the_chat_room_beside_the_channels(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, sidebar = await _guild_sidebar(pilot, app)
        await pilot.pause()
        chat = screen.query_one(ChatView)
        assert chat.size.width >= 36
        assert sidebar.outer_size.width == 18
        # Each channel stays one line, its count in view.
        assert sidebar.option_count == 2
        news = sidebar.get_option_at_index(1).prompt
        assert "1" in str(news) and len(str(news)) < sidebar.size.width
        await pilot.resize_terminal(130, 30)
        await until(pilot, lambda: sidebar.outer_size.width == 26, "the wide sidebar")
        assert "-channels" in screen.classes
        await screen.open_conversation(ConvRef.private("alice"))
        assert "-channels" not in screen.classes


async def test_the_settings_fit_a_24_row_terminal_and_scroll_to_every_button(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(alice, tmp_path)  # the owner: every button shows
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_guild(pilot, app)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, UltraSettingsScreen), "the settings")
        settings = app.screen
        assert isinstance(settings, UltraSettingsScreen)
        await until(pilot, lambda: settings.group is not None, "the group")
        dismiss = settings.query_one("#dismiss")
        assert dismiss.display
        dismiss.focus()
        await pilot.pause()
        # The focused last button is in view, whole, inside the 24 rows.
        assert dismiss.region.height > 0
        assert dismiss.region.y >= 0 and dismiss.region.bottom <= 24
        assert settings.query_one(VerticalScroll).region.bottom <= 24


async def test_an_edit_the_app_refuses_says_so_and_leaves_the_message(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    """The app's words (or its backend's callback) refuse the new text: 21501, said as a
    rejected message's bubble says it; the message keeps its text."""
    assert server_handle.server is not None and server_handle.server.store is not None
    assert await server_handle.server.store.words.add("spam", None)
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    queued = await me.send_text(GENERAL, "see you at 5")
    (mine,) = await me.wait_sent([queued.id], timeout=10)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        chat, composer = await _editing(pilot, app, mine)
        composer.load_text("buy spam at 5")
        await pilot.press("enter")
        refused = "Not edited: the app does not allow this content"
        await until(
            pilot, lambda: any(refused in str(n.message) for n in app._notifications), "why"
        )
        assert chat.shown[-1].content["content"] == "see you at 5"


async def test_a_muted_members_message_says_why_it_failed(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """Muted by the owner, a member's message failed with no reason in sight: "! failed —
    r to retry" read as a fault of the network. It now says what the server said."""
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    await alice.ultra.mute(GROUP, ["me"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_guild(pilot, app)
        await pilot.press(*"may I speak?", "enter")
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].status == SendStatus.FAILED, "refused")
        bubble = chat.bubbles()[-1]
        said = "! failed: you are muted in this ultra group — r to retry"
        assert bubble.meta_text == said and bubble.failed
        await pilot.pause()
        assert said in " ".join(line.strip() for line in drawn.lines(bubble)), "cut at 80"
        # The group's one row in the list says its channel's last message failed.
        await until(pilot, lambda: "! You:" in "\n".join(list_lines(app)), "the mark")


async def test_an_edit_elsewhere_is_no_new_message_to_announce(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """An edit in a chat that is not open toasted "Message edited" as if a message had
    come: the app announces what the chat shows, and an edit event is not shown."""
    alice, me = await make_client("alice"), await make_client("me")
    await _guild(alice, me)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        await until(pilot, lambda: any("# Guild" in line for line in list_lines(app)), "the row")
        welcome = next(m for m in await alice.messages(GENERAL) if m.seq == 1)
        await alice.ultra.edit_text(welcome, "welcome, everyone")

        async def edited() -> bool:
            kept = [m for m in await me.messages(GENERAL) if m.uid == welcome.uid]
            return kept[0].content["content"] == "welcome, everyone"

        await until_client(me, edited)
        await pilot.pause(0.3)
        assert not app.screen.query("Toast")
        sent = await alice.send_text(GENERAL, "and a new one")
        await alice.wait_sent([sent.id], timeout=10)
        await until(pilot, lambda: bool(app.screen.query("Toast")), "the new one's toast")

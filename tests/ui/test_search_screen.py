"""The search screen in the whole app: ctrl+f, typing, scope, and opening a result in context."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList
from textual.widgets import Checkbox, Input, OptionList

from imkit_tui.protocol import ConvRef
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.search import Query, SearchScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui import drawn
from tests.ui.test_app import list_lines, make_app, send_all, until

ALICE = ConvRef.private("alice")
BOB = ConvRef.private("bob")


def contents(screen: SearchScreen) -> list[str]:
    return [hit.message.content.get("content", "") for hit in screen.hits]


def result_lines(screen: SearchScreen) -> list[str]:
    results = screen.query_one("#search-results", OptionList)
    return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]


async def test_ctrl_f_finds_a_message_and_enter_opens_it_in_context(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    texts = [f"chatter {i}" for i in range(70)]
    texts[10] = "the 你好世界 needle is here"
    await send_all(alice, "me", texts)
    await send_all(bob, "me", ["no needle here, bob says"])
    me = await make_client("me")
    await me.history.load(ALICE)  # the first sync brings the newest page only
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert not screen.query_one("#search-scope", Checkbox).display  # nothing open
        await until(pilot, lambda: isinstance(app.focused, Input), "the query field focused")
        await pilot.press(*"needle")
        both = ["no needle here, bob says", "the 你好世界 needle is here"]
        await until(pilot, lambda: contents(screen) == both, "two results")
        lines = result_lines(screen)
        assert lines[0].startswith("bob · bob") and "no needle here" in lines[0]
        assert lines[1].startswith("alice · alice") and "needle is here" in lines[1]
        await pilot.press("backspace", *" 世界")
        await until(pilot, lambda: len(screen.hits) == 1, "one result")
        found = screen.hits[0].message
        assert found.seq == 11 and found.conv == ALICE
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "current", None) == ALICE, "alice's chat")
        main = app.screen
        assert isinstance(main, MainScreen)
        chat = main.query_one(ChatView)
        await until(pilot, lambda: chat.selected is not None, "the result selected")
        assert chat.selected is not None and chat.selected.id == found.id
        seqs = [m.seq for m in chat.shown]
        assert 11 in seqs and 1 in seqs and 70 not in seqs  # around it, not the newest
        await until(pilot, lambda: app.focused is chat, "the chat focused")
        bubble = chat.bubble_of(found.id)
        assert bubble is not None
        await until(pilot, lambda: drawn.visible(bubble), "the result in view")
        bar = chat.new_messages_bar
        await until(pilot, lambda: "Newer messages" in str(bar.render()), "the newer-messages bar")
        await pilot.press("end")
        await until(pilot, lambda: chat.shown[-1].seq == 70, "the newest page")


async def test_scope_starts_at_the_open_chat_and_from_filters_senders(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["lunch at noon?", "budget draft"])
    await send_all(bob, "me", ["lunch tomorrow"])
    me = await make_client("me")
    await send_all(me, "alice", ["lunch works for me"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await main.open_conversation(ALICE)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen) and screen.scope == ALICE
        scope = screen.query_one("#search-scope", Checkbox)
        assert scope.display and scope.value and "alice" in str(scope.label)
        await pilot.press(*"lunch")
        lunches = ["lunch works for me", "lunch at noon?"]
        await until(pilot, lambda: contents(screen) == lunches, "alice's two lunches")
        assert result_lines(screen)[0].startswith("You · ")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: len(screen.hits) == 3, "every lunch")
        assert screen.scope is None
        await pilot.press(*" from:bob")
        await until(pilot, lambda: contents(screen) == ["lunch tomorrow"], "bob's lunch")
        await pilot.press("ctrl+a", "ctrl+k", *"from:alice")
        everything = ["budget draft", "lunch at noon?"]
        await until(pilot, lambda: contents(screen) == everything, "everything alice sent")
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the chat")
        chat = app.screen.query_one(ChatView)
        await until(
            pilot,
            lambda: (
                chat.selected is not None and chat.selected.content == {"content": "lunch at noon?"}
            ),
            "alice's first lunch selected",
        )


async def test_the_palette_and_escape(make_client: ClientFactory, tmp_path: Path) -> None:
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"search messages")

        def offered() -> bool:
            found = app.screen.query(CommandList)
            if not found or not found.first().option_count:
                return False
            return "Search messages" in str(found.first().get_option_at_index(0).prompt)

        await until(pilot, offered, "the palette's hit")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"nothing at all")
        await until(
            pilot,
            lambda: "No messages found" in str(screen.query_one("#search-status").render()),
            "the empty state",
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the main screen")


def test_from_tokens_are_taken_out_of_the_query() -> None:
    assert Query.parse("lunch from:bob today") == Query("lunch today", "bob")
    assert Query.parse("from:") == Query("from:", None)
    assert Query.parse("FROM:Ann") == Query("", "Ann")
    assert Query.parse("  ").empty


async def test_results_name_groups_as_the_list_does(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """Results in a group said "# crew", its id, where the list says "# The Crew"; a
    channel of an ultra group says which group and channel."""
    alice, me = await make_client("alice"), await make_client("me")
    await alice.groups.create("crew", "The Crew", ["me"])
    await alice.ultra.create("guild", "Guild")
    await alice.ultra.create_channel("guild", "news", "News")
    await me.ultra.join("guild")
    sent = [
        await alice.send_text(ConvRef(type=3, target="crew"), "needle in the crew"),
        await alice.send_text(ConvRef(type=10, target="guild", channel="news"), "needle news"),
    ]
    await alice.wait_sent([m.id for m in sent], timeout=10)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 36)) as pilot:
        await until(pilot, lambda: "The Crew" in "\n".join(list_lines(app)), "the group's row")
        await until(pilot, lambda: "Guild" in "\n".join(list_lines(app)), "the ultra group's row")
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"needle")
        await until(pilot, lambda: len(screen.hits) == 2, "both")
        lines = result_lines(screen)
        assert any(line.startswith("# Guild › # news · alice") for line in lines), lines
        assert any(line.startswith("# The Crew · alice") for line in lines), lines

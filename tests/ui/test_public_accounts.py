"""Public service accounts in the real app: the menu bar under an account's chat instead
of the composer, its items reaching the account's backend through routing, typing where
the account takes text, an article opening in the reader, and the directory (search,
follow, open)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from imkit_tui import messages
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.public_frames import MenuItem
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.handlers.public_service import post_to_followers
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account
from imkit_tui.ui.bubbles.article import ArticleBubble
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import ActionMenuScreen
from imkit_tui.ui.screens.public_accounts import PublicAccountsScreen
from imkit_tui.ui.screens.reader import ReaderScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.menu_bar import MenuBar
from tests.backend import Backend, running_backend
from tests.conftest import ClientFactory, ServerHandle, until_client
from tests.test_hooks_routing import FAST
from tests.ui.test_app import list_lines, make_app, until
from tests.ui.test_long_text import screen_text

NEWS = ConvRef(type=7, target="news")
MENU = (
    MenuItem(id="latest", name="Latest"),
    MenuItem(name="More", kind="group", items=[MenuItem(id="faq", name="FAQ")]),
)
ARTICLE = {
    "articles": [
        {
            "title": "imkit speaks RongCloud",
            "digest": "A terminal chat, end to end",
            "url": "https://example.com/imkit",
            "content": "The whole story of the article.",
        }
    ]
}


@contextlib.asynccontextmanager
async def _backend(handle: ServerHandle) -> AsyncIterator[Backend]:
    """A local backend that the server routes messages to."""
    assert handle.server is not None
    secret = load_or_create(handle.data_dir, environ={}).app_secret
    async with running_backend(secret) as backend:
        hooks = await start_hooks(handle.server, replace(FAST, routing_url=backend.at("/route")))
        try:
            yield backend
        finally:
            await hooks.stop()


async def _account(handle: ServerHandle, *, accepts_text: bool) -> None:
    assert handle.server is not None
    spec = AccountSpec(type=7, id="news", name="imkit news", menu=MENU, accepts_text=accepts_text)
    await save_account(handle.server.require_store(), spec)


async def _post_article(handle: ServerHandle) -> None:
    assert handle.server is not None
    account = await handle.server.require_store().public.get(7, "news")
    assert account is not None
    await post_to_followers(handle.server, account, messages.PS_ARTICLE, ARTICLE)


def _routed(backend: Backend, object_name: str) -> list[dict[str, str]]:
    return [r.form for r in backend.got if r.form["objectName"] == object_name]


async def test_the_menu_bar_sends_commands_and_text_to_the_accounts_backend(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    await _account(server_handle, accepts_text=True)
    async with _backend(server_handle) as backend:
        me = await make_client("me")
        await me.public.follow(NEWS)
        app = make_app(me, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await screen.open_conversation(NEWS)
            await pilot.pause()
            bar = screen.query_one(MenuBar)
            await until(pilot, lambda: bool(bar.display and bar.items), "the menu bar")
            assert not screen.query_one("#composer-row").display
            assert app.focused is bar
            shown = screen_text(pilot)
            assert "1 Latest" in shown and "2 More ▴" in shown and "i type" in shown
            assert "◆ imkit news" in shown  # the header names the account

            await pilot.press("1")
            await backend.until(lambda: len(_routed(backend, messages.PS_CMD)) == 1)
            (click,) = _routed(backend, messages.PS_CMD)
            assert (click["fromUserId"], click["toUserId"], click["channelType"]) == (
                "me",
                "news",
                "MC",
            )
            assert json.loads(click["content"]) == {
                "cmd": "click",
                "data": "latest",
                "extra": "Latest",
            }

            await pilot.press("2")  # a group: its sub-menu
            await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the sub-menu")
            await pilot.press("enter")
            await backend.until(lambda: len(_routed(backend, messages.PS_CMD)) == 2)
            assert json.loads(_routed(backend, messages.PS_CMD)[1]["content"])["data"] == "faq"

            await until(pilot, lambda: isinstance(app.screen, MainScreen), "back")
            bar.focus()
            await pilot.press("i")  # this account takes text: the composer comes
            composer = screen.query_one(Composer)
            await until(pilot, lambda: app.focused is composer, "the composer")
            assert screen.query_one("#composer-row").display and not bar.display
            await pilot.press(*"when is 1.0 out?", "enter")
            await backend.until(lambda: bool(_routed(backend, messages.TEXT)))
            (text,) = _routed(backend, messages.TEXT)
            assert json.loads(text["content"])["content"] == "when is 1.0 out?"
            # Not kept in the account's conversation, which every follower reads.
            assert await me.messages(NEWS) == []

            screen.public.back_to_menu()
            await pilot.pause()
            assert bar.display and app.focused is bar


async def test_an_article_opens_in_the_reader_and_the_bar_offers_no_typing(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    await _account(server_handle, accepts_text=False)
    me = await make_client("me")
    await me.public.follow(NEWS)
    await _post_article(server_handle)

    async def arrived() -> bool:
        return bool(await me.messages(NEWS))

    await until_client(me, arrived)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await screen.open_conversation(NEWS)
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: any(isinstance(b, ArticleBubble) for b in chat.bubbles()), "it")
        (bubble,) = [b for b in chat.bubbles() if isinstance(b, ArticleBubble)]
        bar = screen.query_one(MenuBar)
        await until(pilot, lambda: bool(bar.items), "the menu")
        shown = screen_text(pilot)
        assert "i type" not in shown and "i Type" not in shown  # nor in the footer
        assert any(line.strip().startswith("I  ◆ imkit news") for line in list_lines(app))
        await pilot.press("i")
        await pilot.pause()
        assert bar.display and not screen.query_one("#composer-row").display

        chat.focus()
        assert chat.select_message(bubble.message.id)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        area = app.screen.query_one(TextArea)
        assert area.text.startswith("imkit speaks RongCloud\n\nA terminal chat, end to end")
        assert "The whole story of the article." in area.text
        assert "https://example.com/imkit" in area.text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the chat")


async def test_the_directory_searches_follows_and_opens_an_account(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    await _account(server_handle, accepts_text=False)
    assert server_handle.server is not None
    store = server_handle.server.require_store()
    await save_account(store, AccountSpec(type=8, id="desk", name="Help desk"))
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.public.directory()
        await until(pilot, lambda: isinstance(app.screen, PublicAccountsScreen), "directory")
        directory = app.screen
        assert isinstance(directory, PublicAccountsScreen)
        await until(pilot, lambda: len(directory.accounts) == 2, "every account")
        await pilot.press(*"news")
        await until(pilot, lambda: [a.id for a in directory.accounts] == ["news"], "found")
        directory.query_one(Input).post_message(Input.Submitted(directory.query_one(Input), "news"))
        await until(pilot, lambda: app.focused is directory.query_one(OptionList), "the list")
        await pilot.press("f")
        await until(pilot, lambda: directory.accounts[0].followed, "followed")
        assert "✓ following" in screen_text(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: screen.current == NEWS, "the account's chat")
        assert [a.id for a in await me.public.followed()] == ["news"]
        await _post_article(server_handle)  # now a follower: it arrives
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: any(isinstance(b, ArticleBubble) for b in chat.bubbles()), "it")

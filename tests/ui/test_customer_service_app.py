"""Customer service in the app (Pilot, on the real server): the entry opens the service,
the header says robot or the agent's name, the Human button, the rating prompt at the
end, the leave-a-message form, and the agent's desk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from imkit_tui.core import IMClient
from imkit_tui.core.customer_service import service_conv
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui import palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.agent_desk import AgentDeskScreen
from imkit_tui.ui.screens.cs_prompts import LeaveMessageScreen, RatingScreen
from imkit_tui.ui.screens.customer_service import HumanButton
from imkit_tui.ui.widgets.chat_header import ChatHeader
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory, ServerHandle, running_server
from tests.cs_helpers import ACCOUNT, server_overrides
from tests.ui.test_app import list_lines, make_app, until


@pytest.fixture
async def server_handle(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    async with running_server(tmp_path / "server", **server_overrides(max_per_agent=1)) as handle:
        yield handle


def _texts(app: IMKitApp) -> list[str]:
    chat = app.screen.query_one(ChatView)
    return [str(b.message.content.get("content", "")) for b in chat.bubbles()]


async def _palette(pilot: Pilot[None], entry: str) -> None:
    await pilot.press("ctrl+p", *entry)
    await pilot.pause(0.3)
    await pilot.press("enter")


async def _open_service(pilot: Pilot[None], app: IMKitApp) -> ChatHeader:
    await _palette(pilot, "Customer service")
    header = app.screen.query_one(ChatHeader)
    await until(pilot, lambda: "robot" in header.service, "the robot in the header")
    return header


async def test_the_robot_the_human_button_and_the_rating(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    carol = await make_client("carol")
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        header = await _open_service(pilot, app)
        assert header.service == "robot"
        # The service is named as its config names it, in the header and the list.
        await until(pilot, lambda: header.text.startswith("imkit help"), "the name")
        await until(pilot, lambda: any("imkit help" in r for r in list_lines(app)), "the row")
        assert app.screen.current == service_conv(ACCOUNT)  # type: ignore[attr-defined]
        await until(pilot, lambda: any("Hello!" in t for t in _texts(app)), "the welcome")
        await pilot.press(*"how do I recall a message", "enter")
        answer = "Select it and press x within two minutes."
        await until(pilot, lambda: answer in _texts(app), "the robot's answer")

        button = app.screen.query_one(HumanButton)
        assert button.display
        await pilot.click(HumanButton)
        await until(pilot, lambda: header.service == "agent carol", "carol")
        assert not button.display

        await carol.customer_service.end("me")
        await until(pilot, lambda: isinstance(app.screen, RatingScreen), "the rating prompt")
        await pilot.press("escape")  # later: the palette offers it again
        await until(pilot, lambda: not isinstance(app.screen, RatingScreen), "skipped")
        await _palette(pilot, "Customer service: rate")
        await until(pilot, lambda: isinstance(app.screen, RatingScreen), "the prompt again")
        await pilot.press("4", "tab", *"kind and quick", "enter")
        await until(pilot, lambda: not isinstance(app.screen, RatingScreen), "the prompt closed")
        await until(pilot, lambda: "ended" in header.service, "the end in the header")
    assert server_handle.server is not None
    store = server_handle.server.require_store()
    ratings = [(r[1], r[2], r[3], r[4]) for r in await store.customer_service.ratings()]
    assert ratings == [("me", "carol", 4, "kind and quick")]


async def test_nobody_online_the_form_leaves_a_message(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await _open_service(pilot, app)
        await pilot.click(HumanButton)
        await until(pilot, lambda: isinstance(app.screen, LeaveMessageScreen), "the form")
        await pilot.press("enter")  # nothing written yet: it stays, saying so
        assert isinstance(app.screen, LeaveMessageScreen)
        await pilot.press(*"please call me back", "enter")
        await until(pilot, lambda: not isinstance(app.screen, LeaveMessageScreen), "left")
    assert server_handle.server is not None
    left = await server_handle.server.require_store().customer_service.left()
    assert [(c, f["text"], f["name"]) for c, f, _ in left] == [("me", "please call me back", "me")]


def _told(app: IMKitApp, text: str) -> bool:
    """Whether a notification saying `text` was shown."""
    return any(text in note.message for note in app._notifications)


async def _waiting(client: IMClient) -> None:
    await client.customer_service.open(ACCOUNT)
    await client.customer_service.ask_human(ACCOUNT)


async def test_the_agents_desk_takes_and_ends(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    carol = await make_client("carol")
    app = make_app(carol, tmp_path)
    async with app.run_test(size=(120, 32), notifications=True) as pilot:
        await until(pilot, lambda: app.screen.service.is_agent, "the agent role")  # type: ignore[attr-defined]
        titles = [entry.title for entry in palette.entries(app.screen)]
        assert "Customer service desk" in titles and "Customer service" not in titles
        await _waiting(alice)  # carol has room for one: alice is hers
        await _waiting(bob)  # bob waits: carol is told
        await until(pilot, lambda: _told(app, "Waiting for an agent: bob"), "the toast")
        await _palette(pilot, "Customer service desk")
        await until(pilot, lambda: isinstance(app.screen, AgentDeskScreen), "the desk")
        desk = app.screen
        assert isinstance(desk, AgentDeskScreen)
        await until(pilot, lambda: desk.mine == ["alice"] and desk.waiting == ["bob"], "both")
        await pilot.press("tab", "e")  # end alice's session: bob comes to carol
        await until(pilot, lambda: desk.mine == ["bob"] and not desk.waiting, "bob taken")
        await pilot.press("t")  # nobody waits: refused, said
        await until(pilot, lambda: _told(app, "nobody is waiting"), "the refusal")
        await pilot.press("enter")  # open bob's conversation
        bob_conv = ConvRef(type=ConversationType.CUSTOMER_SERVICE, target="bob")
        await until(pilot, lambda: app.screen.current == bob_conv, "bob's chat")  # type: ignore[attr-defined]
        header = app.screen.query_one(ChatHeader)
        await until(pilot, lambda: header.service == "imkit help · your customer", "the header")
        await pilot.press(*"hello bob", "enter")
        texts: list[object] = []
        for _ in range(200):  # bob has it before his session ends
            texts = [m.content.get("content") for m in await bob.messages(service_conv(ACCOUNT))]
            if "hello bob" in texts:
                break
            await asyncio.sleep(0.02)
        assert "hello bob" in texts
        await _palette(pilot, "End the session with bob")
        await until(pilot, lambda: header.service == "imkit help · not yours now", "ended")


async def test_after_a_server_restart_the_open_service_chat_resumes(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    carol = await make_client("carol")
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        header = await _open_service(pilot, app)
        await pilot.click(HumanButton)
        await until(pilot, lambda: header.service.endswith("agent carol"), "carol")
        # The server forgets its sessions when it restarts: the chat says so on reconnect.
        await server_handle.stop()
        await server_handle.start()
        await until(pilot, lambda: header.service.endswith("robot"), "the robot again", 500)
        assert app.screen.query_one(HumanButton).display
    await carol.close()

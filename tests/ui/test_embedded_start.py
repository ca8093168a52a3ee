"""The embedded app draws its first frame from the local store, before its server runs;
the server starts, and the client connects, after that frame."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot

from imkit_tui.commands import embedded
from imkit_tui.commands.common import IN_PROCESS_URL
from imkit_tui.commands.embedded import EmbeddedHost, HomeLock
from imkit_tui.config import UiState
from imkit_tui.core import ConnectionState, Direction, IMClient, MessagesReceived
from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.start_up import DeferredClient
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app import list_lines, until


async def _seeded_home(tmp_path: Path) -> Paths:
    """A home an earlier start of the embedded app seeded the demo into."""
    paths = Paths.resolve(tmp_path / "home")
    earlier = EmbeddedHost(paths, "me")
    try:
        await (await earlier.start()).wait_synced(timeout=30)
    finally:
        await earlier.stop()
    return paths


async def _store_first_then_connected(
    pilot: Pilot[None], app: IMKitApp, seen: dict[str, object]
) -> None:
    """The first frame (noted in `seen` once it was out) showed the stored list and
    "connecting…"; then the app connects."""
    await until(pilot, lambda: "list" in seen, "the first frame")
    assert "connecting…" in str(seen["status"])
    assert "echo-bot" in str(seen["list"]) and "alice" in str(seen["list"])
    bar = app.screen.query_one(StatusBar)
    await until(pilot, lambda: bar.state == ConnectionState.CONNECTED, "connected", 500)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_first_frame_from_the_store_then_the_server(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    paths = await _seeded_home(tmp_path)

    host = EmbeddedHost(paths, "me")
    seen: dict[str, object] = {}

    async def connect() -> None:
        # Runs once the first frame is out: nothing of the server runs yet.
        seen["serving"] = host.serving
        seen["status"] = app.screen.query_one(StatusBar).render().plain
        seen["list"] = "\n".join(list_lines(app))
        await host.connect()

    app = IMKitApp(
        host.prepare(),
        themes=load_themes(),
        state=UiState(tmp_path / "ui-state.json"),
        embedded=True,
        start=connect,
    )
    try:
        async with app.run_test(size=size) as pilot:
            await _store_first_then_connected(pilot, app, seen)
            assert seen["serving"] is False
            assert host.serving
            me = host.prepare()
            with me.subscribe() as events:
                await me.send_text(ConvRef.private("echo-bot"), "are you there?")
                async with asyncio.timeout(20):  # echo-bot answers
                    async for event in events:
                        if isinstance(event, MessagesReceived) and any(
                            m.direction == Direction.RECEIVED
                            and m.content.get("content") == "echo: are you there?"
                            for m in event.messages
                        ):
                            break
            await pilot.pause()
    finally:
        await host.stop()


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_as_imkit_starts_the_first_frame_is_read_from_the_store_file(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """`imkit` hands the app a DeferredClient: the first frame is drawn from the store
    file before the client exists; the client is made, opened and connected after it."""
    paths = await _seeded_home(tmp_path)

    host = EmbeddedHost(paths, "me")
    seen: dict[str, object] = {}

    def make() -> IMClient:
        # Called once the first frame is out, with nothing of the client made yet.
        seen["made"] = host.client is not None
        seen["status"] = app.screen.query_one(StatusBar).render().plain
        seen["list"] = "\n".join(list_lines(app))
        return host.prepare()

    deferred = DeferredClient("me", IN_PROCESS_URL, host.store_path, make)
    app = IMKitApp(deferred, themes=load_themes(), embedded=True, start=host.connect)
    try:
        async with app.run_test(size=size) as pilot:
            await _store_first_then_connected(pilot, app, seen)
            assert seen["made"] is False
            assert "\n".join(list_lines(app)) == seen["list"]  # the client's list is the same
            await pilot.press("enter")  # the newest conversation opens, as before
            await until(pilot, lambda: app.screen.query("#composer"), "the chat", 200)
    finally:
        await host.stop()


async def test_a_server_that_cannot_be_had_leaves_the_app_open_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths.resolve(tmp_path / "home")
    # Another process of the home holds the lock but never says where it serves.
    holder = HomeLock(paths.server_data / embedded.LOCK_FILE)
    assert holder.try_acquire()
    monkeypatch.setattr(embedded, "FIND_TIMEOUT", 0.2)
    host = EmbeddedHost(paths, "me")
    app = IMKitApp(host.prepare(), themes=load_themes(), embedded=True, start=host.connect)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            bar = app.screen.query_one(StatusBar)
            await until(pilot, lambda: "is it stuck?" in bar.detail, "the reason", 500)
            assert bar.state == ConnectionState.OFFLINE
            assert app.is_running
    finally:
        await host.stop()
        holder.release()

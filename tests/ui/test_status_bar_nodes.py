"""The app on a service of several nodes: the status bar names the node in use, and
follows the client when its node goes away and it moves to the next."""

from __future__ import annotations

import shutil
from pathlib import Path

from imkit_tui.config import UiState
from imkit_tui.core import ConnectionState, IMClient
from imkit_tui.server.auth import SECRET_FILE
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import FAST_BACKOFF, ServerHandle
from tests.ui.test_app import until


async def test_the_status_bar_names_the_node_and_follows_a_move(tmp_path: Path) -> None:
    first = ServerHandle(tmp_path / "a")
    await first.start()
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / SECRET_FILE, tmp_path / "b" / SECRET_FILE)  # one service
    second = ServerHandle(tmp_path / "b")
    await second.start()
    client = IMClient(
        server_url=f"{first.url},{second.url}",
        token=first.token("me"),
        store_path=tmp_path / "me.db",
        backoff=FAST_BACKOFF,
    )
    await client.start()
    app = IMKitApp(client, themes=load_themes(), state=UiState(tmp_path / "ui-state.json"))
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            bar = app.screen.query_one(StatusBar)
            await until(pilot, lambda: bar.state == ConnectionState.CONNECTED, "connected")
            assert first.url.removeprefix("ws://") in bar.render().plain
            await first.stop()
            await until(
                pilot,
                lambda: bar.state == ConnectionState.CONNECTED and bar.server_label == second.url,
                "moved to the second node",
            )
            assert second.url.removeprefix("ws://") in bar.render().plain
    finally:
        await client.close()
        await second.stop()
        await first.stop()

"""Snapshots of the main screen, from a fixed store (offline): in both shipped themes and
in a dark and a light theme of Textual's, whose colours the chat derives its own from."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import constants
from textual.pilot import Pilot
from textual.widgets import TextArea

from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.core.store import Coverage, LocalStore
from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.themes import load_themes

SERVER = "ws://127.0.0.1:9"  # never contacted: the app runs with connect=False
DAY = 86_400_000
BASE = 1_767_607_200_000  # 2026-01-05 10:00 UTC: old enough to show as a date forever


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Times on screen are local; pin the zone so the snapshots match everywhere."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(autouse=True)
def truecolor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw in true colour whatever the terminal running the tests says (TERM, COLORTERM)."""
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")


def _record(peer: str, seq: int, sender: str, text: str, at: int) -> MessageRecord:
    return MessageRecord(
        uid=f"{peer}-{seq}",
        conv=ConvRef.private(peer),
        seq=seq,
        sender=sender,
        object_name="RC:TxtMsg",
        content={"content": text},
        cmid=f"{peer}-{seq}",
        sent_at=at,
    )


async def _fill(path: Path) -> None:
    store = await LocalStore.open(path, "me")
    chats: dict[str, list[tuple[str, str, int]]] = {
        "alice": [
            ("alice", "Morning! Did the build pass?", BASE),
            ("me", "Yes, all green 🎉", BASE + 60_000),
            ("alice", "Great, ship it. 你好", BASE + 10 * 60_000),
        ],
        "bob": [("bob", "Lunch at noon?", BASE - DAY)],
        "carol": [("carol", f"update {i}", BASE - 2 * DAY + i) for i in range(120)],
    }
    try:
        for peer, lines in chats.items():
            records = [_record(peer, i + 1, s, t, at) for i, (s, t, at) in enumerate(lines)]
            n = len(records)
            await store.messages.add_received(ConvRef.private(peer), records, Coverage(n, 1, n))
        await store.conversations.set_draft(ConvRef.private("bob"), "see you th", BASE - DAY + 1)
    finally:
        await store.close()


def _app(tmp_path: Path, theme: str | None) -> IMKitApp:
    """The offline app on the fixed store in ``tmp_path`` (filled the first time)."""
    path = tmp_path / "me.db"
    if not path.exists():
        asyncio.run(_fill(path))
    client = IMClient(server_url=SERVER, token=issue_token(b"0" * 32, "me"), store_path=path)
    return IMKitApp(
        client,
        themes=load_themes(),
        state=UiState(tmp_path / "ui-state.json"),
        theme=theme,
        connect=False,
    )


async def _open_alice(pilot: Pilot[Any]) -> None:
    await pilot.press("enter")  # alice's conversation is the newest
    # A blinking cursor would be drawn or not depending on when the shot is taken.
    for widget in pilot.app.screen.query("*"):
        if hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False
    await pilot.pause()
    # The composer's cursor would be caught on or off as it blinks: keep it on.
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("theme", ["imkit-dark", "imkit-light", "nord", "textual-light"])
def test_main_screen(snap_compare: Any, tmp_path: Path, theme: str) -> None:
    app = _app(tmp_path, theme)
    assert snap_compare(app, terminal_size=(100, 28), run_before=_open_alice)

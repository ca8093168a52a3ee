"""Opening a file or a map where nothing can open it: the app says what is missing and
where the file (or link) is, and offers to save it or copy that path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imkit_tui.core import IMClient
from imkit_tui.media.probe import MediaKind
from imkit_tui.ui import system
from imkit_tui.ui.screens.prompts import ActionMenuScreen
from imkit_tui.ui.screens.save_file import SaveFileScreen
from tests.conftest import ClientFactory
from tests.ui.test_actions import ME, SIZE, select_last, sent_by, until
from tests.ui.test_app import make_app
from tests.ui.test_attachments import notices


def _nothing_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


async def test_a_file_with_no_opener_names_it_and_offers_save_and_copy(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = await make_client("bob")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    await sent_by(bob, ME, report, MediaKind.FILE)
    me = await make_client("me")
    _nothing_installed(monkeypatch, tmp_path)
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await select_last(pilot)
        bubble = chat.selected_bubble
        assert bubble is not None
        await pilot.press("o")  # downloads it first
        await until(pilot, lambda: bubble.media_path is not None, "the download")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the offer")
        (said,) = [n for n in notices(app) if system.NO_OPENER in n]
        where = said.splitlines()[-1]
        assert Path(where).name == "report.pdf" and Path(where).is_absolute()
        await pilot.press("down", "enter")  # Copy the path
        await until(pilot, lambda: app.clipboard == where, "the path copied")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the offer again")
        await pilot.press("enter")  # Save a copy…
        await until(pilot, lambda: isinstance(app.screen, SaveFileScreen), "the save dialog")


async def test_a_map_with_no_browser_says_so_and_offers_the_link(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob: IMClient = await make_client("bob")
    place = {"latitude": 31.2304, "longitude": 121.4737, "poi": "People's Square"}
    sent = await bob.send(ME, "RC:LBSMsg", place)
    await bob.wait_sent([sent.id], timeout=15)
    me = await make_client("me")
    _nothing_installed(monkeypatch, tmp_path)
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await select_last(pilot)
        bubble = chat.selected_bubble
        assert bubble is not None and bubble.default_action == "open_map"
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the offer")
        (said,) = [n for n in notices(app) if system.NO_BROWSER in n]
        link = said.splitlines()[-1]
        assert link.startswith("http")
        await pilot.press("enter")  # Copy the link
        await until(pilot, lambda: app.clipboard == link, "the link copied")

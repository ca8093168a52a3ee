"""Notifications: toast and bell for other chats, desktop notifications while away,
DND respected, one switch, and the option to hide the text."""

from __future__ import annotations

from pathlib import Path

from textual import events

from imkit_tui.config import UiState
from imkit_tui.core import IMClient, channel_ref
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.notifier import HIDDEN_TEXT, desktop_sequence
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.themes import load_themes
from tests.conftest import ClientFactory
from tests.ui.test_app import send_all, until

ME = ConvRef.private("me")


def _app(client: IMClient, tmp_path: Path, **options: bool) -> IMKitApp:
    return IMKitApp(client, themes=load_themes(), state=UiState(tmp_path / "ui.json"), **options)


class Recorder:
    """Collects what the app would write to the terminal and how often it rings."""

    def __init__(self, app: IMKitApp) -> None:
        self.written: list[str] = []
        self.bells = 0
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.notifier.write = self.written.append
        original_bell = app.bell

        def bell() -> None:
            self.bells += 1
            original_bell()

        app.bell = bell


def test_desktop_sequences_are_safe() -> None:
    sequence = desktop_sequence("bob;\x1b]0;pwned\x07", "hi\nthere;x")
    assert sequence.startswith("\x1b]777;notify;bob ]0 pwned;hi there x\x1b\\")
    assert "\x07" not in sequence and sequence.count("\x1b") == 4
    assert "\x1b]9;" in sequence


async def test_other_chats_toast_and_ring_and_away_sends_a_desktop_notification(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["hello"])
    me = await make_client("me")
    app = _app(me, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        recorder = Recorder(app)
        await pilot.press("enter")  # alice open
        await send_all(bob, "me", ["psst"])
        await until(pilot, lambda: recorder.bells == 1, "a bell for bob")
        assert any("psst" in str(t.message) for t in app._notifications)
        assert recorder.written == []  # the terminal has focus: no desktop notification

        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus, "the terminal to lose focus")
        await send_all(alice, "me", ["in the open chat, while you are away"])
        await until(pilot, lambda: len(recorder.written) == 1, "a desktop notification")
        assert "777;notify;alice;in the open chat" in recorder.written[0]


async def test_dnd_and_the_switches(make_client: ClientFactory, tmp_path: Path) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await send_all(alice, "me", ["hello"])
    await send_all(bob, "me", ["hello"])
    me = await make_client("me")
    await me.change_settings(ConvRef.private("bob"), muted=True)
    app = _app(me, tmp_path, notification_text=False)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        recorder = Recorder(app)
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus, "the terminal to lose focus")
        await send_all(bob, "me", ["muted chat"])
        await send_all(alice, "me", ["secret plans"])
        await until(pilot, lambda: len(recorder.written) == 1, "alice's notification")
        assert HIDDEN_TEXT in recorder.written[0] and "secret" not in recorder.written[0]
        assert "bob" not in "".join(recorder.written)

    off = _app(me, tmp_path, notifications=False)
    async with off.run_test(size=(110, 30), notifications=True) as pilot:
        recorder = Recorder(off)
        off.post_message(events.AppBlur())
        await send_all(alice, "me", ["nobody hears this"])
        await pilot.pause(0.3)
        assert recorder.written == [] and recorder.bells == 0


async def test_an_ultra_channel_notifies_as_its_level_says(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, me = await make_client("alice"), await make_client("me")
    await alice.ultra.create("guild", "Guild")
    await alice.ultra.create_channel("guild", "news", "News")
    await me.ultra.join("guild")
    await me.ultra.set_level("guild", "mentions_me", "news")
    news, general = channel_ref("guild", "news"), channel_ref("guild", "")
    app = _app(me, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        recorder = Recorder(app)

        async def said(conv: ConvRef, text: str, mentioned: list[str] | None = None) -> None:
            sent = await alice.send_text(conv, text, mentioned=mentioned or [])
            await alice.wait_sent([sent.id], timeout=10)

        await said(news, "quiet news")  # only @ me notifies in News
        await said(general, "loud general")  # the default level: everything
        await until(pilot, lambda: recorder.bells == 1, "a bell for general")
        await said(news, "@me look", ["me"])
        await until(pilot, lambda: recorder.bells == 2, "a bell for the @")
        toasts = " ".join(str(t.message) for t in app._notifications)
        assert "loud general" in toasts and "@me look" in toasts
        assert "quiet news" not in toasts

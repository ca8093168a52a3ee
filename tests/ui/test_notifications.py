"""Notifications: toast and bell for other chats, desktop notifications while away,
DND respected, one switch, and the option to hide the text."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import events
from textual.widgets import Input

from imkit_tui.config import UiState
from imkit_tui.core import IMClient, channel_ref
from imkit_tui.protocol import ConvRef
from imkit_tui.server.hooks.hub import BackendHooks
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from imkit_tui.ui import palette
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.notifier import HIDDEN_TEXT, desktop_sequence
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import TextPromptScreen
from imkit_tui.ui.themes import load_themes
from tests.conftest import ClientFactory, ServerHandle
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


async def test_a_notice_from_the_backend_is_a_toast_and_a_desktop_notification(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    """/push reaches a running app: nothing stored, a toast and a desktop notification;
    nothing with notifications off."""
    assert server_handle.server is not None
    hooks = await start_hooks(server_handle.server, HooksConfig(push=True))
    try:
        me = await make_client("me")
        app = _app(me, tmp_path)
        async with app.run_test(size=(110, 30), notifications=True) as pilot:
            recorder = Recorder(app)
            assert await hooks.notify("me", "Shop", "50% off today")
            await until(pilot, lambda: len(recorder.written) == 1, "a desktop notification")
            assert "777;notify;Shop;50% off today" in recorder.written[0]
            assert any("50% off" in str(t.message) for t in app._notifications)
        assert await me.conversations() == []  # nothing stored
        off = _app(me, tmp_path, notifications=False)
        async with off.run_test(size=(110, 30), notifications=True) as pilot:
            recorder = Recorder(off)
            assert await hooks.notify("me", "Shop", "nobody sees this")
            await pilot.pause(0.3)
            assert recorder.written == []
            assert not any("nobody" in str(t.message) for t in off._notifications)
    finally:
        await hooks.stop()


def _kept(hooks: BackendHooks, url: str) -> bool:
    return hooks.own_push_url("me") == url


async def test_the_push_url_is_set_in_the_app(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    """The palette's "Offline pushes" entry edits the user's push URL on the server;
    one Apprise does not speak is refused and said, the one kept stays."""
    assert server_handle.server is not None
    hooks = await start_hooks(server_handle.server, HooksConfig(push=True))
    try:
        me = await make_client("me")
        app = _app(me, tmp_path)
        async with app.run_test(size=(110, 30)) as pilot:
            for url, kept in (
                ("json://127.0.0.1:9/push", "json://127.0.0.1:9/push"),
                ("nonsense://x", "json://127.0.0.1:9/push"),
            ):
                entry = next(
                    c for c in palette.entries(app.screen) if c.title.startswith("Offline pushes")
                )
                app.call_next(entry.callback)  # as the palette runs it
                await until(pilot, lambda: isinstance(app.screen, TextPromptScreen), "the prompt")
                field = app.screen.query_one(Input)
                field.value = url
                await pilot.press("enter")
                await until(pilot, partial(_kept, hooks, kept), "the URL kept")
            await until(
                pilot,
                lambda: any("refused" in str(t.message) for t in app._notifications),
                "the refusal said",
            )
    finally:
        await hooks.stop()


def test_at_most_four_message_toasts_show_at_once() -> None:
    from imkit_tui.ui.notifier import MAX_TOASTS, TOAST_SECONDS, Notifier

    class Toasting:
        app_focus = True

        def __init__(self) -> None:
            self.toasts: list[str] = []
            self.bells = 0

        def notify(self, message: str, *, title: str = "", timeout: float | None = None) -> None:
            self.toasts.append(title)

        def bell(self) -> None:
            self.bells += 1

    now = [100.0]
    app = Toasting()
    notifier = Notifier(app, clock=lambda: now[0])
    for n in range(6):  # a first sync brings news in six conversations
        notifier.new_message(f"chat {n}", "hi", open_now=False, muted=False)
    assert app.toasts == [f"chat {n}" for n in range(MAX_TOASTS)] and app.bells == 6
    now[0] += TOAST_SECONDS  # the first ones are gone: room again
    notifier.new_message("later", "hi", open_now=False, muted=False)
    assert app.toasts[-1] == "later"

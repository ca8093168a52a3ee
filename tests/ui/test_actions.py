"""Actions on messages in the real app: play, open, save, download, view, copy, forward.

A real server and real clients; system programs are real executables (shell scripts
put first on PATH) that record how they were called.
"""

from __future__ import annotations

import hashlib
import os
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from textual.pilot import Pilot

from imkit_tui import messages
from imkit_tui.core import IMClient, Message
from imkit_tui.media.probe import MediaKind
from imkit_tui.plugins import PluginFailure, PluginReport
from imkit_tui.protocol import ConvRef
from imkit_tui.ui import palette, system
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import gif
from imkit_tui.ui.screens.forward import ForwardScreen
from imkit_tui.ui.screens.history_viewer import HistoryViewerScreen
from imkit_tui.ui.screens.image_viewer import NO_GRAPHICS, ImageViewerScreen
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.screens.prompts import ActionMenuScreen
from imkit_tui.ui.screens.save_file import SaveFileScreen
from imkit_tui.ui.widgets.bubble_list import BubbleList
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory
from tests.ui import drawn
from tests.ui.test_app import make_app
from tests.ui.test_app import until as wait_until
from tests.ui.test_attachments import notices, open_chat, received

SIZE = (110, 32)
ME = ConvRef.private("me")


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    await wait_until(pilot, condition, what, tries=500)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fake_program(folder: Path, name: str, record: Path, *, linger: bool = False) -> None:
    """An executable ``name`` that writes its arguments to ``record`` (then sleeps)."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    lines = [
        "#!/bin/sh",
        f'printf "%s\\n" "$@" > "{record}.part"',
        f'/bin/mv "{record}.part" "{record}"',
    ]
    if linger:
        lines.append("exec /bin/sleep 30")
    body = "\n".join(lines) + "\n"
    script.write_text(body)
    script.chmod(0o755)


def voice_clip(path: Path, seconds: float = 1.0) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10" * int(8000 * seconds))
    return path


async def sent_by(client: IMClient, to: ConvRef, path: Path, kind: MediaKind) -> Message:
    message = await client.files.send(to, path, kind)
    (done,) = await client.wait_sent([message.id], timeout=15)
    return done


async def select_last(pilot: Pilot[None]) -> ChatView:
    """Open the newest conversation and select its last message."""
    await pilot.press("enter")
    chat = pilot.app.screen.query_one(ChatView)
    chat.focus()
    await pilot.press("up")
    assert chat.selected is not None
    return chat


def screen_of(app: IMKitApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_play_runs_a_player_on_the_downloaded_file_and_marks_it_listened(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = await make_client("bob")
    clip = voice_clip(tmp_path / "hello.wav")
    await sent_by(bob, ME, clip, MediaKind.VOICE)
    me = await make_client("me")
    record = tmp_path / "argv.txt"
    fake_program(tmp_path / "bin", "ffplay", record, linger=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chat = await select_last(pilot)
        voice = chat.selected
        assert voice is not None and voice.object_name == messages.VOICE and not voice.listened
        await pilot.press("p")
        await until(pilot, record.exists, "the player to start")
        argv = record.read_text().splitlines()
        assert argv[:2] == ["-nodisp", "-autoexit"]
        played = Path(argv[-1])
        assert played != clip and sha256(played) == sha256(clip)  # the downloaded copy
        bubble = chat.bubble_of(voice.id)
        assert bubble is not None
        await until(pilot, lambda: getattr(bubble, "playing", False), "the bubble to play")
        await until(pilot, lambda: chat.shown[-1].listened, "the message to be listened")
        actions = screen_of(app).actions
        assert actions is not None and actions.playing(voice.id)
        await pilot.press("p")  # again: stop
        await until(pilot, lambda: not actions.playing(voice.id), "the player to stop")
        assert not getattr(bubble, "playing", True)
    stored = await me.messages(ConvRef.private("bob"))
    assert stored[-1].listened


async def test_play_without_any_player_says_what_to_install(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = await make_client("bob")
    await sent_by(bob, ME, voice_clip(tmp_path / "hi.wav"), MediaKind.VOICE)
    me = await make_client("me")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select_last(pilot)
        await pilot.press("p")
        await until(pilot, lambda: system.NO_AUDIO_PLAYER in notices(app), "the notice")
    assert system.NO_AUDIO_PLAYER.startswith("No audio player found")


async def test_open_downloads_then_hands_the_file_to_the_system_opener(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = await make_client("bob")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    await sent_by(bob, ME, report, MediaKind.FILE)
    me = await make_client("me")
    record = tmp_path / "opened.txt"
    fake_program(tmp_path / "bin", "xdg-open", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await select_last(pilot)
        bubble = chat.selected_bubble
        assert bubble is not None and bubble.default_action == "download"
        await pilot.press("o")  # not local yet: the default action downloads it
        await until(pilot, lambda: bubble.media_path is not None, "the download")
        assert "Downloaded report.pdf" in notices(app)
        assert bubble.default_action == "open"
        await pilot.press("o")
        await until(pilot, record.exists, "the opener")
    opened = Path(record.read_text().splitlines()[-1])
    assert opened.name == "report.pdf" and sha256(opened) == sha256(report)


async def test_save_copies_the_file_and_asks_before_replacing(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = await make_client("bob")
    original = tmp_path / "data.bin"
    original.write_bytes(os.urandom(200_000))
    await sent_by(bob, ME, original, MediaKind.FILE)
    me = await make_client("me")
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select_last(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveFileScreen), "the dialog")
        path_input = app.screen.query_one("#save-path")
        assert path_input.value == str(home / "Downloads" / "data.bin")  # type: ignore[attr-defined]
        await pilot.press("enter")
        saved = home / "Downloads" / "data.bin"
        await until(pilot, saved.exists, "the saved file")
        assert sha256(saved) == sha256(original)
        await until(pilot, lambda: f"Saved to {saved}" in notices(app), "the notice")
        saved.write_bytes(b"changed")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveFileScreen), "the dialog again")
        await pilot.press("enter")
        await until(
            pilot, lambda: "exists" in str(app.screen.query_one("#save-error").render()), "?"
        )
        assert isinstance(app.screen, SaveFileScreen) and saved.read_bytes() == b"changed"
        await pilot.press("enter")  # yes, replace it
        await until(pilot, lambda: sha256(saved) == sha256(original), "the replaced file")


async def test_download_shows_progress_and_completes(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    sent = await sent_by(bob, ME, big, MediaKind.FILE)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await select_last(pilot)
        bubble = chat.selected_bubble
        assert bubble is not None
        seen: list[tuple[int, int]] = []

        def progressing() -> bool:
            if bubble.transfer is not None:
                seen.append(bubble.transfer)
            return bubble.media_path is not None and bool(seen)

        await pilot.press("o")
        await until(pilot, progressing, "progress, then the file")
        assert all(total == big.stat().st_size for _, total in seen)
        await until(pilot, lambda: any("Downloaded big.bin" in n for n in notices(app)), "notice")
        await until(pilot, lambda: bubble.transfer is None, "the bar to go")
        local = me.files.local(chat.selected or sent)
        assert local is not None and sha256(local) == sha256(big)


async def test_forward_one_by_one_and_merged(make_client: ClientFactory, tmp_path: Path) -> None:
    bob, carol = await make_client("bob"), await make_client("carol")
    for text in ("line one", "line two"):
        message = await bob.send_text(ME, text)
        await bob.wait_sent([message.id], timeout=10)
    hi = await carol.send_text(ME, "hi")
    await carol.wait_sent([hi.id], timeout=10)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        chat = app.screen.query_one(ChatView)
        chat.focus()
        await pilot.press("up")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ForwardScreen), "the forward dialog")
        await pilot.press(*"carol", "enter")
        with carol.subscribe() as events:
            await pilot.press("ctrl+s")
            copy = await received(events)
        assert copy.object_name == messages.TEXT and copy.content == {"content": "line two"}
        assert copy.sender == "me"

        await pilot.press("up", "space", "down", "space")
        assert [m.content["content"] for m in chat.marked] == ["line one", "line two"]
        marked = chat.bubble_of(chat.marked[0].id)
        assert marked is not None and marked.marked
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ForwardScreen), "the dialog again")
        await pilot.press(*"carol", "enter")
        assert await pilot.click("#forward-merged")
        with carol.subscribe() as events:
            await pilot.press("ctrl+s")
            merged = await received(events)
        assert merged.object_name == messages.COMBINE
        assert merged.content["summaryList"] == ["bob: line one", "bob: line two"]
        await until(pilot, lambda: chat.marked == [], "the marks to go")
        assert not marked.marked

    viewer = make_app(carol, tmp_path)
    async with viewer.run_test(size=SIZE) as pilot:
        await select_last(pilot)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(viewer.screen, HistoryViewerScreen), "the viewer")
        history = viewer.screen
        assert isinstance(history, HistoryViewerScreen)
        await until(pilot, lambda: len(history.shown) == 2, "the history")
        assert [m.content["content"] for m in history.shown] == ["line one", "line two"]
        assert {m.sender for m in history.shown} == {"bob"}
        assert len(history.query_one(BubbleList).bubbles()) == 2
        await pilot.press("escape")
        assert isinstance(viewer.screen, MainScreen)


async def test_copy_the_menu_and_the_palette(make_client: ClientFactory, tmp_path: Path) -> None:
    bob = await make_client("bob")
    message = await bob.send_text(ME, "copy me, please")
    await bob.wait_sent([message.id], timeout=10)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select_last(pilot)
        await pilot.press("c")
        assert app.clipboard == "copy me, please"
        await until(pilot, lambda: "Copied" in notices(app), "the notice")
        titles = {command.title for command in palette.entries(app.screen)}
        assert {"Message: Copy text", "Message: Forward…", "Message: Mark for forwarding"} <= titles
        assert {"Attach…", "Send an image…", "GIF animations: stop or start"} <= titles
        app.copy_to_clipboard("")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the menu")
        await pilot.press("enter")  # the first entry: copy
        await until(pilot, lambda: app.clipboard == "copy me, please", "the copy")


async def test_the_gif_key_stops_and_starts_animations(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me = await make_client("me")
    app = make_app(me, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert gif.animations_enabled()
            await pilot.press("ctrl+g")
            assert not gif.animations_enabled()
            await pilot.press("ctrl+g")
            assert gif.animations_enabled()
    finally:
        gif.set_animations(True)


async def test_the_image_viewer_opens_on_view_and_closes_on_escape(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    picture = tmp_path / "sky.png"
    Image.new("RGB", (320, 200), (30, 120, 220)).save(picture)
    await sent_by(bob, ME, picture, MediaKind.IMAGE)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await select_last(pilot)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ImageViewerScreen), "the viewer")
        viewer = app.screen
        assert isinstance(viewer, ImageViewerScreen)
        await until(pilot, lambda: viewer.loaded, "the picture")
        assert viewer.path is not None and sha256(viewer.path) == sha256(picture)
        await pilot.press("t")  # no terminal to hand over under Pilot: half blocks stay
        await until(pilot, lambda: NO_GRAPHICS in notices(app), "the notice")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_a_plugin_that_failed_is_reported(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = PluginFailure("poll", "imkit_poll:setup", "ImportError: no module named imkit_poll")
    monkeypatch.setattr("imkit_tui.ui.load_plugins", lambda: PluginReport(["builtin"], [failure]))
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        wanted = "Plugin poll was not loaded: ImportError: no module named imkit_poll"
        await until(pilot, lambda: wanted in notices(app), "the warning")


async def test_gifs_and_card_pictures_are_fetched_as_they_appear(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "green", "blue")]
    animation = tmp_path / "wave.gif"
    frames[0].save(animation, save_all=True, append_images=frames[1:], duration=80, loop=0)
    sent_gif = await sent_by(bob, ME, animation, MediaKind.GIF)
    picture = tmp_path / "card.png"
    Image.new("RGB", (80, 40), (250, 200, 0)).save(picture)
    uploaded = await sent_by(bob, ME, picture, MediaKind.IMAGE)
    card = await bob.send(
        ME,
        messages.RICH_CONTENT,
        {
            "title": "Release notes",
            "content": "What is new",
            "imageUri": uploaded.content["imageUri"],
            "url": "https://example.com/notes",
        },
    )
    await bob.wait_sent([card.id], timeout=10)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        chat = app.screen.query_one(ChatView)
        by_type = {m.object_name: m for m in chat.shown}
        gif_bubble = chat.bubble_of(by_type[messages.GIF].id)
        card_bubble = chat.bubble_of(by_type[messages.RICH_CONTENT].id)
        assert gif_bubble is not None and card_bubble is not None
        await until(pilot, lambda: gif_bubble.media_path is not None, "the GIF's file")
        await until(pilot, lambda: card_bubble.media_path is not None, "the card's picture")
        assert sha256(gif_bubble.media_path) == sha256(animation)  # type: ignore[arg-type]
        assert sha256(card_bubble.media_path) == sha256(picture)  # type: ignore[arg-type]
    assert sent_gif.object_name == messages.GIF


async def test_mouse_a_click_views_and_a_right_click_opens_the_menu(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob = await make_client("bob")
    picture = tmp_path / "dot.png"
    Image.new("RGB", (60, 40), (200, 0, 90)).save(picture)
    await sent_by(bob, ME, picture, MediaKind.IMAGE)
    me = await make_client("me")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chat = await select_last(pilot)
        bubble = chat.selected_bubble
        assert bubble is not None
        body = (4, drawn.height(bubble) - 2)  # inside the picture, above the time
        assert await drawn.click(pilot, bubble, offset=body, button=3)
        await until(pilot, lambda: isinstance(app.screen, ActionMenuScreen), "the menu")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ActionMenuScreen)
        assert not any(isinstance(s, ImageViewerScreen) for s in app.screen_stack)
        await pilot.press("escape")
        assert await drawn.click(pilot, bubble, offset=body)
        await until(pilot, lambda: isinstance(app.screen, ImageViewerScreen), "the viewer")

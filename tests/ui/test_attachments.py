"""Sending files and places from the app: commands, the attachment board, pasted paths.

A real server, real clients (the peer checks what arrives) and the real app under Pilot.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget

from imkit_tui import messages
from imkit_tui.core import IMClient, Message, MessagesReceived, Subscription
from imkit_tui.media.probe import MediaKind
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.screens.attachment_board import AttachmentBoard, AttachmentForm
from imkit_tui.ui.screens.prompts import PasteOfferScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.composer_input import (
    CommandError,
    FileCommand,
    LocationCommand,
    command_name,
    parse_command,
    pasted_path,
)
from tests.conftest import ClientFactory
from tests.ui.test_app import make_app, until

SIZE = (110, 32)
BOB = ConvRef.private("bob")


def notices(app: IMKitApp) -> list[str]:
    """The texts of the notifications shown (run_test(notifications=True))."""
    return [notification.message for notification in app._notifications]


def png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, (200, 40, 40)).save(path)
    return path


async def open_chat(pilot: Pilot[None], user: str) -> None:
    """Open the private chat with ``user`` through ctrl+n, like a user."""
    await pilot.press("ctrl+n")
    await pilot.press(*user, "enter")
    await pilot.pause()
    assert isinstance(pilot.app.focused, Composer)


async def received(events: Subscription) -> Message:
    """The next message the peer's client stores."""
    while True:
        event = await events.next(10)
        if isinstance(event, MessagesReceived):
            return event.messages[-1]


async def started(make_client: ClientFactory) -> tuple[IMClient, IMClient]:
    bob = await make_client("bob")
    me = await make_client("me")
    return me, bob


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_the_image_command_sends_a_picture_the_peer_receives(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    picture = png(tmp_path / "photo.png")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        composer = app.screen.query_one(Composer)
        with bob.subscribe() as events:
            await pilot.press(*f"/image {picture}")
            await pilot.press("enter")
            message = await received(events)
        assert message.object_name == messages.IMAGE and message.sender == "me"
        assert message.content["imageUri"].startswith("imkit-media:")
        assert message.content["width"] == 64 and "localPath" not in message.content
        assert sha256(await bob.files.download(message)) == sha256(picture)
        chat = app.screen.query_one(ChatView)
        await until(pilot, lambda: chat.shown[-1].seq is not None, "the ack")
        assert chat.shown[-1].object_name == messages.IMAGE
        assert chat.bubble_of(chat.shown[-1].id) is not None
        assert composer.text == ""


async def test_an_image_command_on_a_text_file_says_why_and_sends_nothing(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, _ = await started(make_client)
    (tmp_path / "notes.txt").write_text("not a picture\n")
    monkeypatch.chdir(tmp_path)
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_chat(pilot, "bob")
        await pilot.press(*"/image notes.txt", "enter")
        await until(pilot, lambda: any("not an image" in n for n in notices(app)), "the error")
        assert app.screen.query_one(Composer).text == "/image notes.txt"  # kept, to fix it
        assert await me.messages(BOB) == []
        app.screen.query_one(Composer).load_text("/help")
        await pilot.press("enter")
        await until(pilot, lambda: any("/location" in n for n in notices(app)), "the help")


async def test_the_location_command_sends_a_place(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        with bob.subscribe() as events:
            app.screen.query_one(Composer).load_text("/location 31.23 121.47 People's Square")
            await pilot.press("enter")
            message = await received(events)
    assert message.object_name == messages.LOCATION
    assert (message.content["latitude"], message.content["longitude"]) == (31.23, 121.47)
    assert message.content["poi"] == "People's Square"


async def test_the_attachment_board_by_key_sends_a_file_end_to_end(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.4\n" + os.urandom(5000))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        await pilot.press("ctrl+a")
        assert isinstance(app.screen, AttachmentBoard)
        await pilot.press("f")
        assert isinstance(app.screen, AttachmentForm) and app.screen.entry == "file"
        app.screen.query_one("#attach-path").value = str(tmp_path / "missing.pdf")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: "No such file" in _form_error(app), "the form's error")
        assert isinstance(app.screen, AttachmentForm)  # stays open to fix the path
        app.screen.query_one("#attach-path").value = str(document)  # type: ignore[attr-defined]
        with bob.subscribe() as events:
            await pilot.press("enter")
            message = await received(events)
        assert not isinstance(app.screen, AttachmentForm)
    assert message.object_name == messages.FILE
    assert message.content["name"] == "report.pdf" and message.content["size"] == 5009
    assert sha256(await bob.files.download(message)) == sha256(document)


def _form_error(app: IMKitApp) -> str:
    return str(app.screen.query_one("#attach-error").render())


async def test_the_attachment_board_by_mouse_sends_an_image(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    picture = png(tmp_path / "cat.png")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        assert await pilot.click("#attach")
        await until(pilot, lambda: isinstance(app.screen, AttachmentBoard), "the board")
        assert await pilot.click("#board-image")
        await until(pilot, lambda: isinstance(app.screen, AttachmentForm), "the form")
        assert app.screen.entry == "image"  # type: ignore[attr-defined]
        app.screen.query_one("#attach-path").value = f"'{picture}'"  # type: ignore[attr-defined]
        with bob.subscribe() as events:
            await pilot.press("enter")
            message = await received(events)
    assert message.object_name == messages.IMAGE
    assert sha256(await bob.files.download(message)) == sha256(picture)


async def test_a_pasted_path_is_offered_as_an_attachment(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    picture = png(tmp_path / "photo.png")
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        composer = app.screen.query_one(Composer)
        composer.post_message(events.Paste(f"file://{picture}\n"))
        await until(pilot, lambda: isinstance(app.screen, PasteOfferScreen), "the offer")
        question = str(app.screen.query_one("#paste-question").render())
        assert question == "Send photo.png as an image?"
        await pilot.press("escape")  # paste as text instead
        await until(pilot, lambda: composer.text == f"file://{picture}\n", "the text pasted")
        composer.load_text("")
        composer.post_message(events.Paste(f"'{picture}'"))
        await until(pilot, lambda: isinstance(app.screen, PasteOfferScreen), "the offer again")
        with bob.subscribe() as subscription:
            await pilot.press("enter")
            message = await received(subscription)
        assert composer.text == ""
        composer.post_message(events.Paste("/no/such/file.png"))  # not a file: plain text
        await until(pilot, lambda: composer.text == "/no/such/file.png", "the plain paste")
    assert message.object_name == messages.IMAGE
    assert sha256(await bob.files.download(message)) == sha256(picture)


async def test_upload_progress_reaches_the_bubble(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    me, bob = await started(make_client)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    app = make_app(me, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, "bob")
        chat = app.screen.query_one(ChatView)
        seen: list[tuple[int, int]] = []

        def progress_seen() -> bool:
            bubble = chat.bubble_of(chat.shown[-1].id) if chat.shown else None
            if bubble is not None and bubble.transfer is not None:
                seen.append(bubble.transfer)
                return "%" in _rendered(bubble)
            return False

        with bob.subscribe() as events:
            app.screen.query_one(Composer).load_text(f"/file {big}")
            await pilot.press("enter")
            await until(pilot, progress_seen, "a progress bar on the bubble")
            message = await received(events)
        assert all(total == big.stat().st_size for _, total in seen)
        bubble = chat.bubble_of(chat.shown[-1].id)
        await until(pilot, lambda: bubble is not None and bubble.transfer is None, "the bar gone")
    assert message.content["size"] == 3 * 1024 * 1024


def _rendered(widget: Widget) -> str:
    out = io.StringIO()
    Console(width=100, file=out).print(widget.render())
    return out.getvalue()


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("/home/me/photo.png", "/home/me/photo.png"),
        ("'/home/me/my photo.png'\n", "/home/me/my photo.png"),
        ('"/home/me/my photo.png"', "/home/me/my photo.png"),
        ("file:///home/me/my%20photo.png", "/home/me/my photo.png"),
        ("/home/me/my\\ photo.png", "/home/me/my photo.png"),
        ("hello world", None),
        ("/home/me/a.png\n/home/me/b.png", None),
        ("file://elsewhere/share/a.png", None),
        ("'/unbalanced", None),
    ],
)
def test_what_a_paste_of_a_path_looks_like(pasted: str, expected: str | None) -> None:
    found = pasted_path(pasted)
    assert (str(found) if found is not None else None) == expected


def test_commands_parse_or_say_how_to_write_them() -> None:
    assert parse_command("/image '~/my cat.png'") == FileCommand(
        MediaKind.IMAGE, Path("~/my cat.png").expanduser()
    )
    assert parse_command("/location 31.23, 121.47") == LocationCommand(31.23, 121.47, "")
    assert parse_command("/location -33.9 151.2  Sydney  Opera ") == LocationCommand(
        -33.9, 151.2, "Sydney Opera"
    )
    assert command_name("/imagery is a word") is None and command_name("/help") == "help"
    for bad, why in [
        ("/file", "Usage: /file PATH"),
        ("/location north", "Usage: /location"),
        ("/location 91 0", "Latitude 91 is not between -90 and 90"),
    ]:
        with pytest.raises(CommandError, match=why):
            parse_command(bad)

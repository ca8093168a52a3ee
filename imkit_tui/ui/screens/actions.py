"""What the actions on messages do: play, open, save, download, view, copy, read, open links.

:class:`ActionHandler` receives every :class:`~imkit_tui.ui.bubbles.Bubble.ActionRequested`
(a click, a key in the chat view, a menu entry, the palette) and does the work in
workers, so the UI never waits: files are downloaded through the client core (progress
on the bubble), copied in threads, and players and openers run as subprocesses. Every
failure ends as a notification, never as a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from textual.app import App
from textual.screen import Screen

from imkit_tui import messages as catalogue
from imkit_tui.core import IMClient, Message, NotConnected
from imkit_tui.core.message_files import LOCAL_PATH, media_url_of
from imkit_tui.core.transfer import TransferError
from imkit_tui.media.probe import SNIFF_BYTES, sniff_mime
from imkit_tui.ui import system
from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.bubbles._text import MAX_MESSAGE_TEXT, clean_text, local_time
from imkit_tui.ui.names import person
from imkit_tui.ui.screens.prompts import ActionMenuScreen
from imkit_tui.ui.screens.save_file import SaveFileScreen, default_destination

if TYPE_CHECKING:
    from imkit_tui.ui.widgets.chat_view import ChatView

log = logging.getLogger(__name__)

PLAYABLE = frozenset({catalogue.VOICE, catalogue.VOICE_LEGACY, catalogue.SIGHT})
"""Types the "play" action plays (a video opens the video player)."""

VIEWABLE = frozenset({catalogue.IMAGE, catalogue.GIF})
"""Types the "view" action shows in the image viewer."""

OPENABLE_SCHEMES = ("http://", "https://", "mailto:", "geo:")
"""The only links handed to the browser."""

_EXTENSIONS = {
    catalogue.IMAGE: ".jpg",
    catalogue.GIF: ".gif",
    catalogue.VOICE: ".aac",
    catalogue.VOICE_LEGACY: ".amr",
    catalogue.SIGHT: ".mp4",
    catalogue.COMBINE: ".html",
}
_STEMS = {
    catalogue.IMAGE: "image",
    catalogue.GIF: "animation",
    catalogue.VOICE: "voice",
    catalogue.VOICE_LEGACY: "voice",
    catalogue.SIGHT: "video",
    catalogue.COMBINE: "chat-history",
    catalogue.FILE: "file",
}


def _clean_name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    name = Path(value.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name if name not in ("", ".", "..") else None


def own_name(message: Message) -> str | None:
    """The file's own name, when the message carries one (a file, the sender's copy)."""
    content = message.content
    for candidate in (content.get("name"), content.get(LOCAL_PATH)):
        name = _clean_name(candidate)
        if name is not None:
            return name
    return None


def suggested_name(message: Message) -> str:
    """A file name for a message's file: its own, the sender's, or "image-12.jpg"."""
    content = message.content
    name = own_name(message)
    if name is not None:
        return name
    url = media_url_of(message.object_name, content) or ""
    if url.startswith(("http://", "https://")):
        name = _clean_name(urlsplit(url).path)
        if name is not None and "." in name:
            return name
    stem = _STEMS.get(message.object_name, "file")
    return f"{stem}-{message.id}{_EXTENSIONS.get(message.object_name, '')}"


def name_for_content(name: str, path: Path) -> str:
    """``name`` with the extension the file's content calls for ("image-3.png")."""
    try:
        with path.open("rb") as handle:
            mime = sniff_mime(handle.read(SNIFF_BYTES))
    except OSError:
        return name
    extension = mimetypes.guess_extension(mime) if mime else None
    return str(Path(name).with_suffix(extension)) if extension else name


def copy_text(message: Message) -> str:
    """The text "copy" puts on the clipboard: a text's own words, else the summary."""
    content = message.content.get("content")
    if message.object_name == catalogue.TEXT and isinstance(content, str):
        return content
    return catalogue.summarize(message.object_name, message.content)


def copy_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file beside it (blocking)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".imkit-", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def named_file(path: Path, name: str) -> Path:
    """``path`` under its real name, for programs that judge a file by its extension.

    Downloads are cached under their hash; a hard link (else a copy) named ``name`` is
    made beside the cache entry, once (blocking).
    """
    if path.suffix or path.name == name:
        return path
    target = path.parent / "named" / path.name[:24] / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            copy_file(path, target)
    return target


class ActionHandler:
    """Does the actions of one main screen's messages."""

    def __init__(
        self, screen: Screen[Any], client: IMClient, chat: Callable[[], ChatView | None]
    ) -> None:
        """Act for ``screen`` (workers run there) with ``client``; ``chat`` returns the
        chat view when one is mounted."""
        self._screen = screen
        self._client = client
        self._chat = chat
        self._players: dict[int, asyncio.subprocess.Process] = {}
        self._starting: set[int] = set()

    @property
    def app(self) -> App[Any]:
        """The app."""
        return self._screen.app

    def playing(self, message_id: int) -> bool:
        """Whether a player runs for the message."""
        return message_id in self._players

    def handle_event(self, event: Bubble.ActionRequested) -> None:
        """Do what a bubble asks."""
        self.handle(event.source, event.action, event.url)

    def handle(self, bubble: Bubble, action: str, url: str | None = None) -> None:
        """Do ``action`` for ``bubble`` (``url`` for links and maps)."""
        message = bubble.message
        if action in ("open_link", "open_map"):
            self.open_url(url or bubble.url_for(action))
        elif action == "copy":
            self.copy(message)
        elif action == "read":
            self.read(bubble)
        elif action == "stop_animations":
            self.toggle_animations()
        elif action == "view":
            self.view(message)
        elif action == "play":
            self.run(self.play(message), "play")
        elif action == "open":
            self.run(self.open(message), "open")
        elif action == "save":
            self.run(self.save(message), "save")
        elif action == "download":
            self.run(self.download(message), "download")
        elif self._history_handles(message, action):
            pass
        else:
            self.app.notify(f"imkit cannot {action.replace('_', ' ')} this message")

    def _history_handles(self, message: Message, action: str) -> bool:
        """Editing belongs to the screen's ultra group pane; recall, re-edit and delete
        to its history actions, read receipts to its receipt actions."""
        from imkit_tui.ui.screens.history_actions import HistoryActions
        from imkit_tui.ui.screens.receipt_actions import ReceiptActions
        from imkit_tui.ui.screens.ultra_actions import UltraPane

        ultra = getattr(self._screen, "ultra", None)
        history = getattr(self._screen, "history", None)
        receipts = getattr(self._screen, "receipts", None)
        if isinstance(ultra, UltraPane) and ultra.handle(message, action):
            return True  # editing an own message of an ultra group (e)
        return (isinstance(history, HistoryActions) and history.handle(message, action)) or (
            isinstance(receipts, ReceiptActions) and receipts.handle(message, action)
        )

    def run(self, work: Awaitable[None], name: str) -> None:
        """Run ``work`` in a worker of the screen; failures become notifications."""
        self._screen.run_worker(self._guarded(work), group=f"action-{name}", exit_on_error=False)

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except NotConnected:
            self.app.notify("You are offline: try again once connected", severity="warning")
        except TimeoutError:
            self.app.notify("The server did not answer in time", severity="error")
        except (TransferError, system.ProgramError) as error:
            self.app.notify(str(error), severity="error")
        except OSError as error:
            self.app.notify(f"{error.strerror or error}", severity="error")
        except Exception:
            log.exception("a message action failed")
            self.app.notify("That did not work (see the log)", severity="error")

    # ------------------------------------------------------------------ files

    async def fetch(self, message: Message) -> Path:
        """The message's file, downloaded when needed (progress on its bubble)."""
        try:
            path = await self._client.files.download(message)
        except BaseException:
            chat = self._chat()
            if chat is not None:
                chat.end_transfer(message.id)
            raise
        chat = self._chat()
        if chat is not None:
            chat.set_media_path(message.id, path)
        return path

    async def download(self, message: Message) -> None:
        """Download the message's file and say where it is."""
        path = await self.fetch(message)
        self.app.notify(f"Downloaded {suggested_name(message)}", title=str(path))

    async def _name(self, message: Message, path: Path) -> str:
        """The file's own name, else one with the extension its content calls for."""
        name = suggested_name(message)
        if own_name(message) is None:
            name = await asyncio.to_thread(name_for_content, name, path)
        return name

    async def open(self, message: Message) -> None:
        """Download the file, then open it with the system's default application."""
        path = await self.fetch(message)
        named = await asyncio.to_thread(named_file, path, await self._name(message, path))
        try:
            await system.open_file(named)
        except system.NoOpener as missing:
            await self._cannot_open(f"Cannot open {named.name}: {missing}", str(named), message)

    async def _cannot_open(self, reason: str, where: str, message: Message | None) -> None:
        """Say what is missing and where the file (or the link) is, and offer to save the
        message's file elsewhere or to copy that path (or link)."""
        self.app.notify(f"{reason}\n{where}", severity="warning", timeout=10, markup=False)
        entries = [("copy", "Copy the path" if message is not None else "Copy the link")]
        if message is not None:
            entries.insert(0, ("save", "Save a copy…"))
        chosen = await self.app.push_screen_wait(ActionMenuScreen(reason, entries))
        if chosen == "save" and message is not None:
            await self.save(message)
        elif chosen == "copy":
            self.app.copy_to_clipboard(where)
            self.app.notify(where, title="Copied", markup=False)

    async def save(self, message: Message) -> None:
        """Ask where, download, copy there (asking before replacing a file).

        A file with a name of its own is downloaded after the question; a picture or a
        clip before it, so the proposed name has the right extension.
        """
        source: Path | None = None
        name = own_name(message)
        if name is None:
            source = await self.fetch(message)
            name = await self._name(message, source)
        destination = await asyncio.to_thread(default_destination, name)
        chosen = await self.app.push_screen_wait(SaveFileScreen(name, destination))
        if chosen is None:
            return
        source = source or await self.fetch(message)
        await asyncio.to_thread(copy_file, source, chosen)
        self.app.notify(f"Saved to {chosen}")

    # ------------------------------------------------------------------ players

    async def play(self, message: Message) -> None:
        """Play a voice message or a video with a system player; stop it when playing."""
        running = self._players.pop(message.id, None)
        if running is not None:
            await system.stop(running)
            return
        if message.id in self._starting:
            return
        if message.object_name not in PLAYABLE:
            self.app.notify("This message cannot be played")
            return
        self._starting.add(message.id)
        try:
            video = message.object_name == catalogue.SIGHT
            player = await system.find_player(video)
            if player is None:
                notice = system.NO_VIDEO_PLAYER if video else system.NO_AUDIO_PLAYER
                self.app.notify(notice, severity="warning", timeout=8)
                return
            path = await self.fetch(message)
            await self.stop_all()
            process = await system.start([*player, str(path)])
        finally:
            self._starting.discard(message.id)
        self._players[message.id] = process
        self._set_playing(message.id, True)
        try:
            if not message.listened:
                await self._client.files.mark_listened(message)
            await process.wait()
        finally:
            if self._players.get(message.id) is process:
                del self._players[message.id]
            self._set_playing(message.id, False)

    async def stop_all(self) -> None:
        """Stop every player (another message starts, or the app ends)."""
        running, self._players = list(self._players.items()), {}
        for message_id, process in running:
            await system.stop(process)
            self._set_playing(message_id, False)

    def _set_playing(self, message_id: int, playing: bool) -> None:
        chat = self._chat()
        bubble = chat.bubble_of(message_id) if chat is not None else None
        if bubble is not None and hasattr(bubble, "playing"):
            bubble.playing = playing

    # ------------------------------------------------------------------ the rest

    def view(self, message: Message) -> None:
        """Show a picture full-screen, or the messages of a merged forward."""
        # Imported here: the viewers bring Pillow and are rarely needed at start.
        from imkit_tui.ui.screens.history_viewer import HistoryViewerScreen
        from imkit_tui.ui.screens.image_viewer import ImageViewerScreen

        if message.object_name == catalogue.COMBINE:
            self.app.push_screen(
                HistoryViewerScreen(self._client, message, on_action=self.handle_event)
            )
        elif message.object_name in VIEWABLE:
            self.app.push_screen(
                ImageViewerScreen(
                    self._client, message, on_save=lambda: self.run(self.save(message), "save")
                )
            )
        else:
            self.app.notify("There is nothing to view in this message")

    def open_url(self, url: str | None) -> None:
        """Open a web link (or a map) in the browser."""
        if not url or not url.lower().startswith(OPENABLE_SCHEMES):
            self.app.notify("This link cannot be opened", severity="warning")
            return
        self.app.notify(url, title="Opening", timeout=3, markup=False)
        self.run(self._open_link(url), "open-url")

    async def _open_link(self, url: str) -> None:
        try:
            await system.open_link(url)
        except system.NoOpener as missing:
            await self._cannot_open(f"Cannot open the link: {missing}", url, None)

    def read(self, bubble: Bubble) -> None:
        """Show the whole text of the message full screen (the reader)."""
        from imkit_tui.ui.screens.reader import ReaderScreen

        message = bubble.message
        text = getattr(bubble, "text", None)
        if not isinstance(text, str):
            text = clean_text(copy_text(message), limit=MAX_MESSAGE_TEXT)
        sender = clean_text(person(message.sender), keep_newlines=False)[:64]
        when = local_time(message.sent_at)
        title = f"{sender} · {when:%Y-%m-%d %H:%M}" if when is not None else sender
        self.app.push_screen(ReaderScreen(text, title))

    def copy(self, message: Message) -> None:
        """Copy the message's text to the clipboard."""
        self.app.copy_to_clipboard(copy_text(message))
        self.app.notify("Copied")

    def toggle_animations(self) -> None:
        """Stop GIF animations, or start them again."""
        from imkit_tui.ui.bubbles import gif

        enabled = not gif.animations_enabled()
        gif.set_animations(enabled)
        self.app.notify("GIF animations on" if enabled else "GIF animations stopped")

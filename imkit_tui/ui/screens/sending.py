"""Sending beyond text: slash commands, the attachment board, pasted file paths.

:class:`Sending` turns what the composer, the board and a paste ask for into client
calls (``send_file``, ``send_location``). Every problem the user can fix (a missing
file, "notes.txt is not an image", a voice clip over 60 seconds, bad coordinates) is
shown as a notification or in the form, and the composer keeps the command's text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual.screen import Screen

from imkit_tui.core import IMClient
from imkit_tui.core.attachments import AttachmentError
from imkit_tui.media.probe import guess_kind
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.screens.attachment_board import (
    AttachmentBoard,
    AttachmentForm,
    Request,
)
from imkit_tui.ui.screens.prompts import PasteOfferScreen
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.composer_input import (
    HELP,
    KIND_NAMES,
    CommandError,
    FileCommand,
    HelpCommand,
    TargetedCommand,
    parse_command,
)

READ_ONLY = "The system conversation is read-only."
"""What the user is told when sending to the system conversation."""


class Sending:
    """Sends files and places to the open conversation of one main screen."""

    def __init__(
        self,
        screen: Screen[Any],
        client: IMClient,
        current: Callable[[], ConvRef | None],
    ) -> None:
        """Send with ``client`` to ``current()``; what is queued comes into view as an
        event (MessageQueued), as every message does."""
        self._screen = screen
        self._client = client
        self._current = current

    def _error(self, text: str) -> None:
        self._screen.app.notify(escape(text), title="Not sent", severity="error", timeout=6)

    async def send(self, request: Request) -> str | None:
        """Send a file or a place; return the problem for the user, or None once queued."""
        conv = self._current()
        if conv is None:
            return "Open a conversation first"
        if conv.type == ConversationType.SYSTEM:
            return READ_ONLY
        try:
            if isinstance(request, FileCommand):
                await self._client.files.send(conv, request.path, request.kind)
            else:
                await self._client.files.send_location(
                    conv, request.latitude, request.longitude, request.name
                )
        except AttachmentError as error:
            return str(error)
        return None

    async def command(self, composer: Composer, text: str) -> None:
        """Run a slash command typed in the composer; clear it only when it worked."""
        try:
            command = parse_command(text)
        except CommandError as error:
            self._error(str(error))
            return
        if isinstance(command, HelpCommand):
            self._screen.app.notify(escape(HELP), title="Commands", timeout=12)
            composer.clear_sent()
            return
        if isinstance(command, TargetedCommand):
            problem = await self.send_targeted(command)
        else:
            problem = await self.send(command)
        if problem is None:
            composer.clear_sent()
        else:
            self._error(problem)

    async def send_targeted(self, command: TargetedCommand) -> str | None:
        """Send text only some members of the open group receive; the problem, or None."""
        conv = self._current()
        if conv is None or conv.type != ConversationType.GROUP:
            return "/to sends to some members of a group: open a group first"
        await self._client.send_text(conv, command.text, to=command.recipients)
        return None

    def open_board(self) -> None:
        """Show the attachment board; its choice opens the form that sends."""
        if self._current() is None:
            self._screen.app.notify("Open a conversation first", severity="warning")
            return

        def chosen(entry: str | None) -> None:
            if entry:
                self.open_form(entry)

        self._screen.app.push_screen(AttachmentBoard(), chosen)

    def open_form(self, entry: str) -> None:
        """Show the form of one board entry (a MediaKind value or "location")."""
        if self._current() is None:
            self._screen.app.notify("Open a conversation first", severity="warning")
            return
        self._screen.app.push_screen(AttachmentForm(entry, self.send))

    async def pasted(self, composer: Composer, path: Path, text: str) -> None:
        """Offer a pasted file as an attachment; keep the text when the user declines.

        Run it in a worker: it waits for the user's answer.
        """
        if self._current() is None:
            composer.insert_text(text)
            return
        kind = await asyncio.to_thread(guess_kind, path)
        offer = PasteOfferScreen(path.name, KIND_NAMES.get(kind, "a file"))
        if not await self._screen.app.push_screen_wait(offer):
            composer.insert_text(text)
            return
        problem = await self.send(FileCommand(kind, path))
        if problem is not None:
            self._error(problem)

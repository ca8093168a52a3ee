"""`client.files`: send files and places, forward, download, play state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from imkit_tui import messages as catalogue
from imkit_tui.core import forward
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import MessageUpdated
from imkit_tui.core.message_files import LOCAL_PATH, media_url_of
from imkit_tui.core.models import Direction, Message
from imkit_tui.core.outbox import progress_reporter
from imkit_tui.core.transfer import TransferError
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.storage.private import open_private

if TYPE_CHECKING:
    from imkit_tui.media.probe import MediaKind


class Files:
    """Sending files, locations and forwards; fetching files."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def send(
        self,
        conv: ConvRef,
        path: Path | str,
        kind: MediaKind | None = None,
        *,
        cmid: str | None = None,
        to: Sequence[str] = (),
    ) -> Message:
        """Queue a file as an image, GIF, voice, video or file message (`kind`, or detected);
        `to` targets it at those group members.

        The file is checked first (raises AttachmentError with a message for the user:
        missing, empty, not what `kind` says, too large or too long) and its thumbnail,
        duration or waveform computed; the outbox uploads it, then sends the message.
        """
        # Imported here: Pillow and mutagen load only once someone sends a file.
        from imkit_tui.core import attachments

        attachment = await asyncio.to_thread(
            attachments.prepare, path, kind, max_bytes=self._context.transfers.max_upload_bytes()
        )
        return await self._context.send(
            conv, attachment.object_name, attachment.content, cmid=cmid, to=to
        )

    async def send_location(
        self, conv: ConvRef, latitude: float, longitude: float, name: str = ""
    ) -> Message:
        """Queue a location message; raises AttachmentError for impossible coordinates."""
        from imkit_tui.core import attachments

        content = attachments.location_content(latitude, longitude, name)
        return await self._context.send(conv, catalogue.LOCATION, content)

    async def forward(
        self, chosen: Sequence[Message], targets: Sequence[ConvRef], *, merged: bool = False
    ) -> list[Message]:
        """Forward messages to each target: one by one, or merged into one chat history.

        Raises ForwardError when the messages cannot be forwarded (unsent, notices, too
        many). A merged forward writes its HTML file to the media cache and uploads it.
        """
        ordered = forward.check_forwardable(chosen)
        queued: list[Message] = []
        if not merged:
            for target in targets:
                for message in ordered:
                    content = forward.forward_content(message)
                    queued.append(await self._context.send(target, message.object_name, content))
            return queued
        source = ordered[0].conv
        page = forward.combine_html(ordered)
        path = self._context.transfers.cache_dir / f"forward-{new_uuid7()}.html"
        await asyncio.to_thread(_write_text, path, page)
        content = forward.combine_content(ordered, int(source.type))
        content[LOCAL_PATH] = str(path)
        for target in targets:
            queued.append(await self._context.send(target, catalogue.COMBINE, dict(content)))
        return queued

    def local(self, message: Message) -> Path | None:
        """The message's file on this machine (the sender's original or a download), or None."""
        local = message.content.get(LOCAL_PATH)
        mine = message.direction == Direction.SENT
        if mine and isinstance(local, str) and Path(local).is_file():
            return Path(local)
        url = media_url_of(message.object_name, message.content)
        return self._context.transfers.cached(url) if url is not None else None

    async def download(self, message: Message) -> Path:
        """Fetch the message's file (once) and return where it is; TransferProgress follows.

        Raises TransferError when the message has no file or it cannot be fetched,
        NotConnected or TimeoutError when offline.
        """
        found = await asyncio.to_thread(self.local, message)
        if found is not None:
            return found
        url = media_url_of(message.object_name, message.content)
        if url is None:
            raise TransferError("This message has no file to download")
        report = progress_reporter(self._context.events, message.id, upload=False)
        return await self._context.transfers.download(url, report)

    async def fetch(self, url: str) -> Path:
        """Fetch any file URL a message mentions (an article's picture, …) into the cache."""
        return await self._context.transfers.download(url)

    async def mark_listened(self, message: Message) -> Message:
        """Note that a voice or video message was played here; returns its new state."""
        updated = await self._context.store.messages.mark_listened(message.id)
        if updated is None:
            return message
        self._context.events.publish(MessageUpdated(updated))
        return updated


def _write_text(path: Path, text: str) -> None:
    with open_private(path) as handle:
        handle.write(text.encode("utf-8"))

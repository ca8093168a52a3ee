"""IMClient's file messages: send files and places, forward, download, play state.

A mixin, so the client's facade stays one object while each concern keeps its module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imkit_tui import messages as catalogue
from imkit_tui.core import forward
from imkit_tui.core.events import EventBus, MessageUpdated
from imkit_tui.core.message_files import LOCAL_PATH, media_url_of
from imkit_tui.core.models import Direction, Message
from imkit_tui.core.outbox import progress_reporter
from imkit_tui.core.store import LocalStore
from imkit_tui.core.transfer import TransferError, Transfers
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.storage.private import open_private

if TYPE_CHECKING:
    from imkit_tui.media.probe import MediaKind


class FileMessages:
    """Sending files, locations and forwards; fetching files. Mixed into IMClient."""

    transfers: Transfers
    events: EventBus

    if TYPE_CHECKING:  # provided by the class this is mixed into

        @property
        def store(self) -> LocalStore: ...

        async def send(
            self,
            conv: ConvRef,
            object_name: str,
            content: dict[str, Any],
            *,
            cmid: str | None = None,
            to: Sequence[str] = (),
        ) -> Message: ...

    async def send_file(
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
            attachments.prepare, path, kind, max_bytes=self.transfers.max_upload_bytes()
        )
        return await self.send(conv, attachment.object_name, attachment.content, cmid=cmid, to=to)

    async def send_location(
        self, conv: ConvRef, latitude: float, longitude: float, name: str = ""
    ) -> Message:
        """Queue a location message; raises AttachmentError for impossible coordinates."""
        from imkit_tui.core import attachments

        content = attachments.location_content(latitude, longitude, name)
        return await self.send(conv, catalogue.LOCATION, content)

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
                    queued.append(await self.send(target, message.object_name, content))
            return queued
        source = ordered[0].conv
        page = forward.combine_html(ordered)
        path = self.transfers.cache_dir / f"forward-{new_uuid7()}.html"
        await asyncio.to_thread(_write_text, path, page)
        content = forward.combine_content(ordered, int(source.type))
        content[LOCAL_PATH] = str(path)
        for target in targets:
            queued.append(await self.send(target, catalogue.COMBINE, dict(content)))
        return queued

    def local_file(self, message: Message) -> Path | None:
        """The message's file on this machine (the sender's original or a download), or None."""
        local = message.content.get(LOCAL_PATH)
        mine = message.direction == Direction.SENT
        if mine and isinstance(local, str) and Path(local).is_file():
            return Path(local)
        url = media_url_of(message.object_name, message.content)
        return self.transfers.cached(url) if url is not None else None

    async def download(self, message: Message) -> Path:
        """Fetch the message's file (once) and return where it is; TransferProgress follows.

        Raises TransferError when the message has no file or it cannot be fetched,
        NotConnected or TimeoutError when offline.
        """
        found = await asyncio.to_thread(self.local_file, message)
        if found is not None:
            return found
        url = media_url_of(message.object_name, message.content)
        if url is None:
            raise TransferError("This message has no file to download")
        report = progress_reporter(self.events, message.id, upload=False)
        return await self.transfers.download(url, report)

    async def fetch(self, url: str) -> Path:
        """Fetch any file URL a message mentions (an article's picture, …) into the cache."""
        return await self.transfers.download(url)

    async def mark_listened(self, message: Message) -> Message:
        """Note that a voice or video message was played here; returns its new state."""
        updated = await self.store.mark_listened(message.id)
        if updated is None:
            return message
        self.events.publish(MessageUpdated(updated))
        return updated


def _write_text(path: Path, text: str) -> None:
    with open_private(path) as handle:
        handle.write(text.encode("utf-8"))

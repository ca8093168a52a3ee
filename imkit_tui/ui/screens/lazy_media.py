"""Media fetched as bubbles appear: GIF files, pictures of link cards and articles.

When the chat view creates bubbles, :meth:`LazyMedia.wanted` looks for what they can
draw once a file is local: a GIF's animation (downloaded through the client core, with
progress on the bubble), the picture of a rich-content card (``imageUri``) or of an
article (``picurl``) when it is a media or http(s) URL. Files already on this machine
(an earlier download, the sender's own copy) are found with a stat in a thread and
handed over at once. Failures are logged and leave the bubble's placeholder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from imkit_tui import messages as catalogue
from imkit_tui.core import IMClient, Message
from imkit_tui.core.message_files import media_url_of
from imkit_tui.core.transfer import TransferError
from imkit_tui.protocol.media import MEDIA_SCHEME
from imkit_tui.ui.bubbles import Bubble

if TYPE_CHECKING:
    from imkit_tui.ui.widgets.chat_view import ChatView

log = logging.getLogger(__name__)

CONCURRENT = 3
"""Files fetched at once."""

DOWNLOADED = frozenset({catalogue.GIF})
"""Types whose own file is downloaded as soon as the bubble exists."""

_FETCHABLE = ("http://", "https://", MEDIA_SCHEME)


def picture_url(message: Message) -> str | None:
    """The picture URL of a link card or an article, when it can be fetched."""
    content = message.content
    url: object = None
    if message.object_name == catalogue.RICH_CONTENT:
        url = content.get("imageUri")
    elif message.object_name in (catalogue.PS_ARTICLE, catalogue.PS_MULTI_ARTICLE):
        articles = content.get("articles")
        if isinstance(articles, list) and articles and isinstance(articles[0], dict):
            url = articles[0].get("picurl")
    if isinstance(url, str) and url.startswith(_FETCHABLE) and len(url) < 4096:
        return url
    return None


class LazyMedia:
    """Finds and fetches the files new bubbles can draw, for one main screen."""

    def __init__(
        self, screen: Screen[Any], client: IMClient, chat: Callable[[], ChatView | None]
    ) -> None:
        """Work in ``screen``'s workers with ``client``; ``chat`` gives the chat view."""
        self._screen = screen
        self._client = client
        self._chat = chat
        self._failed: set[str] = set()
        self._limit = asyncio.Semaphore(CONCURRENT)

    def wanted(self, bubbles: list[Bubble]) -> None:
        """Look for the files of new bubbles (the chat view's hook; returns at once)."""
        messages = [b.message for b in bubbles]
        local = [m for m in messages if media_url_of(m.object_name, m.content) is not None]
        pictures = [(m, url) for m in messages if (url := picture_url(m)) is not None]
        if local or pictures:
            self._screen.run_worker(
                self._load(local, pictures), group="lazy-media", exit_on_error=False
            )

    async def _load(self, local: list[Message], pictures: list[tuple[Message, str]]) -> None:
        try:
            found = await asyncio.to_thread(self._find, local)
        except Exception:
            log.exception("looking for local media files failed")
            found = {}
        for message_id, path in found.items():
            self._give(message_id, path)
        jobs = [
            self._fetch(m, None) for m in local if m.object_name in DOWNLOADED and m.id not in found
        ]
        jobs += [self._fetch(m, url) for m, url in pictures]
        if jobs:
            await asyncio.gather(*jobs)

    def _find(self, local: list[Message]) -> dict[int, Path]:
        found: dict[int, Path] = {}
        for message in local:
            path = self._client.files.local(message)
            if path is not None:
                found[message.id] = path
        return found

    async def _fetch(self, message: Message, url: str | None) -> None:
        key = url or media_url_of(message.object_name, message.content) or ""
        if key in self._failed:
            return
        async with self._limit:
            try:
                if url is None:
                    path = await self._client.files.download(message)
                else:
                    path = await self._client.files.fetch(url)
            except Exception as error:
                if isinstance(error, TransferError):  # for good; offline may pass
                    self._failed.add(key)
                log.info("could not fetch the media of message %s: %r", message.id, error)
                chat = self._chat()
                if chat is not None:
                    chat.end_transfer(message.id)
                return
        self._give(message.id, path)

    def _give(self, message_id: int, path: Path) -> None:
        chat = self._chat()
        if chat is not None:
            chat.set_media_path(message_id, path)

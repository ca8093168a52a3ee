"""People's portraits as small pictures: the avatar tile of a conversation row.

A portrait URL (http(s), or a file stored on the IM server) is fetched once into the
client's file cache on disk (``client.transfers``, the same cache as message files),
decoded and drawn off the event loop, and kept drawn in memory by URL and size. Where
the app draws pictures with kitty (``app.inline_pictures``) the tile is kitty's
placeholder cells; elsewhere half blocks, in any terminal with colours. Until it is
ready, and for ever when it cannot be fetched or decoded, the tile shows the initial
letter (the default); a row never waits for a picture. Without colours (NO_COLOR) the
letter stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path

from rich.segment import Segment

from imkit_tui.ui.images.kitty_inline import KittyImages, placeholder_lines

log = logging.getLogger(__name__)

RETRY_SECONDS = 300.0
"""A portrait that could not be fetched or drawn is tried again after this long."""
Drawn = list[list[Segment]]
"""A picture as rows of segments."""


class Portraits:
    """Drawn portraits by URL and size, fetched and drawn in the background.

    `fetch(url)` gives the local file of a URL (the client's download cache);
    `on_ready()` is called when a picture becomes ready, so its rows are drawn again.
    """

    def __init__(
        self, fetch: Callable[[str], Awaitable[Path]], on_ready: Callable[[], None]
    ) -> None:
        self._fetch = fetch
        self._on_ready = on_ready
        self._drawn: dict[tuple[str, int, int], tuple[Drawn, bytes]] = {}
        self._failed: dict[str, float] = {}
        self._loading: set[tuple[str, int, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def tile(
        self, url: str, columns: int, rows: int, kitty: KittyImages | None = None
    ) -> Drawn | None:
        """The picture of `url` in `columns` x `rows` cells when drawn (with `kitty`,
        its placeholder cells, the picture sent on first use); else None (and it is
        fetched and drawn in the background, once)."""
        if not url or time.monotonic() < self._failed.get(url, 0.0):
            return None
        key = (url, columns, rows)
        drawn = self._drawn.get(key)
        if drawn is None and key not in self._loading:
            self._loading.add(key)
            task = asyncio.get_running_loop().create_task(self._load(key), name="portrait")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if drawn is None:
            return None
        cells, png = drawn
        if kitty is None:
            return cells
        return placeholder_lines(kitty.show(f"portrait:{url}", png, columns, rows), columns, rows)

    async def _load(self, key: tuple[str, int, int]) -> None:
        url, columns, rows = key
        try:
            path = await self._fetch(url)
            self._drawn[key] = await asyncio.to_thread(_draw, path, columns, rows)
        except Exception as error:  # offline, not found, not a picture: the letter stays
            log.debug("no portrait from %s: %s", url[:80], error)
            self._failed[url] = time.monotonic() + RETRY_SECONDS
            return
        finally:
            self._loading.discard(key)
        self._on_ready()


def _draw(path: Path, columns: int, rows: int) -> tuple[Drawn, bytes]:
    """Draw on a worker thread; Pillow loads with the first portrait, not at start-up."""
    drawing = import_module("imkit_tui.ui.images.portrait")
    drawn: tuple[Drawn, bytes] = drawing.draw_portrait(path, columns, rows)
    return drawn

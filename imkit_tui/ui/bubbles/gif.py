"""The GIF bubble (``RC:GIFMsg``): a placeholder until the file is local, then animated.

The content has ``remoteUrl``, ``width``, ``height`` and ``gifDataSize`` (no thumbnail),
so the bubble shows ``🎞 GIF · 240×180 · 1.2 MB`` until the chat view has downloaded the
file and calls :meth:`~Bubble.set_media_path`. The frames are then decoded in a thread
and stepped through by a timer, each frame for its own delay.

An animation only advances while its bubble is in the visible part of the chat view
(checked on every step: some line of it on screen, asked of the view that draws it);
each step repaints only that bubble's lines,
and :func:`set_animations` stops (or restarts) every GIF at once; a stopped GIF shows
its first frame.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from weakref import WeakSet

from rich.console import RenderableType
from rich.text import Text
from textual.timer import Timer

from imkit_tui.core import Message
from imkit_tui.media import limits
from imkit_tui.media.images import gif_frames
from imkit_tui.media.probe import describe_size
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, number_field, size_field, text_field
from imkit_tui.ui.bubbles._progress import with_progress
from imkit_tui.ui.bubbles.base import Bubble
from imkit_tui.ui.images.animation import AnimatedImage
from imkit_tui.ui.images.halfblock import HalfBlockImage

MAX_WIDTH = 32
"""The widest a GIF is drawn, in columns."""
MAX_HEIGHT = 12
"""The tallest a GIF is drawn, in rows."""
MAX_FRAMES = 300
"""Frames decoded at most."""
OFFSCREEN_POLL = 0.5
"""Seconds between checks whether a paused (off-screen) animation came back into view."""
MIN_DELAY_MS = 20
"""The shortest a frame shows, whatever the file says."""

_MAX_SIDE = 4 * MAX_WIDTH
_MAX_DIMENSION = 100_000

_enabled = True
_live: WeakSet[GifBubble] = WeakSet()


def animations_enabled() -> bool:
    """Whether GIFs animate (the app-wide switch; on by default)."""
    return _enabled


def set_animations(enabled: bool) -> None:
    """Start or stop every GIF at once; stopped ones show their first frame."""
    global _enabled
    _enabled = bool(enabled)
    for bubble in list(_live):
        bubble.sync_animation()


class _Loaded:
    """The decoded animation and its first frame (for when animations are off)."""

    def __init__(self, animation: AnimatedImage, still: HalfBlockImage) -> None:
        self.animation = animation
        self.still = still


def load_animation(path: Path) -> _Loaded | None:
    """Read and decode the GIF at ``path`` (in a thread); None when unreadable."""
    try:
        size = path.stat().st_size
        if size <= 0 or size > 4 * limits.GIF_MAX_BYTES:
            return None
        frames = gif_frames(path.read_bytes(), max_frames=MAX_FRAMES, max_side=_MAX_SIDE)
        if not frames:
            return None
        animation = AnimatedImage(frames, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)
        still = HalfBlockImage(frames[0].image, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)
    except Exception:
        return None
    return _Loaded(animation, still)


class GifBubble(Bubble):
    """An animated GIF.

    Raises :class:`ValueError` when the content is not a mapping, has no ``remoteUrl``
    (nor, for an own message being uploaded, a ``localPath``), or ``width``,
    ``height`` or ``gifDataSize`` are not numbers in range.
    """

    _loaded: _Loaded | None = None
    _failed = False
    _timer: Timer | None = None
    _steps = 0

    def read_content(self, message: Message) -> None:
        """Read the URL, dimensions and size; an own GIF being uploaded needs no URL."""
        content = content_of(message.content)
        self._url = text_field(content, "remoteUrl")
        width = number_field(content, "width", low=0, high=_MAX_DIMENSION)
        height = number_field(content, "height", low=0, high=_MAX_DIMENSION)
        self._dimensions = (int(width), int(height)) if width and height else None
        self._bytes = size_field(content, "gifDataSize")
        if self._url is None and self.media_path is None:
            raise ValueError("a GIF without 'remoteUrl'")

    @property
    def remote_url(self) -> str | None:
        """Where the GIF is on the server."""
        return self._url

    @property
    def frame_count(self) -> int:
        """How many frames are loaded (0 until the file is local and decoded)."""
        return self._loaded.animation.frame_count if self._loaded is not None else 0

    @property
    def frame_index(self) -> int:
        """The position of the frame shown now (0 when stopped or not loaded)."""
        if self._loaded is None or not _enabled:
            return 0
        return self._loaded.animation.index

    @property
    def steps(self) -> int:
        """How many times the animation advanced since the file was loaded."""
        return self._steps

    @property
    def animating(self) -> bool:
        """Whether a timer is stepping the animation (it still pauses when off-screen)."""
        return self._timer is not None

    def actions(self) -> list[tuple[str, str]]:
        """View, save, and the app-wide animation switch; download while not local."""
        names = [act.VIEW if self.media_path is not None else act.DOWNLOAD, act.SAVE]
        items = act.labelled(*names)
        label = "Stop animations" if _enabled else "Play animations"
        return [*items, (act.STOP_ANIMATIONS, label)]

    @property
    def default_action(self) -> str | None:
        """A click views the GIF once it is local, else downloads it."""
        return act.VIEW if self.media_path is not None else act.DOWNLOAD

    def media_path_changed(self) -> None:
        """Decode the frames of the local file in a thread, then animate."""
        self._stop_timer()
        self._loaded, self._failed, self._steps = None, False, 0
        path = self.media_path
        if path is not None:
            self.run_worker(self._load(path), group="gif", exclusive=True)

    async def _load(self, path: Path) -> None:
        loaded = await asyncio.to_thread(load_animation, path)
        if path != self.media_path:
            return
        self._loaded, self._failed = loaded, loaded is None
        self.sync_animation()
        self.refresh()

    def sync_animation(self) -> None:
        """Start or stop the timer to match the app-wide switch (called by it)."""
        wanted = _enabled and self._loaded is not None and self._loaded.animation.frame_count > 1
        if not wanted:
            self._stop_timer()
        elif self._timer is None and self.attached:
            assert self._loaded is not None
            self._schedule(self._loaded.animation.delay_ms())
        self.refresh()

    def _schedule(self, delay_ms: int) -> None:
        self._timer = self.set_timer(max(MIN_DELAY_MS, delay_ms) / 1000, self._step)

    def _step(self) -> None:
        self._timer = None
        loaded = self._loaded
        if not _enabled or loaded is None or not self.attached:
            return
        if not self.visible:
            self._timer = self.set_timer(OFFSCREEN_POLL, self._step)
            return
        delay = loaded.animation.advance()
        self._steps += 1
        self.refresh()
        self._schedule(delay)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_attach(self) -> None:
        """Join the app-wide switch."""
        _live.add(self)
        self.sync_animation()

    def on_detach(self) -> None:
        """Stop the timer and leave the app-wide switch."""
        self._stop_timer()
        _live.discard(self)

    def _placeholder(self) -> Text:
        parts = ["🎞 GIF"]
        if self._dimensions is not None:
            parts.append(f"{self._dimensions[0]}×{self._dimensions[1]}")
        if self._bytes is not None:
            parts.append(describe_size(self._bytes))
        text = Text(" · ".join(parts), style=self.detail_style)
        if self._failed:
            text.append(" (cannot be shown)")
        return text

    def render_body(self) -> RenderableType:
        """The current frame (the first when stopped), or the placeholder; progress."""
        loaded = self._loaded
        body: RenderableType
        if loaded is None:
            body = self._placeholder()
        else:
            body = loaded.animation.current() if _enabled else loaded.still
        return with_progress(body, self.transfer, style=self.detail_style)

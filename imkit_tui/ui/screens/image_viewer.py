"""The full-screen image viewer: the whole picture, scaled to fit, or pixel for pixel.

The full picture is downloaded (progress shown), decoded in a thread and drawn to fit
the screen (redrawn on resize) with the best protocol the terminal speaks (see the
app's ``terminal_graphics``): kitty placeholders as text, like the chat's pictures;
kitty placed directly, sixel or iTerm2 written over a blank area of the same size
after Textual drew it; half blocks elsewhere. Keys: esc closes, s saves, t shows it
1:1: the app is suspended, the picture is written pixel for pixel (its middle, when
larger than the screen), and any key comes back. Without a graphics protocol the half
blocks stay (and the user is told).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from PIL import Image
from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Label, Static

from imkit_tui.core import IMClient, Message, NotConnected, TransferProgress
from imkit_tui.core.transfer import TransferError
from imkit_tui.media.images import ImageError, open_image
from imkit_tui.media.probe import describe_size
from imkit_tui.ui.images import graphics, placement
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.halfblock import HalfBlockImage
from imkit_tui.ui.images.kitty_inline import KittyImages, KittyPicture
from imkit_tui.ui.images.terminal_probe import TerminalGraphics
from imkit_tui.ui.images.written_picture import WrittenPicture

NO_GRAPHICS = "This terminal has no graphics protocol (kitty, sixel or iTerm2): showing half blocks"
"""What the user is told when ``t`` finds no graphics protocol."""

_KEY_WAIT = 600.0
_WRITTEN_OVER = (GraphicsProtocol.KITTY_DIRECT, GraphicsProtocol.SIXEL, GraphicsProtocol.ITERM)


def _stdout_fd() -> int:
    """The real terminal's output, to ask its cell size (-1 when there is none)."""
    stdout = sys.__stdout__
    try:
        return stdout.fileno() if stdout is not None else -1
    except (OSError, ValueError):
        return -1


def read_picture(path: Path) -> Image.Image:
    """Read and decode a picture file (blocking); raises ImageError or OSError."""
    return open_image(path.read_bytes(), name=path.name)


def _drawn(image: Image.Image, width: int, height: int) -> HalfBlockImage:
    """Prepare the half-block picture for a screen area (blocking: Pillow resizes)."""
    drawn = HalfBlockImage(image, max_width=width, max_height=height)
    drawn.lines(width)
    return drawn


def terminal_graphics(app: object) -> TerminalGraphics:
    """How ``app`` draws pictures (half blocks for an app that does not say)."""
    chosen = getattr(app, "terminal_graphics", None)
    return chosen if isinstance(chosen, TerminalGraphics) else TerminalGraphics()


def show_true_resolution(image: Image.Image, chosen: TerminalGraphics) -> GraphicsProtocol:
    """Draw ``image`` pixel for pixel on the real terminal and wait for a key (blocking;
    app suspended).

    Returns the protocol used; with :attr:`GraphicsProtocol.NONE` nothing was drawn.
    """
    stdin, stdout = sys.__stdin__, sys.__stdout__
    protocol = chosen.protocol
    if stdin is None or stdout is None or protocol is GraphicsProtocol.NONE:
        return GraphicsProtocol.NONE
    fd_in, fd_out = stdin.fileno(), stdout.fileno()
    if not (os.isatty(fd_in) and os.isatty(fd_out)):
        return GraphicsProtocol.NONE
    columns, rows = os.get_terminal_size(fd_out)
    rows = max(1, rows - 1)
    sequence = placement.true_size_sequence(
        image,
        protocol,
        columns=columns,
        rows=rows,
        cell_pixels=graphics.terminal_cell_pixels(fd_out),
    )
    hint = "\x1b[7m press any key to go back \x1b[0m"
    _write(fd_out, f"\x1b[2J\x1b[H{chosen.wrap(sequence)}\x1b[{rows + 1};1H{hint}")
    _wait_for_key(fd_in)
    cleanup = ""
    if protocol in (GraphicsProtocol.KITTY, GraphicsProtocol.KITTY_DIRECT):
        cleanup = chosen.wrap(graphics.kitty_delete())
    _write(fd_out, f"{cleanup}\x1b[2J\x1b[H")
    return protocol


def _retrieve(task: asyncio.Future[Path]) -> None:
    """Mark a task's outcome as seen (the screen may be gone before it ends)."""
    if not task.cancelled():
        task.exception()


def _write(fd: int, text: str) -> None:
    data = text.encode()
    while data:
        data = data[os.write(fd, data) :]


def _wait_for_key(fd: int) -> None:
    """Wait (at most ten minutes) for one key press on the terminal ``fd``."""
    try:
        import termios
        import tty
    except ImportError:
        return
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return
    try:
        tty.setraw(fd, termios.TCSANOW)
        ready, _, _ = select.select([fd], [], [], _KEY_WAIT)
        if ready:
            os.read(fd, 64)
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class ImageViewerScreen(Screen[None]):
    """The picture of ``message`` on the whole screen."""

    DEFAULT_CSS = """
    ImageViewerScreen {
        background: $background;
    }
    ImageViewerScreen #viewer-picture {
        width: auto;
        height: auto;
    }
    ImageViewerScreen #viewer-status {
        dock: bottom;
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $surface;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("s", "save", "Save"),
        Binding("t", "true_size", "1:1"),
    ]

    def __init__(self, client: IMClient, message: Message, *, on_save: Callable[[], None]) -> None:
        """View the picture of ``message``; ``on_save`` runs the app's "save" flow."""
        super().__init__()
        self.client = client
        self.message = message
        self._on_save = on_save
        self._image: Image.Image | None = None
        self.path: Path | None = None
        """The local file once downloaded."""
        self.drawn_with = GraphicsProtocol.NONE
        """The protocol the picture is drawn with on the screen (NONE: half blocks)."""

    def compose(self) -> ComposeResult:
        """The picture, centred, and a status line."""
        with Middle(), Center():
            yield Static("Loading…", id="viewer-picture")
            yield WrittenPicture()
        yield Label("esc close · s save · t 1:1", id="viewer-status")

    def on_mount(self) -> None:
        """Start downloading."""
        self.run_worker(self._load(), group="viewer-load", exit_on_error=False)

    @property
    def loaded(self) -> bool:
        """Whether the picture is decoded and drawn."""
        return self._image is not None

    async def _load(self) -> None:
        picture = self.query_one("#viewer-picture", Static)
        with self.client.subscribe() as events:
            task = asyncio.ensure_future(self.client.files.download(self.message))
            task.add_done_callback(_retrieve)
            while not task.done():
                waiter = asyncio.ensure_future(events.next())
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    waiter.cancel()
                    continue
                event = waiter.result()
                if isinstance(event, TransferProgress) and event.message_id == self.message.id:
                    picture.update(
                        f"Downloading… {int(event.fraction * 100)}% of {describe_size(event.total)}"
                    )
        try:
            self.path = task.result()
            self._image = await asyncio.to_thread(read_picture, self.path)
        except (TransferError, NotConnected, TimeoutError, ImageError, OSError) as error:
            reason = "You are offline" if isinstance(error, NotConnected) else str(error)
            picture.update(Text(f"Cannot show this picture: {reason or type(error).__name__}"))
            return
        await self._draw()

    async def _draw(self) -> None:
        if self._image is None:
            return
        width, height = self.size.width, max(1, self.size.height - 1)
        protocol = terminal_graphics(self.app).protocol
        kitty = getattr(self.app, "inline_pictures", None)
        picture = self.query_one("#viewer-picture", Static)
        written = self.query_one(WrittenPicture)
        drawn: RenderableType | None = None
        if protocol is GraphicsProtocol.KITTY and isinstance(kitty, KittyImages):
            drawn = await asyncio.to_thread(
                KittyPicture.from_image,
                self._image,
                key=f"viewer:{self.message.id}",
                images=kitty,
                max_width=width,
                max_height=height,
            )
        elif protocol in _WRITTEN_OVER:
            cell = graphics.terminal_cell_pixels(_stdout_fd())
            columns, rows = graphics.fit_in_cells(
                self._image.size, columns=width, rows=height, cell_pixels=cell
            )
            sequence = await asyncio.to_thread(
                placement.fitted_sequence,
                self._image,
                protocol,
                columns=columns,
                rows=rows,
                cell_pixels=cell,
            )
            self._erase()
            picture.display = False
            write = getattr(self.app, "write_graphics", None)
            written.show(sequence, columns, rows, write if callable(write) else None)
            self.drawn_with = protocol
            return
        else:
            protocol = GraphicsProtocol.NONE
            drawn = await asyncio.to_thread(_drawn, self._image, width, height)
        self._erase()
        picture.display = True
        self.drawn_with = protocol
        picture.update(drawn)

    @property
    def written(self) -> str:
        """The graphics sequence written over the picture's area (sixel, iTerm2, kitty)."""
        return self.query_one(WrittenPicture).sequence

    def _erase(self) -> None:
        """Take the picture written over the screen away (kitty keeps it until told)."""
        if self.drawn_with is GraphicsProtocol.KITTY_DIRECT:
            write = getattr(self.app, "write_graphics", None)
            if callable(write):
                write(graphics.kitty_delete(placement.VIEWER_IMAGE_ID))
        self.query_one(WrittenPicture).clear()
        self.drawn_with = GraphicsProtocol.NONE

    async def on_resize(self, event: Resize) -> None:
        """Fit the picture to the new size."""
        await self._draw()

    def action_close(self) -> None:
        """Back to the chat."""
        self._erase()
        self.dismiss(None)

    def action_save(self) -> None:
        """Save the picture (the app asks where)."""
        self._on_save()

    async def action_true_size(self) -> None:
        """Show the picture pixel for pixel with the terminal's graphics protocol."""
        if self._image is None:
            self.notify("The picture is not loaded yet")
            return
        chosen = terminal_graphics(self.app)
        protocol = GraphicsProtocol.NONE
        if chosen.protocol is not GraphicsProtocol.NONE:
            self._erase()
            try:
                with self.app.suspend():
                    protocol = await asyncio.to_thread(show_true_resolution, self._image, chosen)
            except SuspendNotSupported:
                pass
        if protocol is GraphicsProtocol.NONE:
            self.notify(NO_GRAPHICS, severity="warning")
        await self._draw()

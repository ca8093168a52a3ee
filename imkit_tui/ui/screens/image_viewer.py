"""The full-screen image viewer: the whole picture in half blocks, or at true resolution.

The full picture is downloaded (progress shown), decoded in a thread and drawn in half
blocks to fit the screen (redrawn on resize). Keys: esc closes, s saves, t shows it at
the terminal's true resolution: the app is suspended, the terminal is asked whether it
speaks the kitty or sixel graphics protocol, the picture is written, and any key comes
back. A terminal that speaks neither keeps the half blocks (and says so).
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
from imkit_tui.ui.images import graphics
from imkit_tui.ui.images.halfblock import HalfBlockImage

NO_GRAPHICS = "This terminal has no graphics protocol (kitty or sixel): showing half blocks"
"""What the user is told when ``t`` finds no graphics protocol."""

_KEY_WAIT = 600.0


def read_picture(path: Path) -> Image.Image:
    """Read and decode a picture file (blocking); raises ImageError or OSError."""
    return open_image(path.read_bytes(), name=path.name)


def _drawn(image: Image.Image, width: int, height: int) -> HalfBlockImage:
    """Prepare the half-block picture for a screen area (blocking: Pillow resizes)."""
    drawn = HalfBlockImage(image, max_width=width, max_height=height)
    drawn.lines(width)
    return drawn


def show_true_resolution(image: Image.Image) -> graphics.GraphicsProtocol:
    """Draw ``image`` on the real terminal and wait for a key (blocking; app suspended).

    Returns the protocol used; with :attr:`GraphicsProtocol.NONE` nothing was drawn.
    """
    stdin, stdout = sys.__stdin__, sys.__stdout__
    if stdin is None or stdout is None:
        return graphics.GraphicsProtocol.NONE
    fd_in, fd_out = stdin.fileno(), stdout.fileno()
    protocol = graphics.probe_graphics(fd_in, fd_out)
    if protocol == graphics.GraphicsProtocol.NONE:
        return protocol
    columns, rows = os.get_terminal_size(fd_out)
    cell = graphics.terminal_cell_pixels(fd_out)
    rows = max(1, rows - 1)
    if protocol == graphics.GraphicsProtocol.KITTY:
        fit = graphics.fit_in_cells(image.size, columns=columns, rows=rows, cell_pixels=cell)
        sequence = graphics.kitty_sequence(image, columns=fit[0], rows=fit[1])
    else:
        sequence = graphics.sixel_sequence(
            image, max_width_px=columns * cell[0], max_height_px=rows * cell[1]
        )
    hint = "\x1b[7m press any key to go back \x1b[0m"
    _write(fd_out, f"\x1b[2J\x1b[H{sequence}\x1b[{rows + 1};1H{hint}")
    _wait_for_key(fd_in)
    cleanup = "\x1b_Ga=d\x1b\\" if protocol == graphics.GraphicsProtocol.KITTY else ""
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
        Binding("t", "true_size", "True resolution"),
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

    def compose(self) -> ComposeResult:
        """The picture, centred, and a status line."""
        with Middle(), Center():
            yield Static("Loading…", id="viewer-picture")
        yield Label("esc close · s save · t true resolution", id="viewer-status")

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
            task = asyncio.ensure_future(self.client.download(self.message))
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
        drawn = await asyncio.to_thread(_drawn, self._image, width, height)
        self.query_one("#viewer-picture", Static).update(drawn)

    async def on_resize(self, event: Resize) -> None:
        """Fit the picture to the new size."""
        await self._draw()

    def action_close(self) -> None:
        """Back to the chat."""
        self.dismiss(None)

    def action_save(self) -> None:
        """Save the picture (the app asks where)."""
        self._on_save()

    async def action_true_size(self) -> None:
        """Show the picture at true resolution with kitty or sixel graphics."""
        if self._image is None:
            self.notify("The picture is not loaded yet")
            return
        try:
            with self.app.suspend():
                protocol = await asyncio.to_thread(show_true_resolution, self._image)
        except SuspendNotSupported:
            protocol = graphics.GraphicsProtocol.NONE
        if protocol == graphics.GraphicsProtocol.NONE:
            self.notify(NO_GRAPHICS, severity="warning")

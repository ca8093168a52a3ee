"""The "Save as…" dialog: where to write a message's file, never overwriting silently.

It opens on ``~/Downloads/<name>`` (the home folder when there is no Downloads folder).
A folder is completed with the file's name. When the file exists the dialog says so
and a second Enter replaces it; any edit of the path asks again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from imkit_tui.ui.widgets.composer_input import path_argument


def default_destination(name: str, home: Path | None = None) -> Path:
    """``~/Downloads/<name>``, or ``~/<name>`` without a Downloads folder (blocking: a stat)."""
    base = home if home is not None else Path.home()
    downloads = base / "Downloads"
    return (downloads if downloads.is_dir() else base) / name


def _resolve(path: Path, name: str) -> tuple[Path, bool]:
    """The file to write (a folder gets ``name``) and whether it exists (blocking)."""
    if path.is_dir():
        path = path / name
    return path, path.exists()


class SaveFileScreen(ModalScreen[Path | None]):
    """Asks where to save ``name``; closes with the chosen path, or None."""

    DEFAULT_CSS = """
    SaveFileScreen {
        align: center middle;
    }
    SaveFileScreen > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        background: $surface;
        border: round $primary;
    }
    SaveFileScreen #save-error {
        color: $warning;
        height: auto;
    }
    SaveFileScreen .form-keys {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, name: str, destination: Path) -> None:
        """Save a file called ``name``, proposing ``destination``."""
        super().__init__()
        self._file_name = name
        self._destination = destination
        self._confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        """The title, the path and a line for warnings."""
        with Vertical():
            yield Label(Text(f"Save {self._file_name} as…"))
            yield Input(str(self._destination), id="save-path")
            yield Label("", id="save-error")
            yield Label("Enter save · Esc cancel", classes="form-keys")

    def on_mount(self) -> None:
        """Focus the path."""
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        self._confirmed = None
        self.query_one("#save-error", Label).update("")

    @on(Input.Submitted)
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        warning = self.query_one("#save-error", Label)
        if not event.value.strip():
            warning.update("Type where to save the file")
            return
        try:
            path, exists = await asyncio.to_thread(
                _resolve, path_argument(event.value), self._file_name
            )
        except (OSError, ValueError) as error:
            warning.update(Text(f"Cannot save there: {error}"))
            return
        if exists and path != self._confirmed:
            self._confirmed = path
            warning.update(Text(f"{path} exists. Enter again to replace it, or change the name."))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

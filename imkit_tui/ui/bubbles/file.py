"""The file bubble (``RC:FileMsg``): icon, name, size and the transfer's progress.

::

    📕 quarterly-re…nal-v2.pdf
       1.2 MB
       ▕████░░░░▏ 45%

The icon follows the kind of file (:func:`~imkit_tui.media.probe.file_icon`), a long
name loses its middle (the extension stays), and while a download or upload runs a
progress bar shows. A click opens the file once it is local, else downloads it.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.media.probe import describe_size, file_icon
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, one_line, size_field, text_field
from imkit_tui.ui.bubbles._progress import progress_text
from imkit_tui.ui.bubbles._text import middle_ellipsis
from imkit_tui.ui.bubbles.base import Bubble

MAX_NAME_CELLS = 32
"""Names wider than this lose their middle."""


class FileBubble(Bubble):
    """A file attachment.

    Raises :class:`ValueError` when the content is not a mapping, ``name`` is missing
    or not a string, ``size`` is not a byte count, or ``type``/``fileUrl`` are not
    strings.
    """

    def read_content(self, message: Message) -> None:
        """Read the name, size, type and URL of the file."""
        content = content_of(message.content)
        self._file_name = one_line(text_field(content, "name", required=True) or "", limit=1000)
        if not self._file_name:
            raise ValueError("'name' is blank")
        self._bytes = size_field(content, "size")
        self._mime = text_field(content, "type")
        self._url = text_field(content, "fileUrl")

    @property
    def file_name(self) -> str:
        """The file's name as drawn in full (control characters removed)."""
        return self._file_name

    @property
    def file_size(self) -> int | None:
        """The file's size in bytes, when the content says."""
        return self._bytes

    @property
    def file_url(self) -> str | None:
        """Where the file is on the server."""
        return self._url

    @property
    def icon(self) -> str:
        """The emoji of the file's kind."""
        return file_icon(self._file_name, self._mime)

    def actions(self) -> list[tuple[str, str]]:
        """Open and save once local; download and save before."""
        first = act.OPEN if self.media_path is not None else act.DOWNLOAD
        return act.labelled(first, act.SAVE)

    @property
    def default_action(self) -> str | None:
        """A click opens the file once it is local, else downloads it."""
        return act.OPEN if self.media_path is not None else act.DOWNLOAD

    def render_body(self) -> RenderableType:
        """Icon and name; size; the progress bar while a transfer runs."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self.icon} ")
        text.append(middle_ellipsis(self._file_name, MAX_NAME_CELLS), "bold")
        details = describe_size(self._bytes) if self._bytes is not None else "File"
        text.append(f"\n   {details}", self.detail_style)
        if self.transfer is not None:
            text.append("\n   ")
            text.append_text(progress_text(*self.transfer, style=self.detail_style))
        return text

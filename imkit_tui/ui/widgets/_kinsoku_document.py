"""Private: the composer's soft wrap, with the same line breaks as the bubbles.

Textual's TextArea wraps a draft with its own rule (spaces, then the width), so a
Chinese draft could show "，" at the start of a row. This document wraps as Textual
does, then moves each row break of a line to where `ui/linebreak.py` would put it and,
when a line's number of rows changed, rebuilds the index of rows to lines. Lines with
tabs keep Textual's breaks.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.document._document import Location
from textual.document._wrapped_document import WrappedDocument

from imkit_tui.ui.linebreak import break_offsets


class KinsokuWrappedDocument(WrappedDocument):
    """A WrappedDocument whose rows never start with closing punctuation."""

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        """Wrap every line (see the module)."""
        super().wrap(width, tab_width)
        self._rebreak(range(self.document.line_count))

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        """Wrap the lines an edit touched (see the module)."""
        super().wrap_range(start, old_end, new_end)
        top = min(start[0], new_end[0])
        bottom = min(max(start[0], new_end[0]), self.document.line_count - 1)
        self._rebreak(range(max(0, top), bottom + 1))

    def _rebreak(self, indices: Iterable[int]) -> None:
        width = self._width
        if not width:
            return
        lines = self.document.lines
        rows_changed = False
        for index in indices:
            textual = self._wrap_offsets[index]
            line = lines[index]
            if not textual or "\t" in line:
                continue
            ours = break_offsets(line, width)
            rows_changed |= len(ours) != len(textual)
            self._wrap_offsets[index] = ours
        if rows_changed:
            self._reindex()

    def _reindex(self) -> None:
        """Rebuild which row belongs to which line from the row breaks (a draft has few
        lines: this is cheap)."""
        offset_to_line_info: list[tuple[int, int]] = []
        line_index_to_offsets: list[list[int]] = []
        row = 0
        for line_index, offsets in enumerate(self._wrap_offsets):
            rows = list(range(row, row + len(offsets) + 1))
            line_index_to_offsets.append(rows)
            offset_to_line_info.extend((line_index, section) for section in range(len(rows)))
            row += len(rows)
        self._offset_to_line_info = offset_to_line_info
        self._line_index_to_offsets = line_index_to_offsets

"""How far the router process has got through the outgoing queue's routing rows, with
no I/O: the rows it read (each with its entries), the entries done with (delivered, or
dropped because the queue was full), and the watermark: the highest row id at or below
which every row read is done, so the server may delete those rows. Entry ids carry
their row's id (routed_batch.ENTRY_BITS)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from imkit_tui.server.hooks.routed_batch import ENTRY_BITS


class Progress:
    """The rows read and not yet done with, oldest first, and the marks they give."""

    def __init__(self) -> None:
        self._open: deque[int] = deque()  # row ids read, not all done, in id order
        self._left: dict[int, int] = {}  # entries not done, by row id
        self.cursor = 0
        """The highest row id read."""
        self.watermark = 0
        """Every row read at or below this id is done with."""

    def read(self, row_id: int, entries: int) -> None:
        """Row `row_id` (above every row read before) was read, holding `entries`."""
        if row_id <= self.cursor:
            raise ValueError(f"row {row_id} read after row {self.cursor}")
        self.cursor = row_id
        if entries > 0:
            self._open.append(row_id)
            self._left[row_id] = entries
        self._advance()

    def done(self, entry_ids: Iterable[int]) -> None:
        """The entries `entry_ids` are done with (each told once)."""
        for entry_id in entry_ids:
            row_id = entry_id >> ENTRY_BITS
            left = self._left.get(row_id)
            if left is None:
                raise ValueError(f"entry {entry_id} of a row not read or already done")
            self._left[row_id] = left - 1
        self._advance()

    def _advance(self) -> None:
        while self._open and self._left[self._open[0]] == 0:
            del self._left[self._open.popleft()]
        self.watermark = self._open[0] - 1 if self._open else self.cursor

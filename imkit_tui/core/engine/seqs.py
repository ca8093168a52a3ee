"""Sans-I/O bookkeeping of which seqs of a conversation are held locally.

Pushes are hints and may arrive out of order or not at all; the seq is the truth. A
tracker knows the highest seq up to which everything is held (`synced`), and the seqs
held above it; a gap between the two is what the client pulls.
"""

from __future__ import annotations

from collections.abc import Iterable


class SeqTracker:
    """Contiguous coverage of one conversation's seqs, from `floor` up to `synced`."""

    def __init__(self, synced: int = 0, floor: int = 0) -> None:
        self.synced = synced
        self.floor = floor if synced else 0
        self._above: set[int] = set()
        self._below: set[int] = set()
        """Seqs held below the floor: pushes older than a first page, which a repeat of
        the same push must find held too."""

    def has(self, seq: int) -> bool:
        """True when `seq` is already held (in the contiguous block, above or below it)."""
        return (
            (self.floor <= seq <= self.synced and self.synced > 0)
            or seq in self._above
            or seq in self._below
        )

    def add(self, seqs: Iterable[int]) -> None:
        """Record that `seqs` are now held, and advance `synced` through any that join up."""
        seqs = list(seqs)
        if (
            seqs
            and not self._above
            and seqs[0] == self.synced + 1
            and seqs[-1] == self.synced + len(seqs)
            and seqs == list(range(seqs[0], seqs[-1] + 1))
        ):
            # The common case, a page that follows what is held: no set at all.
            if self.floor == 0:
                self.floor = seqs[0]
            self.synced = seqs[-1]
            return
        for seq in seqs:
            if seq > self.synced:
                self._above.add(seq)
            elif seq < self.floor:
                self._below.add(seq)
        while self.synced + 1 in self._above:
            self._above.remove(self.synced + 1)
            self.synced += 1
            if self.floor == 0:
                self.floor = self.synced

    def restart_at(self, first_seq: int) -> None:
        """Everything before `first_seq` is out of reach (or not wanted): the contiguous
        block starts again at `first_seq`, which must be added next."""
        if first_seq - 1 > self.synced:
            self.synced = first_seq - 1
            self.floor = first_seq
            self._above = {s for s in self._above if s > self.synced}
            self.add(())

    @property
    def highest(self) -> int:
        """The highest seq held."""
        return max(self._above, default=self.synced)

    def gap(self) -> tuple[int, int] | None:
        """The first missing range (inclusive) below the highest held seq, if any."""
        if not self._above:
            return None
        return self.synced + 1, min(self._above) - 1

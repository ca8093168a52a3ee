"""The post-connect sync: the pages it asks for, what each needs pulled, and its cursor.

The server answers a `SyncRequest(since=cursor)` with the conversations changed since,
page by page. For each page the round names the conversations whose messages this
device lacks (to pull up to the seq the server named), and the states to merge after
them (a read mark never lands before what it covers). The cursor advances only when
:meth:`SyncRound.committed` says the page's pulls and states are in the store: a process
killed mid-sync starts again from the last page it finished, never past one it did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from imkit_tui.core.engine.seqs import SeqTracker
from imkit_tui.protocol import ConversationState, ConvRef, SyncReply, SyncRequest

CURSOR_KEY = "sync_cursor"
"""Meta key of the change cursor: the server's `since` for the next sync."""

Wanted = tuple[ConvRef, SeqTracker, int]
"""A conversation, its tracker, and the seq the store must hold up to."""


@dataclass(frozen=True, slots=True)
class SyncPage:
    """What one page of the sync needs, in order: pulls, then the states."""

    wanted: list[Wanted]
    """Conversations with messages to pull first."""
    plain: list[ConversationState]
    """States merged together, in one transaction."""
    with_history: list[ConversationState]
    """States that clear or delete history here: merged one at a time."""


class SyncRound:
    """One post-connect sync, from the stored cursor until the server has no more."""

    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        """The cursor the store holds (what the next request asks from)."""
        self.changed = 0
        """How many conversations the finished pages named."""
        self.done = False
        """True once the last page is committed."""
        self._page: SyncReply | None = None

    def request(self) -> SyncRequest:
        """The next page to ask for."""
        return SyncRequest(since=self.cursor)

    def page(self, reply: SyncReply, trackers: Mapping[ConvRef, SeqTracker]) -> SyncPage:
        """What `reply` needs; `trackers` holds the tracker of each conversation it names."""
        self._page = reply
        states = reply.conversations
        return SyncPage(
            wanted=[
                (s.conv, trackers[s.conv], s.max_seq)
                for s in states
                if trackers[s.conv].synced < s.max_seq
            ],
            plain=[s for s in states if not s.cleared_seq and not s.deleted_seqs],
            with_history=[s for s in states if s.cleared_seq or s.deleted_seqs],
        )

    def committed(self) -> int:
        """The page's pulls and states are stored: the cursor to write now."""
        if self._page is None:
            raise RuntimeError("no page to commit")
        reply, self._page = self._page, None
        self.changed += len(reply.conversations)
        self.cursor = reply.cursor
        self.done = not reply.has_more
        return self.cursor

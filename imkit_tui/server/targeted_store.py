"""Targeted messages in the server store: their audiences, and each member's numbering.

The audiences live in the `targeted` table and, all of them, in memory (they are few
and small): every seq the server sends is translated through them. The cache is touched
by writer jobs (which run on the event loop) and read on the loop, so it needs no lock.
The store's `audiences`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from imkit_tui.server.seq_views import EVERYTHING, SeqView, TargetedMessages


class TargetedStore:
    """The audiences of targeted messages, by conversation key."""

    def __init__(self) -> None:
        self._targeted: dict[str, TargetedMessages] = {}

    def load(self, conn: sqlite3.Connection) -> None:
        """Read every audience into memory (at open, and after a rolled-back batch)."""
        self.forget_all()
        rows = conn.execute(
            "SELECT c.key, t.seq, group_concat(t.user_id, char(31)) FROM targeted t"
            " JOIN conversations c ON c.id = t.conv_id GROUP BY t.conv_id, t.seq"
            " ORDER BY t.conv_id, t.seq"
        )
        for key, seq, users in rows:
            self.remember(key, seq, users.split("\x1f"))

    def forget_all(self) -> None:
        """Drop every audience from memory (before reading them all again)."""
        self._targeted = {}

    def remember(self, conv_key: str, seq: int, audience: Iterable[str]) -> None:
        """Keep in memory the audience of the targeted message at `seq` (seqs of one
        conversation come in ascending order)."""
        self._targeted.setdefault(conv_key, TargetedMessages()).add(seq, audience)

    def record(
        self,
        conn: sqlite3.Connection,
        conv_key: str,
        conv_id: int,
        seq: int,
        audience: Iterable[str],
        change_id: int,
    ) -> None:
        """Store the audience of the targeted message at `seq` and move the audience's
        change id to `change_id`, so their next sync finds it (inside a writer job)."""
        users = sorted(set(audience))
        conn.executemany(
            "INSERT INTO targeted(conv_id, seq, user_id) VALUES (?, ?, ?)",
            [(conv_id, seq, user) for user in users],
        )
        conn.executemany(
            "UPDATE members SET state_change = ? WHERE user_id = ? AND conv_id = ?",
            [(change_id, user, conv_id) for user in users],
        )
        self.remember(conv_key, seq, users)

    def targeted(self, conv_key: str) -> TargetedMessages | None:
        """The targeted messages of a conversation; None when it has none."""
        return self._targeted.get(conv_key)

    def seq_view(self, conv_key: str, user_id: str) -> SeqView:
        """How `user_id` numbers the conversation `conv_key`."""
        targeted = self._targeted.get(conv_key)
        return targeted.view(user_id) if targeted is not None else EVERYTHING

    def audience(self, conv_key: str, seq: int) -> frozenset[str] | None:
        """Who may see the message at `seq`; None when it is for every member."""
        targeted = self._targeted.get(conv_key)
        return targeted.audience(seq) if targeted is not None else None

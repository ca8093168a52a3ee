"""The conversation list read straight from a store file, before the client is loaded.

An app draws its first frame from this (plain :mod:`sqlite3`, no event loop, no thread,
nothing of the client), then makes its :class:`~imkit_tui.core.IMClient`, which opens
the same file, migrates it if need be and replaces these rows with its own.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from imkit_tui.core.models import Conversation
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.sql import CONVERSATION_COLUMNS, conversation_from_row

LIST_QUERY = (
    f"SELECT {CONVERSATION_COLUMNS} FROM conversations"
    " WHERE (last_at > 0 OR draft != '') AND hidden = 0"
    " AND (type != 10 OR channel = '*')"
    " ORDER BY pinned DESC, sort_at DESC LIMIT ? OFFSET ?"
)
"""The conversation list in the service's order (pinned first, then newest): `limit`
rows from `offset`. An ultra group is one row, its list row (channel "*", kept from its
channels' rows by triggers: core/schema.py migration 15), never a row per channel."""


def peek_conversations(path: Path, limit: int) -> list[Conversation]:
    """The first `limit` rows of the conversation list stored at `path`.

    Read only, and only from a store at the current schema: a missing file, another
    schema version or a file that cannot be read gives no rows (the client, once made,
    creates or migrates the store and shows its list). Never writes or creates anything.
    """
    if not path.is_file():
        return []
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error:
        return []
    with contextlib.closing(connection):
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version != len(MIGRATIONS):
                return []
            rows = connection.execute(LIST_QUERY, (limit, 0)).fetchall()
        except sqlite3.Error:
            return []
    return [conversation_from_row(row) for row in rows]

"""What this device knows of its groups: their names, owners and members.

Filled from every group answer of the server (create, invite, rename, info…) and from
the group notices that arrive like messages ("alice renamed the group to …"), so the
conversation list shows a group's name, not its id. Groups first seen in a sync are
asked about once connected (`store.groups.unnamed`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.protocol import ConversationType, MessageRecord

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_NAMED_BY = frozenset({"create", "rename"})
"""Group notice operations whose `targetGroupName` is the group's new name."""


def note_group_names(
    conn: sqlite3.Connection, group_id: str, records: Sequence[MessageRecord]
) -> None:
    """Take the names that group notices among `records` give (inside the job storing
    them); the newest wins."""
    for record in records:
        if record.object_name != catalogue.GROUP_NTF:
            continue
        operation = record.content.get("operation")
        data = record.content.get("data")
        if not isinstance(operation, str) or operation.lower() not in _NAMED_BY:
            continue
        name = data.get("targetGroupName") if isinstance(data, dict) else None
        if isinstance(name, str) and name.strip():
            conn.execute(
                "INSERT INTO groups(id, name, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
                " updated_at = excluded.updated_at WHERE excluded.updated_at >= groups.updated_at",
                (group_id, name.strip()[:64], record.sent_at),
            )


class GroupTable:
    """`store.groups`: group names, owners and members."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._reader = parts.reader

    async def save(
        self, group_id: str, name: str, owner: str, members: Sequence[str], at: int
    ) -> None:
        """Keep a group as the server just described it."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO groups(id, name, owner, members, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET name = excluded.name, owner = excluded.owner,"
                " members = excluded.members, updated_at = MAX(updated_at, excluded.updated_at)",
                (group_id, name, owner, msgspec.json.encode(list(members)).decode(), at),
            )

        await self._writer.submit(job)

    async def members(self, group_id: str) -> list[str]:
        """The members last seen of a group (empty when never asked)."""
        row = await self._reader.fetch_one("SELECT members FROM groups WHERE id = ?", (group_id,))
        members: Any = msgspec.json.decode(row[0]) if row and row[0] else []
        return [m for m in members if isinstance(m, str)]

    async def unnamed(self, limit: int = 50) -> list[str]:
        """Groups in the list whose name this device does not know yet."""
        rows = await self._reader.fetch_all(
            "SELECT target FROM conversations WHERE type = ? AND channel = ''"
            " AND target NOT IN (SELECT id FROM groups) ORDER BY sort_at DESC LIMIT ?",
            (ConversationType.GROUP, limit),
        )
        return [str(row[0]) for row in rows]

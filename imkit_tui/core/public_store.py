"""What this device knows of public service accounts (`store.public`): each account as
the server last described it (profile, menu, whether this user follows it), so the
conversation list names it and the menu bar draws before the server answers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.protocol.public_frames import PublicAccount, account_from_row

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_COLUMNS = "type, id, name, portrait, description, menu, accepts_text, followed"


def note_account_names(
    conn: sqlite3.Connection, conv: ConvRef, records: Sequence[MessageRecord]
) -> None:
    """Take the account's name and picture from the `user` info its messages among
    `records` carry (inside the job storing them); a device that receives them follows
    the account."""
    for record in records:
        user = record.content.get("user") if record.sender == conv.target else None
        name = user.get("name") if isinstance(user, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        portrait = user.get("portrait") if isinstance(user, dict) else ""
        conn.execute(
            "INSERT INTO public_accounts(type, id, name, portrait, followed)"
            " VALUES (?, ?, ?, ?, 1) ON CONFLICT(type, id) DO UPDATE"
            " SET name = excluded.name, portrait = excluded.portrait",
            (
                conv.type,
                conv.target,
                name.strip()[:64],
                portrait if isinstance(portrait, str) else "",
            ),
        )


class PublicTable:
    """`store.public`: public service accounts as last seen."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._reader = parts.reader

    async def save(self, accounts: Sequence[PublicAccount]) -> None:
        """Keep accounts as the server just described them."""
        rows = [
            (
                a.type,
                a.id,
                a.name,
                a.portrait,
                a.description,
                msgspec.json.encode(a.menu).decode(),
                int(a.accepts_text),
                int(a.followed),
            )
            for a in accounts
        ]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                f"INSERT OR REPLACE INTO public_accounts({_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        if rows:
            await self._writer.submit(job)

    async def get(self, account_type: int, account_id: str) -> PublicAccount | None:
        """The account as last seen, or None."""
        row = await self._reader.fetch_one(
            f"SELECT {_COLUMNS} FROM public_accounts WHERE type = ? AND id = ?",
            (account_type, account_id),
        )
        return account_from_row(row, bool(row[7])) if row is not None else None

    async def unknown(self, limit: int = 50) -> list[ConvRef]:
        """Accounts' conversations in the list that this device knows nothing of."""
        rows = await self._reader.fetch_all(
            "SELECT type, target FROM conversations c WHERE type IN (7, 8) AND channel = ''"
            " AND NOT EXISTS (SELECT 1 FROM public_accounts p"
            " WHERE p.type = c.type AND p.id = c.target) ORDER BY sort_at DESC LIMIT ?",
            (limit,),
        )
        return [ConvRef(type=int(row[0]), target=str(row[1])) for row in rows]

    async def followed(self) -> list[PublicAccount]:
        """The accounts this user follows, as last seen, by name."""
        rows = await self._reader.fetch_all(
            f"SELECT {_COLUMNS} FROM public_accounts WHERE followed = 1"
            " ORDER BY name COLLATE NOCASE, id"
        )
        return [account_from_row(row, bool(row[7])) for row in rows]

"""`store.profiles`: people's display names and portrait URLs, as the server last gave
them, with when this device asked (so a stale one is asked again)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_CHUNK = 500
"""Ids per SQL statement (below SQLite's variable limit)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A person as shown: display name and portrait URL ("" when not set).

    `updated_at` is the server's time of the last change (newer wins), `fetched_at` the
    local time this device last heard from the server about them."""

    user_id: str
    name: str = ""
    portrait: str = ""
    updated_at: int = 0
    fetched_at: int = 0


class ProfileTable:
    """Reads and writes of cached profiles."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._reader = parts.reader

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, Profile]:
        """The cached profiles of `user_ids` that are stored, in as few reads as fit."""
        found: dict[str, Profile] = {}
        ids = list(dict.fromkeys(user_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._reader.fetch_all(
                "SELECT user_id, name, portrait, updated_at, fetched_at FROM profiles"
                f" WHERE user_id IN ({marks})",
                tuple(chunk),
            )
            for u, n, p, t, f in rows:
                found[str(u)] = Profile(str(u), str(n), str(p), int(t), int(f))
        return found

    async def save(self, profiles: Sequence[Profile]) -> None:
        """Keep `profiles`; a stored one changed later on the server stays (its
        `fetched_at` still moves on)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO profiles(user_id, name, portrait, updated_at, fetched_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET"
                " name = CASE WHEN excluded.updated_at >= profiles.updated_at"
                " THEN excluded.name ELSE profiles.name END,"
                " portrait = CASE WHEN excluded.updated_at >= profiles.updated_at"
                " THEN excluded.portrait ELSE profiles.portrait END,"
                " updated_at = MAX(profiles.updated_at, excluded.updated_at),"
                " fetched_at = MAX(profiles.fetched_at, excluded.fetched_at)",
                [(p.user_id, p.name, p.portrait, p.updated_at, p.fetched_at) for p in profiles],
            )

        await self._writer.submit(job)

    async def named(self, text: str, limit: int = 50) -> list[str]:
        """Users whose cached name contains `text` (case-insensitive), by name."""
        rows = await self._reader.fetch_all(
            "SELECT user_id FROM profiles WHERE name != '' AND instr(lower(name), lower(?)) > 0"
            " ORDER BY name LIMIT ?",
            (text, limit),
        )
        return [str(row[0]) for row in rows]

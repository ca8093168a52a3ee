"""Who may read a stored file: the messages that point at it, and its uploader for a while.

A file is readable only by members of a conversation holding a live message that names
it (its `imkit-media:` URL anywhere in the content), as that member sees the
conversation: not a targeted message hidden from them, not below the history they
cleared, not after they left. Its uploader may also read it (and send it) for
`GRANT_SECONDS` after the upload, which is how a sender's message comes to name it.

A recall or retention drops a message's references; a file nothing references any more
and no uploader still holds is garbage (`unreferenced`). Knowing a file's sha256 alone
gives nothing: not the bytes, and not whether the server holds it. A file that is
someone's portrait (`user_profiles.portrait`, set by one who could read it) is readable
by everyone, as a portrait is shown to everyone, and is not garbage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from imkit_tui.protocol.media import MEDIA_SCHEME
from imkit_tui.storage import BatchWriter, Database

GRANT_SECONDS = 24 * 60 * 60
"""How long an uploader may use a file no message names yet."""

Audience = Callable[[str, int], frozenset[str] | None]
"""(conversation key, seq) -> who may see that message (None: every member)."""


def record_refs(conn: sqlite3.Connection, conv_id: int, seq: int, files: Iterable[str]) -> None:
    """Inside a writer job: note the files (sha256) a just-stored message names."""
    conn.executemany(
        "INSERT OR IGNORE INTO file_refs(sha256, conv_id, seq) VALUES (?, ?, ?)",
        [(digest, conv_id, seq) for digest in files],
    )


def drop_refs(conn: sqlite3.Connection, conv_id: int, seq: int) -> None:
    """Inside a writer job: the message at (conv_id, seq) names no file any more."""
    conn.execute("DELETE FROM file_refs WHERE conv_id = ? AND seq = ?", (conv_id, seq))


def may_name_files(content_json: str) -> bool:
    """A cheap first look: can this content name a stored file at all?"""
    return MEDIA_SCHEME in content_json


class FileRefs:
    """Reads and writes of the file references and upload grants (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database, audience: Audience) -> None:
        self._writer = writer
        self._reader = reader
        self._audience = audience

    async def grant_upload(self, user_id: str, sha256: str, now_ms: int) -> None:
        """`user_id` holds the bytes of `sha256` (uploaded, or proved by uploading)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO file_grants(user_id, sha256, granted_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, sha256) DO UPDATE SET granted_at = excluded.granted_at",
                (user_id, sha256, now_ms),
            )

        await self._writer.submit(job)

    async def may_read(self, user_id: str, sha256: str, now_ms: int) -> bool:
        """Whether `user_id` may download (or send a message naming) `sha256`."""
        granted = await self._reader.fetch_one(
            "SELECT 1 FROM file_grants WHERE user_id = ? AND sha256 = ? AND granted_at >= ?",
            (user_id, sha256, now_ms - GRANT_SECONDS * 1000),
        )
        if granted is not None:
            return True
        rows = await self._reader.fetch_all(
            "SELECT c.key, r.seq FROM file_refs r"
            " JOIN members m ON m.conv_id = r.conv_id AND m.user_id = ?"
            " JOIN conversations c ON c.id = r.conv_id"
            " WHERE r.sha256 = ? AND r.seq > m.cleared_seq"
            " AND (m.left_seq IS NULL OR r.seq <= m.left_seq)",
            (user_id, sha256),
        )
        for key, seq in rows:
            audience = self._audience(str(key), int(seq))
            if audience is None or user_id in audience:
                return True
        return await self._portrait(sha256)

    async def _portrait(self, sha256: str) -> bool:
        """Whether the file is someone's portrait (readable by all)."""
        row = await self._reader.fetch_one(
            "SELECT 1 FROM user_profiles WHERE portrait = ? LIMIT 1", (MEDIA_SCHEME + sha256,)
        )
        return row is not None

    async def unreferenced(self, candidates: Iterable[str], now_ms: int) -> list[str]:
        """Those of `candidates` that no message names and no uploader still holds."""
        cutoff = now_ms - GRANT_SECONDS * 1000
        await self._writer.submit(
            lambda conn: conn.execute("DELETE FROM file_grants WHERE granted_at < ?", (cutoff,))
        )
        garbage = []
        for sha256 in candidates:
            held = await self._reader.fetch_one(
                "SELECT 1 FROM file_refs WHERE sha256 = ?"
                " UNION ALL SELECT 1 FROM file_grants WHERE sha256 = ? LIMIT 1",
                (sha256, sha256),
            )
            if held is None and not await self._portrait(sha256):
                garbage.append(sha256)
        return garbage

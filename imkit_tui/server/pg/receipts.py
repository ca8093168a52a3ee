"""Group read receipts and file access on PostgreSQL (as server/receipt_store.py and
server/file_refs.py): which messages receipts were asked for and who read them; who may
read which stored file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

from imkit_tui.protocol.media import MEDIA_SCHEME
from imkit_tui.server.file_refs import GRANT_SECONDS
from imkit_tui.server.pg.audiences import PgAudiences
from imkit_tui.server.pg.writer import PgWriter
from imkit_tui.server.receipt_store import StoredRef, unread_split


class PgReceipts:
    """Receipt requests and the readers of each requested message."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool, audiences: PgAudiences) -> None:
        self._writer = writer
        self._pool = pool
        self._audiences = audiences

    async def find_messages(self, conv_id: int, uids: Sequence[str]) -> list[StoredRef]:
        """The messages of a conversation with these server ids (unknown ones left out)."""
        if not uids:
            return []
        rows = await self._pool.fetch(
            "SELECT uid, seq, sender, sent_at FROM messages WHERE conv_id = $1 AND uid = ANY($2)",
            conv_id,
            list(uids),
        )
        return [StoredRef(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def request(self, conv_id: int, seq: int) -> None:
        """Note that the sender of the message at `seq` asked for read receipts."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO receipt_requests(conv_id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                conv_id,
                seq,
            )

        await self._writer.submit(job)

    async def requested(self, conv_id: int, seq: int) -> bool:
        """Whether receipts were asked for the message at `seq`."""
        found = await self._pool.fetchval(
            "SELECT 1 FROM receipt_requests WHERE conv_id = $1 AND seq = $2", conv_id, seq
        )
        return found is not None

    async def record_reads(
        self, conv_id: int, reader: str, seqs: Sequence[int], now_ms: int
    ) -> list[int]:
        """Record that `reader` read these messages; the seqs newly recorded (only
        messages receipts were asked for count)."""

        async def job(conn: asyncpg.Connection) -> list[int]:
            rows = await conn.fetch(
                "INSERT INTO receipts(conv_id, seq, reader, read_at)"
                " SELECT conv_id, seq, $2, $3 FROM receipt_requests"
                " WHERE conv_id = $1 AND seq = ANY($4::bigint[])"
                " ON CONFLICT DO NOTHING RETURNING seq",
                conv_id,
                reader,
                now_ms,
                list(seqs),
            )
            new = {int(r[0]) for r in rows}
            return [seq for seq in dict.fromkeys(seqs) if seq in new]

        return await self._writer.submit(job)

    async def readers(
        self, conv_id: int, conv_key: str, messages: Sequence[StoredRef]
    ) -> dict[str, tuple[list[str], list[str]]]:
        """For each message receipts were asked for (by uid): who read it and who has
        not yet, among the members who can see it."""
        if not messages:
            return {}
        await self._audiences.catch_up(self._pool)
        seqs = [m.seq for m in messages]
        requested = {
            int(r[0])
            for r in await self._pool.fetch(
                "SELECT seq FROM receipt_requests WHERE conv_id = $1 AND seq = ANY($2::bigint[])",
                conv_id,
                seqs,
            )
        }
        readers: dict[int, set[str]] = {}
        for seq, reader in await self._pool.fetch(
            "SELECT seq, reader FROM receipts WHERE conv_id = $1 AND seq = ANY($2::bigint[])",
            conv_id,
            seqs,
        ):
            readers.setdefault(int(seq), set()).add(str(reader))
        members = await self._pool.fetch(
            "SELECT user_id, joined_at FROM members WHERE conv_id = $1 AND left_seq IS NULL"
            " ORDER BY joined_at, user_id",
            conv_id,
        )
        return unread_split(
            messages,
            requested,
            readers,
            [(str(u), int(j)) for u, j in members],
            lambda seq: self._audiences.memory.audience(conv_key, seq),
        )


class PgFiles:
    """File references and upload grants (who may read which stored file)."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool, audiences: PgAudiences) -> None:
        self._writer = writer
        self._pool = pool
        self._audiences = audiences

    async def grant_upload(self, user_id: str, sha256: str, now_ms: int) -> None:
        """`user_id` holds the bytes of `sha256` (uploaded, or proved by uploading)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO file_grants(user_id, sha256, granted_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id, sha256) DO UPDATE SET granted_at = excluded.granted_at",
                user_id,
                sha256,
                now_ms,
            )

        await self._writer.submit(job)

    async def may_read(self, user_id: str, sha256: str, now_ms: int) -> bool:
        """Whether `user_id` may download (or send a message naming) `sha256`."""
        granted = await self._pool.fetchval(
            "SELECT 1 FROM file_grants WHERE user_id = $1 AND sha256 = $2 AND granted_at >= $3",
            user_id,
            sha256,
            now_ms - GRANT_SECONDS * 1000,
        )
        if granted is not None:
            return True
        await self._audiences.catch_up(self._pool)
        rows = await self._pool.fetch(
            "SELECT c.key, r.seq FROM file_refs r"
            " JOIN members m ON m.conv_id = r.conv_id AND m.user_id = $1"
            " JOIN conversations c ON c.id = r.conv_id"
            " WHERE r.sha256 = $2 AND r.seq > m.cleared_seq"
            " AND (m.left_seq IS NULL OR r.seq <= m.left_seq)",
            user_id,
            sha256,
        )
        for key, seq in rows:
            audience = self._audiences.memory.audience(str(key), int(seq))
            if audience is None or user_id in audience:
                return True
        return await self._portrait(sha256)

    async def _portrait(self, sha256: str) -> bool:
        """Whether the file is someone's portrait (readable by all, never garbage)."""
        found = await self._pool.fetchval(
            "SELECT 1 FROM user_profiles WHERE portrait = $1 LIMIT 1", MEDIA_SCHEME + sha256
        )
        return found is not None

    async def unreferenced(self, candidates: Iterable[str], now_ms: int) -> list[str]:
        """Those of `candidates` that no message names and no uploader still holds."""
        cutoff = now_ms - GRANT_SECONDS * 1000

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM file_grants WHERE granted_at < $1", cutoff)

        await self._writer.submit(job)
        wanted = list(candidates)
        held = await self._pool.fetch(
            "SELECT sha256 FROM file_refs WHERE sha256 = ANY($1)"
            " UNION SELECT sha256 FROM file_grants WHERE sha256 = ANY($1)"
            " UNION SELECT substr(portrait, $2) FROM user_profiles WHERE portrait = ANY($3)",
            wanted,
            len(MEDIA_SCHEME) + 1,
            [MEDIA_SCHEME + sha256 for sha256 in wanted],
        )
        kept = {str(r[0]) for r in held}
        return [sha256 for sha256 in wanted if sha256 not in kept]

"""Groups on PostgreSQL (as server/group_store.py and server/group_gags.py): membership
in the members table, names, invitations, who may speak, when timed gags end. A group's
members and voices are kept in memory while the node hears the store's notices
(pg/notices.py): a change on any node drops them everywhere when it commits."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from imkit_tui.server.group_store import GroupFull, GroupRecord, Voices, group_key
from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.writer import PgWriter, affected
from imkit_tui.server.store_records import ChangeIds

_KIND = "group"
_MEMBERS = (
    "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
    " WHERE c.key = $1 AND m.left_seq IS NULL"
)


class PgGroups:
    """Group membership and settings (the store's `groups`)."""

    def __init__(
        self, writer: PgWriter, pool: asyncpg.Pool, changes: ChangeIds, notices: Notices
    ) -> None:
        self._writer = writer
        self._pool = pool
        self._changes = changes
        self._notices = notices
        self._members: dict[str, list[str]] = {}
        self._voices: dict[str, Voices] = {}
        notices.on(_KIND, self.forget)

    def forget(self, group_id: str) -> None:
        """Drop what is kept of a group ("": of every group)."""
        if group_id:
            self._members.pop(group_id, None)
            self._voices.pop(group_id, None)
        else:
            self._members.clear()
            self._voices.clear()

    async def _changed(self, conn: asyncpg.Connection, group_id: str) -> None:
        """Inside a write: every node drops what it keeps of the group at the commit."""
        await notify(conn, self._notices.channel, _KIND, group_id)

    def _changed_here(self, group_id: str) -> None:
        """After a committed change here: this node knows at once."""
        self._notices.changed_here()
        self.forget(group_id)

    async def members(self, group_id: str) -> list[str] | None:
        """The members of a group (None when there is no such group); kept."""
        if self._notices.listening and group_id in self._members:
            return self._members[group_id]
        generation = self._notices.generation
        rows = await self._pool.fetch(
            f"{_MEMBERS} ORDER BY m.joined_at, m.user_id", group_key(group_id)
        )
        members = [str(row[0]) for row in rows]
        if not members:
            return None
        if self._notices.listening and self._notices.generation == generation:
            self._members[group_id] = members
        return members

    async def get(self, group_id: str) -> GroupRecord | None:
        """The group as it is now, or None when there is no such group."""
        row = await self._pool.fetchrow("SELECT name, owner FROM groups WHERE id = $1", group_id)
        if row is None:
            return None
        members = await self._pool.fetch(
            f"{_MEMBERS} ORDER BY m.user_id <> $2, m.joined_at, m.user_id",
            group_key(group_id),
            row[1],
        )
        voices = await self.voices(group_id)
        assert voices is not None
        return GroupRecord(group_id, str(row[0]), str(row[1]), [str(m[0]) for m in members], voices)

    async def add_invitations(
        self, group_id: str, user_ids: Sequence[str], inviter: str, now_ms: int
    ) -> list[str]:
        """Note that `inviter` invited these users; returns those not invited already."""

        async def job(conn: asyncpg.Connection) -> list[str]:
            rows = await conn.fetch(
                "INSERT INTO group_invitations(group_id, user_id, inviter, invited_at)"
                " SELECT $1, u, $3, $4 FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)"
                " ORDER BY n ON CONFLICT DO NOTHING RETURNING user_id",
                group_id,
                list(dict.fromkeys(user_ids)),
                inviter,
                now_ms,
            )
            new = {str(r[0]) for r in rows}
            return [u for u in dict.fromkeys(user_ids) if u in new]

        return await self._writer.submit(job)

    async def take_invitation(self, group_id: str, user_id: str) -> str | None:
        """Use up `user_id`'s invitation to the group; who invited them, or None."""

        async def job(conn: asyncpg.Connection) -> str | None:
            found = await conn.fetchval(
                "DELETE FROM group_invitations WHERE group_id = $1 AND user_id = $2"
                " RETURNING inviter",
                group_id,
                user_id,
            )
            return str(found) if found is not None else None

        return await self._writer.submit(job)

    async def left_at(self, group_id: str, user_id: str) -> int | None:
        """The seq at which `user_id` left the group (None: a member, or never one)."""
        found = await self._pool.fetchval(
            "SELECT m.left_seq FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = $1 AND m.user_id = $2",
            group_key(group_id),
            user_id,
        )
        return int(found) if found is not None else None

    async def voices(self, group_id: str) -> Voices | None:
        """Who may speak in a group (None when there is no such group); kept."""
        if self._notices.listening and group_id in self._voices:
            return self._voices[group_id]
        generation = self._notices.generation
        row = await self._pool.fetchrow(
            "SELECT owner, all_muted FROM groups WHERE id = $1", group_id
        )
        if row is None:
            return None
        rows = await self._pool.fetch(
            "SELECT kind, user_id FROM group_voices WHERE group_id = $1", group_id
        )
        voices = Voices(
            owner=str(row[0]),
            all_muted=bool(row[1]),
            muted=frozenset(str(r[1]) for r in rows if r[0] == "muted"),
            speakers=frozenset(str(r[1]) for r in rows if r[0] == "speaker"),
        )
        if self._notices.listening and self._notices.generation == generation:
            self._voices[group_id] = voices
        return voices

    async def set_voices(self, group_id: str, kind: str, user_ids: Sequence[str], on: bool) -> None:
        """Mute or unmute members (kind "muted"), or make them speakers while all are
        muted, or not (kind "speaker")."""

        async def job(conn: asyncpg.Connection) -> None:
            if on:
                await conn.execute(
                    "INSERT INTO group_voices(group_id, user_id, kind)"
                    " SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING",
                    group_id,
                    list(user_ids),
                    kind,
                )
            else:
                await conn.execute(
                    "DELETE FROM group_voices WHERE group_id = $1 AND user_id = ANY($2)"
                    " AND kind = $3",
                    group_id,
                    list(user_ids),
                    kind,
                )
            await self._changed(conn, group_id)

        await self._writer.submit(job)
        self._changed_here(group_id)

    async def set_all_muted(self, group_id: str, on: bool) -> None:
        """Mute everyone but the owner and the speakers, or lift that."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("UPDATE groups SET all_muted = $1 WHERE id = $2", int(on), group_id)
            await self._changed(conn, group_id)

        await self._writer.submit(job)
        self._changed_here(group_id)

    async def add_members(
        self,
        group_id: str,
        user_ids: Sequence[str],
        now_ms: int,
        *,
        with_history: bool = False,
        limit: int | None = None,
    ) -> list[str]:
        """Add users to a group; returns those who were not members yet (as
        GroupStore.add_members; GroupFull, adding nobody, past `limit`)."""

        async def job(conn: asyncpg.Connection) -> list[str]:
            row = await conn.fetchrow(
                "SELECT id, max_seq FROM conversations WHERE key = $1 FOR UPDATE",
                group_key(group_id),
            )
            if row is None:
                return []
            wanted = list(dict.fromkeys(user_ids))
            if limit is not None:
                counted = await conn.fetchrow(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE user_id = ANY($2)) FROM members"
                    " WHERE conv_id = $1 AND left_seq IS NULL",
                    row[0],
                    wanted,
                )
                if counted[0] + len(wanted) - counted[1] > limit:
                    raise GroupFull(limit)
            added: list[str] = []
            for user_id in wanted:
                status = await conn.execute(
                    "INSERT INTO members"
                    "(user_id, conv_id, target, joined_at, cleared_seq, read_seq)"
                    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, conv_id) DO UPDATE"
                    " SET left_seq = NULL, joined_at = excluded.joined_at,"
                    " cleared_seq = excluded.cleared_seq, read_seq = excluded.read_seq"
                    " WHERE members.left_seq IS NOT NULL",
                    user_id,
                    row[0],
                    group_id,
                    now_ms,
                    0 if with_history else row[1],
                    row[1],
                )
                if affected(status):
                    added.append(user_id)
            if added:
                await self._changed(conn, group_id)
            return added

        added: list[str] = await self._writer.submit(job)
        self._changed_here(group_id)
        return added

    async def remove_members(self, group_id: str, user_ids: Sequence[str]) -> list[str]:
        """Take users out of a group (they keep what came before: the seq they left at);
        returns those who were members."""

        async def job(conn: asyncpg.Connection) -> list[str]:
            change_id = self._changes.next()
            rows = await conn.fetch(
                "UPDATE members SET state_change = $1,"
                " left_seq = (SELECT max_seq FROM conversations WHERE id = members.conv_id)"
                " WHERE user_id = ANY($2) AND left_seq IS NULL AND conv_id ="
                " (SELECT id FROM conversations WHERE key = $3) RETURNING user_id",
                change_id,
                list(user_ids),
                group_key(group_id),
            )
            gone = {str(r[0]) for r in rows}
            if gone:
                await self._changed(conn, group_id)
            return [u for u in dict.fromkeys(user_ids) if u in gone]

        removed: list[str] = await self._writer.submit(job)
        self._changed_here(group_id)
        return removed

    async def rename(self, group_id: str, name: str) -> None:
        """Give a group a new name."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("UPDATE groups SET name = $1 WHERE id = $2", name, group_id)

        await self._writer.submit(job)


class PgGagEnds:
    """When the gags of group members end (as server/group_gags.py)."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def set_ends(self, group_id: str, user_ids: Sequence[str], ends_at: int) -> None:
        """The gags of `user_ids` in `group_id` end at `ends_at` (0: never)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO group_gag_ends(group_id, user_id, ends_at)"
                " SELECT $1, unnest($2::text[]), $3"
                " ON CONFLICT (group_id, user_id) DO UPDATE SET ends_at = excluded.ends_at",
                group_id,
                list(dict.fromkeys(user_ids)),
                ends_at,
            )

        await self._writer.submit(job)

    async def forget(self, group_id: str, user_ids: Sequence[str]) -> None:
        """The gags of `user_ids` in `group_id` were lifted: no end to keep."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "DELETE FROM group_gag_ends WHERE group_id = $1 AND user_id = ANY($2)",
                group_id,
                list(user_ids),
            )

        await self._writer.submit(job)

    async def ends(self, group_id: str) -> dict[str, int]:
        """The end of each gag kept for `group_id`, by user."""
        rows = await self._pool.fetch(
            "SELECT user_id, ends_at FROM group_gag_ends WHERE group_id = $1", group_id
        )
        return {str(u): int(e) for u, e in rows}

    async def ended(self, now_ms: int, limit: int = 500) -> list[tuple[str, str]]:
        """(group, user) of gags that ended by `now_ms`, oldest end first."""
        rows = await self._pool.fetch(
            "SELECT group_id, user_id FROM group_gag_ends"
            " WHERE ends_at > 0 AND ends_at <= $1 ORDER BY ends_at LIMIT $2",
            now_ms,
            limit,
        )
        return [(str(g), str(u)) for g, u in rows]

    async def all_muted_groups(self) -> list[str]:
        """The groups muted as a whole, by id."""
        rows = await self._pool.fetch("SELECT id FROM groups WHERE all_muted = 1 ORDER BY id")
        return [str(row[0]) for row in rows]

"""Who may message whom, on PostgreSQL (as server/privacy_store.py): block lists,
whitelists and whitelist mode. Rules are kept in memory per receiver while the node
hears the store's notices (pg/notices.py): a change on any node drops them everywhere
when it commits."""

from __future__ import annotations

import asyncpg

from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.writer import PgWriter
from imkit_tui.server.privacy_store import (
    ALLOWED,
    BLOCKED,
    PrivacyChange,
    PrivacyRules,
    PrivacyUpdate,
    RulesCache,
    changed_rules,
    rules_of,
)

_KIND = "privacy"
_RULES_SQL = (
    "SELECT kind, other FROM privacy_lists WHERE user_id = $1"
    " UNION ALL SELECT 0, whitelist_mode::text FROM privacy_modes WHERE user_id = $1"
)


def _rules(rows: list[asyncpg.Record]) -> PrivacyRules:
    return rules_of([(int(kind), other if kind else int(other)) for kind, other in rows])


class PgPrivacy:
    """Block lists, whitelists and whitelist mode per user (the store's `privacy`)."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool, notices: Notices) -> None:
        self._writer = writer
        self._pool = pool
        self._notices = notices
        self._kept = RulesCache()
        notices.on(_KIND, self._forget)

    def _forget(self, user_id: str) -> None:
        if user_id:
            self._kept.rules.pop(user_id, None)
        else:
            self._kept.rules.clear()

    def cached(self, user_id: str) -> PrivacyRules | None:
        """The rules of `user_id` if they are in memory (and may be trusted)."""
        return self._kept.rules.get(user_id) if self._notices.listening else None

    async def rules(self, user_id: str) -> PrivacyRules:
        """The rules of `user_id`: from memory, else read (and kept, unless something
        changed meanwhile)."""
        found = self.cached(user_id)
        if found is not None:
            return found
        generation = self._notices.generation
        rules = _rules(await self._pool.fetch(_RULES_SQL, user_id))
        if self._notices.listening and self._notices.generation == generation:
            self._kept.put(user_id, rules)
        return rules

    async def update(self, user_id: str, change: PrivacyChange, now_ms: int) -> PrivacyUpdate:
        """Apply `change` to the rules of `user_id` in one transaction."""

        async def job(conn: asyncpg.Connection) -> PrivacyUpdate:
            before = _rules(await conn.fetch(_RULES_SQL, user_id))
            after = changed_rules(before, change)
            if after is None:
                return PrivacyUpdate(before, changed=False, too_long=True)
            for kind, old, new in (
                (BLOCKED, before.blocked, after.blocked),
                (ALLOWED, before.allowed, after.allowed),
            ):
                await conn.execute(
                    "INSERT INTO privacy_lists(user_id, kind, other, added_at)"
                    " SELECT $1, $2, unnest($3::text[]), $4",
                    user_id,
                    kind,
                    sorted(new - old),
                    now_ms,
                )
                await conn.execute(
                    "DELETE FROM privacy_lists WHERE user_id = $1 AND kind = $2"
                    " AND other = ANY($3)",
                    user_id,
                    kind,
                    sorted(old - new),
                )
            if after.whitelist_mode != before.whitelist_mode:
                await conn.execute(
                    "INSERT INTO privacy_modes(user_id, whitelist_mode) VALUES ($1, $2)"
                    " ON CONFLICT (user_id) DO UPDATE SET whitelist_mode = excluded.whitelist_mode",
                    user_id,
                    int(after.whitelist_mode),
                )
            if after != before:
                await notify(conn, self._notices.channel, _KIND, user_id)
            return PrivacyUpdate(after, changed=after != before)

        update = await self._writer.submit(job)
        if update.changed:  # as on SQLite: this node knows at once
            self._notices.changed_here()
            self._kept.put(user_id, update.rules)
        return update

"""Who may message whom, in the server store: block lists, whitelists, whitelist mode.

Every private send asks whether its receiver accepts the sender, so the answer is kept
in memory: one immutable :class:`PrivacyRules` per receiver, loaded on the first send
to them and replaced (never patched) after each committed change. The store's
`privacy`: changes run as jobs on its writer, loads on its reader.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.storage import BatchWriter, Database

BLOCKED = 1
"""`privacy_lists.kind` of a user the owner blocks."""
ALLOWED = 2
"""`privacy_lists.kind` of a user on the owner's whitelist."""

MAX_LIST = 3000
"""The most users one user may block, and the most on one whitelist."""

CACHED_USERS = 100_000
"""Receivers whose rules are kept in memory; the oldest loaded is dropped beyond it."""


@dataclass(frozen=True, slots=True)
class PrivacyRules:
    """Whom a user blocks, whom they allow, and whether only the allowed may write.

    In whitelist mode the block list is not consulted: the whitelist replaces it.
    """

    blocked: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    whitelist_mode: bool = False

    def refuses(self, sender: str) -> bool:
        """Whether a message from `sender` must be refused."""
        if self.whitelist_mode:
            return sender not in self.allowed
        return sender in self.blocked


OPEN = PrivacyRules()
"""The rules of a user who never blocked anyone: everyone may write."""


@dataclass(frozen=True, slots=True)
class PrivacyChange:
    """What an UpdatePrivacy asks for. Applied in this order: block, unblock, allow,
    disallow (so a user both blocked and unblocked at once ends up unblocked); a
    `whitelist_mode` of None leaves the mode as it is."""

    block: Sequence[str] = ()
    unblock: Sequence[str] = ()
    allow: Sequence[str] = ()
    disallow: Sequence[str] = ()
    whitelist_mode: bool | None = None

    @property
    def empty(self) -> bool:
        """True when nothing is asked for (the request only reads the state)."""
        lists = (self.block, self.unblock, self.allow, self.disallow)
        return not any(lists) and self.whitelist_mode is None


@dataclass(frozen=True, slots=True)
class PrivacyUpdate:
    """The outcome of a change: the rules now, and whether they moved.

    `too_long` means a list would have passed MAX_LIST: nothing was written.
    """

    rules: PrivacyRules
    changed: bool
    too_long: bool = False


class RulesCache:
    """Rules by user, with a generation that every committed change moves on."""

    def __init__(self) -> None:
        self.rules: dict[str, PrivacyRules] = {}
        self.generation = 0

    def put(self, user_id: str, rules: PrivacyRules) -> None:
        """Keep `rules` for `user_id` (the oldest kept is dropped past CACHED_USERS)."""
        self.rules.pop(user_id, None)
        if len(self.rules) >= CACHED_USERS:
            del self.rules[next(iter(self.rules))]
        self.rules[user_id] = rules


def rules_of(rows: Sequence[Sequence[object]]) -> PrivacyRules:
    """Rules from rows of (kind, other); kind 0 carries the mode in `other`."""
    blocked = frozenset(str(other) for kind, other in rows if kind == BLOCKED)
    allowed = frozenset(str(other) for kind, other in rows if kind == ALLOWED)
    mode = any(kind == 0 and bool(other) for kind, other in rows)
    if not (blocked or allowed or mode):
        return OPEN
    return PrivacyRules(blocked, allowed, mode)


def changed_rules(before: PrivacyRules, change: PrivacyChange) -> PrivacyRules | None:
    """The rules after applying `change` to `before`; None when a list would pass
    MAX_LIST (then nothing may be written)."""
    blocked = (before.blocked | set(change.block)) - set(change.unblock)
    allowed = (before.allowed | set(change.allow)) - set(change.disallow)
    mode = before.whitelist_mode if change.whitelist_mode is None else change.whitelist_mode
    if len(blocked) > MAX_LIST or len(allowed) > MAX_LIST:
        return None
    return PrivacyRules(frozenset(blocked), frozenset(allowed), mode)


_RULES_SQL = (
    "SELECT kind, other FROM privacy_lists WHERE user_id = ?"
    " UNION ALL SELECT 0, whitelist_mode FROM privacy_modes WHERE user_id = ?"
)


class PrivacyStore:
    """Block lists, whitelists and whitelist mode per user (the store's `privacy`):
    writes as jobs of the store's writer, reads on its reader, rules kept in memory."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader
        self._privacy_cache = RulesCache()

    def cached(self, user_id: str) -> PrivacyRules | None:
        """The rules of `user_id` if they are in memory (no I/O: the send path's check)."""
        return self._privacy_cache.rules.get(user_id)

    async def rules(self, user_id: str) -> PrivacyRules:
        """The rules of `user_id`: from memory, else read once and kept."""
        cache = self._privacy_cache
        found = cache.rules.get(user_id)
        if found is not None:
            return found
        generation = cache.generation
        rows = await self._reader.fetch_all(_RULES_SQL, (user_id, user_id))
        rules = rules_of(rows)
        # A change committed while we read may be older than what we read: keep
        # nothing then, the next send reads again.
        if cache.generation == generation:
            cache.put(user_id, rules)
        return rules

    async def update(self, user_id: str, change: PrivacyChange, now_ms: int) -> PrivacyUpdate:
        """Apply `change` to the rules of `user_id` in one transaction.

        Returns the new rules once committed; the cached rules are replaced then.
        """

        def job(conn: sqlite3.Connection) -> PrivacyUpdate:
            before = rules_of(conn.execute(_RULES_SQL, (user_id, user_id)).fetchall())
            after = changed_rules(before, change)
            if after is None:
                return PrivacyUpdate(before, changed=False, too_long=True)
            for kind, old, new in (
                (BLOCKED, before.blocked, after.blocked),
                (ALLOWED, before.allowed, after.allowed),
            ):
                conn.executemany(
                    "INSERT INTO privacy_lists(user_id, kind, other, added_at) VALUES (?, ?, ?, ?)",
                    [(user_id, kind, other, now_ms) for other in sorted(new - old)],
                )
                conn.executemany(
                    "DELETE FROM privacy_lists WHERE user_id = ? AND kind = ? AND other = ?",
                    [(user_id, kind, other) for other in sorted(old - new)],
                )
            if after.whitelist_mode != before.whitelist_mode:
                conn.execute(
                    "INSERT INTO privacy_modes(user_id, whitelist_mode) VALUES (?, ?)"
                    " ON CONFLICT(user_id) DO UPDATE SET whitelist_mode = excluded.whitelist_mode",
                    (user_id, int(after.whitelist_mode)),
                )
            return PrivacyUpdate(after, changed=after != before)

        update = await self._writer.submit(job)
        if update.changed:
            cache = self._privacy_cache
            cache.generation += 1
            cache.put(user_id, update.rules)
        return update

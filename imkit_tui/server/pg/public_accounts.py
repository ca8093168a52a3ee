"""Public service accounts on PostgreSQL (as server/public_service/accounts.py): the
accounts in `public_accounts`, their followers as members of the account's conversation.

Every follower of an account is kept in memory once read (an article's route names them
all), with the account's `followers_change`: the change id of the last follow, unfollow
or creation, taken in that write's transaction. Before the kept list is used it is held
against the stored change (one lookup by key): a follow or an unfollow committed on any
node, before the lookup, is never missed. A change notice (pg/notices.py) would reach the
other nodes a little after the commit, and a post through one of them in between would
go to one who had left, or miss one who had just come.
"""

from __future__ import annotations

import asyncpg
import msgspec

from imkit_tui.protocol.public_frames import MenuItem, PublicAccount, account_from_row
from imkit_tui.server.pg.writer import PgWriter, affected
from imkit_tui.server.public_service.accounts import AccountSpec, account_key, like_anywhere
from imkit_tui.server.store_records import ChangeIds

_COLUMNS = "type, id, name, portrait, description, menu, accepts_text"
_FOLLOWERS = (
    "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
    " WHERE c.key = $1 AND m.left_seq IS NULL"
)
_CHANGE = "SELECT followers_change FROM public_accounts WHERE type = $1 AND id = $2"
# Followers leave at the conversation's last seq (they keep what came before).
_LEAVE = (
    "UPDATE members SET state_change = $1,"
    " left_seq = (SELECT max_seq FROM conversations WHERE id = members.conv_id)"
    " WHERE left_seq IS NULL AND conv_id = (SELECT id FROM conversations WHERE key = $2)"
)
_TAKE_CHANGE = "UPDATE public_accounts SET followers_change = $1 WHERE type = $2 AND id = $3"


class PgPublicAccounts:
    """The accounts and their followers (the store's `public`): jobs on the store's
    writer, reads on the pool."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool, changes: ChangeIds) -> None:
        self._writer = writer
        self._pool = pool
        self._changes = changes
        # Every follower of an account, with the account's followers_change when read.
        self._followers: dict[tuple[int, str], tuple[int, list[str]]] = {}

    async def save(self, spec: AccountSpec, now_ms: int) -> bool:
        """Create the account, or update it when it exists; True when it was created.
        Its conversation must exist already (the store's `ensure_conversation`)."""
        menu = msgspec.json.encode(list(spec.menu)).decode()

        async def job(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                "UPDATE public_accounts SET name = $1, portrait = $2, description = $3,"
                " menu = $4, accepts_text = $5 WHERE type = $6 AND id = $7",
                spec.name,
                spec.portrait,
                spec.description,
                menu,
                int(spec.accepts_text),
                spec.type,
                spec.id,
            )
            if affected(status):
                return False
            await conn.execute(
                f"INSERT INTO public_accounts({_COLUMNS}, created_at, followers_change)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                spec.type,
                spec.id,
                spec.name,
                spec.portrait,
                spec.description,
                menu,
                int(spec.accepts_text),
                now_ms,
                self._changes.next(),  # never the change of an account of the same id before
            )
            return True

        return await self._writer.submit(job)

    async def set_menu(self, account_type: int, account_id: str, menu: list[MenuItem]) -> bool:
        """Replace an account's menu; False when there is no such account."""
        encoded = msgspec.json.encode(menu).decode()

        async def job(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                "UPDATE public_accounts SET menu = $1 WHERE type = $2 AND id = $3",
                encoded,
                account_type,
                account_id,
            )
            return bool(affected(status))

        return await self._writer.submit(job)

    async def delete(self, account_type: int, account_id: str) -> bool:
        """Remove an account; its followers leave its conversation (they keep what they
        read). False when there was none."""

        async def job(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                "DELETE FROM public_accounts WHERE type = $1 AND id = $2", account_type, account_id
            )
            if not affected(status):
                return False
            key = account_key(account_type, account_id)
            await conn.execute(_LEAVE, self._changes.next(), key)
            return True

        deleted: bool = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return deleted

    async def get(
        self, account_type: int, account_id: str, user_id: str = ""
    ) -> PublicAccount | None:
        """The account (`followed`: whether `user_id` follows it), or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM public_accounts WHERE type = $1 AND id = $2",
            account_type,
            account_id,
        )
        if row is None:
            return None
        followed = bool(user_id) and await self.follows(user_id, account_type, account_id)
        return account_from_row(row, followed)

    async def follows(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Whether `user_id` follows the account now."""
        found = await self._pool.fetchval(
            f"{_FOLLOWERS} AND m.user_id = $2",
            account_key(account_type, account_id),
            user_id,
        )
        return found is not None

    async def search(
        self, user_id: str, keyword: str, account_type: int, followed_only: bool, limit: int
    ) -> list[PublicAccount]:
        """Accounts whose id is `keyword` or whose name holds it (any case; "" all), of
        `account_type` (0: both kinds), only those `user_id` follows when `followed_only`;
        at most `limit`, by name. Each says whether `user_id` follows it."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS}, followed FROM (SELECT a.*, EXISTS (SELECT 1 FROM members m"
            " JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = a.type::text || ':' || a.id AND m.user_id = $1"
            " AND m.left_seq IS NULL) AS followed FROM public_accounts a"
            " WHERE ($2 = 0 OR a.type = $2) AND (a.id = $3 OR a.name ILIKE $4 ESCAPE '\\')) s"
            " WHERE NOT $5 OR followed ORDER BY lower(name), id LIMIT $6",
            user_id,
            account_type,
            keyword,
            like_anywhere(keyword),
            followed_only,
            limit,
        )
        return [account_from_row(row, bool(row[7])) for row in rows]

    async def follow(self, user_id: str, account_type: int, account_id: str, now_ms: int) -> bool:
        """Make `user_id` a follower (reading from the last seq on); False when they
        followed already."""

        async def job(conn: asyncpg.Connection) -> bool:
            row = await conn.fetchrow(
                "SELECT id, max_seq FROM conversations WHERE key = $1 FOR UPDATE",
                account_key(account_type, account_id),
            )
            if row is None:
                return False
            change_id = self._changes.next()
            # A device that was away learns of the follow on its next sync (state_change).
            status = await conn.execute(
                "INSERT INTO members(user_id, conv_id, target, joined_at, cleared_seq,"
                " read_seq, state_change) VALUES ($1, $2, $3, $4, $5, $5, $6)"
                " ON CONFLICT (user_id, conv_id) DO UPDATE SET left_seq = NULL,"
                " joined_at = excluded.joined_at, cleared_seq = excluded.cleared_seq,"
                " read_seq = excluded.read_seq, state_change = excluded.state_change"
                " WHERE members.left_seq IS NOT NULL",
                user_id,
                row[0],
                account_id,
                now_ms,
                row[1],
                change_id,
            )
            if not affected(status):
                return False
            await conn.execute(_TAKE_CHANGE, change_id, account_type, account_id)
            return True

        followed: bool = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return followed

    async def unfollow(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Stop `user_id` following; False when they did not."""

        async def job(conn: asyncpg.Connection) -> bool:
            change_id = self._changes.next()
            key = account_key(account_type, account_id)
            status = await conn.execute(f"{_LEAVE} AND user_id = $3", change_id, key, user_id)
            if not affected(status):
                return False
            await conn.execute(_TAKE_CHANGE, change_id, account_type, account_id)
            return True

        left: bool = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return left

    async def followers(
        self, account_type: int, account_id: str, after: str = "", limit: int = 0
    ) -> list[str]:
        """The account's followers by id, those after `after` (`limit` 0: all; kept in
        memory once read, and used while no follow or unfollow was stored since)."""
        key = account_key(account_type, account_id)
        if after or limit:
            rows = await self._pool.fetch(
                f"{_FOLLOWERS} AND m.user_id > $2 ORDER BY m.user_id LIMIT $3",
                key,
                after,
                limit or None,
            )
            return [str(row[0]) for row in rows]
        account = (account_type, account_id)
        kept = self._followers.get(account)
        if kept is not None and await self._pool.fetchval(_CHANGE, *account) == kept[0]:
            return kept[1]
        # The change and the list in one statement: one snapshot of both.
        row = await self._pool.fetchrow(
            f"SELECT ({_CHANGE}), ARRAY(SELECT m.user_id FROM members m"
            " JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = $3 AND m.left_seq IS NULL ORDER BY m.user_id)",
            *account,
            key,
        )
        found = [str(user) for user in row[1]]
        if row[0] is None:  # no such account (any more): nothing to keep
            self._followers.pop(account, None)
        else:
            self._followers[account] = (int(row[0]), found)
        return found

    async def follower_count(self, account_type: int, account_id: str) -> int:
        """How many follow the account now."""
        found = await self._pool.fetchval(
            "SELECT COUNT(*) FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = $1 AND m.left_seq IS NULL",
            account_key(account_type, account_id),
        )
        return int(found)

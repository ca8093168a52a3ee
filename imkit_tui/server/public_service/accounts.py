"""Public service accounts in the server store: the accounts, and who follows them.

Following is membership of the account's conversation (the members table the other
conversations use), so an article is stored once and every follower's sync, pull and
unread count follow from it: a new follower starts read and cleared at the conversation's
last seq (they read what is posted from then on); one who unfollows keeps the row with the
seq they left at, as someone who left a group does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import msgspec

from imkit_tui.protocol.public_frames import MenuItem, PublicAccount, account_from_row
from imkit_tui.server.group_store import join_conversation, leave_conversation
from imkit_tui.server.store_records import ChangeIds
from imkit_tui.storage import BatchWriter, Database

_COLUMNS = "type, id, name, portrait, description, menu, accepts_text"


def like_anywhere(keyword: str) -> str:
    """A LIKE pattern matching `keyword` anywhere, its wildcards taken as characters."""
    return "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def account_key(account_type: int, account_id: str) -> str:
    """The storage key of an account's conversation."""
    return f"{account_type}:{account_id}"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What the app's backend says an account is (creating or updating it)."""

    type: int
    id: str
    name: str
    portrait: str = ""
    description: str = ""
    menu: tuple[MenuItem, ...] = ()
    accepts_text: bool = False


class PublicAccounts:
    """The accounts and their followers (the store's `public`): jobs on the store's
    writer, reads on its reader."""

    def __init__(self, writer: BatchWriter, reader: Database, changes: ChangeIds) -> None:
        self._writer = writer
        self._reader = reader
        self._changes = changes
        # Every follower of an account, once read (an article's route names them all);
        # forgotten when someone follows or unfollows it, or it goes.
        self._followers: dict[tuple[int, str], list[str]] = {}

    async def save(self, spec: AccountSpec, now_ms: int) -> bool:
        """Create the account, or update it when it exists; True when it was created.
        Its conversation must exist already (the store's `ensure_conversation`)."""
        menu = msgspec.json.encode(list(spec.menu)).decode()

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE public_accounts SET name = ?, portrait = ?, description = ?, menu = ?,"
                " accepts_text = ? WHERE type = ? AND id = ?",
                (
                    spec.name,
                    spec.portrait,
                    spec.description,
                    menu,
                    int(spec.accepts_text),
                    spec.type,
                    spec.id,
                ),
            )
            if cursor.rowcount:
                return False
            conn.execute(
                f"INSERT INTO public_accounts({_COLUMNS}, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.type,
                    spec.id,
                    spec.name,
                    spec.portrait,
                    spec.description,
                    menu,
                    int(spec.accepts_text),
                    now_ms,
                ),
            )
            return True

        return await self._writer.submit(job)

    async def set_menu(self, account_type: int, account_id: str, menu: list[MenuItem]) -> bool:
        """Replace an account's menu; False when there is no such account."""
        encoded = msgspec.json.encode(menu).decode()

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE public_accounts SET menu = ? WHERE type = ? AND id = ?",
                (encoded, account_type, account_id),
            )
            return bool(cursor.rowcount)

        return await self._writer.submit(job)

    async def delete(self, account_type: int, account_id: str) -> bool:
        """Remove an account; its followers leave its conversation (they keep what they
        read). False when there was none."""
        key = account_key(account_type, account_id)

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM public_accounts WHERE type = ? AND id = ?", (account_type, account_id)
            )
            if not cursor.rowcount:
                return False
            followers = [
                str(row[0])
                for row in conn.execute(
                    "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
                    " WHERE c.key = ? AND m.left_seq IS NULL",
                    (key,),
                )
            ]
            leave_conversation(conn, key, followers, self._changes.next())
            return True

        deleted = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return deleted

    async def get(
        self, account_type: int, account_id: str, user_id: str = ""
    ) -> PublicAccount | None:
        """The account (`followed`: whether `user_id` follows it), or None."""
        row = await self._reader.fetch_one(
            f"SELECT {_COLUMNS} FROM public_accounts WHERE type = ? AND id = ?",
            (account_type, account_id),
        )
        if row is None:
            return None
        followed = bool(user_id) and await self.follows(user_id, account_type, account_id)
        return account_from_row(row, followed)

    async def follows(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Whether `user_id` follows the account now."""
        row = await self._reader.fetch_one(
            "SELECT 1 FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.user_id = ? AND m.left_seq IS NULL",
            (account_key(account_type, account_id), user_id),
        )
        return row is not None

    async def search(
        self, user_id: str, keyword: str, account_type: int, followed_only: bool, limit: int
    ) -> list[PublicAccount]:
        """Accounts whose id is `keyword` or whose name holds it (any case; "" all), of
        `account_type` (0: both kinds), only those `user_id` follows when `followed_only`;
        at most `limit`, by name. Each says whether `user_id` follows it."""
        pattern = like_anywhere(keyword)
        rows = await self._reader.fetch_all(
            f"SELECT {', '.join('a.' + c for c in _COLUMNS.split(', '))},"
            " EXISTS (SELECT 1 FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = a.type || ':' || a.id AND m.user_id = ? AND m.left_seq IS NULL)"
            " AS followed FROM public_accounts a"
            " WHERE (? = 0 OR a.type = ?) AND (a.id = ? OR a.name LIKE ? ESCAPE '\\')"
            " AND (? = 0 OR followed) ORDER BY a.name COLLATE NOCASE, a.id LIMIT ?",
            (user_id, account_type, account_type, keyword, pattern, int(followed_only), limit),
        )
        return [account_from_row(row, bool(row[7])) for row in rows]

    async def follow(self, user_id: str, account_type: int, account_id: str, now_ms: int) -> bool:
        """Make `user_id` a follower (reading from the last seq on); False when they
        followed already."""
        key = account_key(account_type, account_id)

        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT id, max_seq FROM conversations WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return False
            if not join_conversation(conn, row[0], row[1], account_id, [user_id], now_ms):
                return False
            # A device that was away learns of the follow on its next sync.
            conn.execute(
                "UPDATE members SET state_change = ? WHERE user_id = ? AND conv_id = ?",
                (self._changes.next(), user_id, row[0]),
            )
            return True

        followed = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return followed

    async def unfollow(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Stop `user_id` following; False when they did not."""
        key = account_key(account_type, account_id)

        def job(conn: sqlite3.Connection) -> bool:
            return bool(leave_conversation(conn, key, [user_id], self._changes.next()))

        left = await self._writer.submit(job)
        self._followers.pop((account_type, account_id), None)
        return left

    async def followers(
        self, account_type: int, account_id: str, after: str = "", limit: int = 0
    ) -> list[str]:
        """The account's followers by id, those after `after` (`limit` 0: all; kept in
        memory once read)."""
        whole = not after and not limit
        if whole and (cached := self._followers.get((account_type, account_id))) is not None:
            return cached
        rows = await self._reader.fetch_all(
            "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.left_seq IS NULL AND m.user_id > ?"
            " ORDER BY m.user_id LIMIT ?",
            (account_key(account_type, account_id), after, limit or -1),
        )
        found = [str(row[0]) for row in rows]
        if whole:
            self._followers[(account_type, account_id)] = found
        return found

    async def follower_count(self, account_type: int, account_id: str) -> int:
        """How many follow the account now."""
        row = await self._reader.fetch_one(
            "SELECT COUNT(*) FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.left_seq IS NULL",
            (account_key(account_type, account_id),),
        )
        return int(row[0]) if row else 0

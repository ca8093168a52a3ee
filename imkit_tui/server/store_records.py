"""The store's records: what an append returns, a conversation's members, a page of a
pull, and the keys conversations are stored under."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from imkit_tui import messages
from imkit_tui.protocol import MessageRecord

if TYPE_CHECKING:
    import asyncpg


@dataclass(slots=True)
class ConvCache:
    """What the writer keeps of a conversation between appends: its id, last seq and
    when its last message came."""

    id: int
    max_seq: int
    last_at: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """The result of appending a message: its place in the conversation.

    `duplicate` is True when the sender had already sent this client id; the fields are
    then those of the original message and nothing new was stored. `elsewhere` is True
    when that original is in another conversation: the client id was reused, not
    retried, and the send must be refused. `audience` is who may see it when it is
    targeted (None: every member).
    """

    uid: str
    seq: int
    sent_at: int
    duplicate: bool
    audience: frozenset[str] | None = None
    elsewhere: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a conversation and how they see it (`target`)."""

    user_id: str
    target: str


@dataclass(frozen=True, slots=True)
class Page:
    """A page of messages from a pull, with the retention floor."""

    messages: list[MessageRecord]
    has_more: bool
    floor_seq: int


class AfterStoring(Protocol):
    """More to write in a message's storing transaction, on either store: called with
    the transaction's connection, the conversation id, the message's seq and sent_at
    (a NewMessage's `then`)."""

    def on_sqlite(self, conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        """Write it in the SQLite store's transaction open on `conn`."""
        ...

    async def on_postgres(
        self, conn: asyncpg.Connection, conv_id: int, seq: int, sent_at: int
    ) -> None:
        """Write it in the PostgreSQL store's transaction open on `conn`."""
        ...


class AlsoStoring(Protocol):
    """What else must be committed with a message, on either store: called with the
    transaction's connection and the message as stored (a NewMessage's `also`)."""

    def on_sqlite(self, conn: sqlite3.Connection, stored: StoredMessage) -> None:
        """Write it in the SQLite store's transaction open on `conn`."""
        ...

    async def on_postgres(self, conn: asyncpg.Connection, stored: StoredMessage) -> None:
        """Write it in the PostgreSQL store's transaction open on `conn`."""
        ...


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to append: its conversation (type, key, and the members it gets when
    this message creates it), sender, client id, type, content (JSON) and time;
    `audience` makes it targeted (only those users see it), `files` are the sha256 of
    the stored files its content names (server/file_refs.py). `also` writes what must
    be committed with it (the row that routes it to the app's backend), in the same
    transaction, once it is stored (never for a retry of a stored message). `then`
    likewise writes what its conversation's kind keeps beside it: an ultra group's
    counted row, or an edit's effect on its original. Both are store-neutral steps
    (AfterStoring, AlsoStoring): each store calls its own half."""

    conv_type: int
    conv_key: str
    members: Sequence[Member]
    sender: str
    cmid: str
    object_name: str
    content_json: str
    now_ms: int
    audience: frozenset[str] | None = None
    files: Iterable[str] = ()
    then: AfterStoring | None = None
    also: AlsoStoring | None = None

    def with_also(self, also: AlsoStoring) -> NewMessage:
        """This message with `also` to commit beside it (dataclasses.replace, without
        its introspection: this is on every routed message's path)."""
        return NewMessage(
            self.conv_type,
            self.conv_key,
            self.members,
            self.sender,
            self.cmid,
            self.object_name,
            self.content_json,
            self.now_ms,
            self.audience,
            self.files,
            self.then,
            also,
        )


def duplicate_of(row: Sequence[Any], conv_id: int) -> StoredMessage:
    """The message first stored under a client id, from its (uid, seq, sent_at,
    conv_id): `elsewhere` when that is not conversation `conv_id`."""
    return StoredMessage(
        uid=row[0], seq=row[1], sent_at=row[2], duplicate=True, elsewhere=row[3] != conv_id
    )


def recall_due(row: Sequence[Any] | None, sender: str, now_ms: int, max_age_ms: int) -> bool:
    """Whether the message of `row` (sender, object_name, sent_at, ...) is to be recalled
    now; False when it was already (a retry). LookupError when it is not `sender`'s,
    TimeoutError past `max_age_ms` (0: no limit)."""
    if row is None or row[0] != sender:
        raise LookupError("no such message of yours here")
    if row[1] == messages.RECALL_NTF:
        return False
    if max_age_ms and now_ms - row[2] > max_age_ms:
        raise TimeoutError("too late to recall this message")
    return True


def system_key(user_id: str) -> str:
    """The storage key of `user_id`'s system conversation."""
    return f"6:{user_id}"


def private_key(a: str, b: str) -> str:
    """The storage key of the private conversation between users `a` and `b`."""
    low, high = sorted((a, b))
    return f"1:{len(low)}:{low}:{high}"


class ChangeIds:
    """The store's change counter: every committed change a device must learn of in its
    next sync (a message, a member's state) takes the next id, inside its writer job."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        """The next change id (taken: the counter moves on)."""
        self.last += 1
        return self.last

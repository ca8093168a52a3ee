"""Several processes of one user on one store: who sends which outbox row, and which
stored rows another process wrote.

The app and `imkit send` (or two apps) may open the same local store. Each open store
has an owner id (its process id and a random part). A message is claimed by the store
that queued it, with a lease; only the claimer sends it, so no row is sent twice and
the process waiting for an ack is the one that gets it. The claimer renews its leases
each time its outbox looks for work and gives them up when it closes. A row whose
claimer closed, died (its process is gone) or let the lease run out (offline for the
whole lease) is taken by the next outbox that looks.

A message pushed to two processes is stored by the first; the second finds it stored
and must still show it (:func:`written_elsewhere`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import sys
from collections.abc import Sequence

from imkit_tui.core.engine.outbox import LEASE_MS as LEASE_MS  # re-exported
from imkit_tui.core.models import Message
from imkit_tui.core.sql import select_messages
from imkit_tui.storage import BatchWriter

# The literal 0 (SENDING) in every query lets SQLite use the partial index
# messages_outbox: each statement reads the outbox rows only, never the history.


def new_owner() -> str:
    """An owner id for a store opened by this process: "<pid>:<random>"."""
    return f"{os.getpid()}:{secrets.token_hex(4)}"


def claim_row(conn: sqlite3.Connection, message_id: int, owner: str, now_ms: int) -> None:
    """Claim a row for `owner` (inside a writer job)."""
    conn.execute(
        "UPDATE messages SET claimed_by = ?, claim_until = ? WHERE id = ?",
        (owner, now_ms + LEASE_MS, message_id),
    )


def process_running(pid_text: str) -> bool:
    """False when no process `pid_text` runs any more (True when unsure: on Windows,
    where signal 0 would stop the process, or when it is not ours to signal)."""
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid() or sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


class OutboxClaims:
    """The claims of one open store (its `owner`) on the shared outbox."""

    def __init__(self, writer: BatchWriter, owner: str) -> None:
        """Claims are taken through `writer` (in write transactions) as `owner`."""
        self._writer = writer
        self.owner = owner

    async def next(self, now_ms: int) -> Message | None:
        """Renew this owner's leases and claim the oldest row it may send, if any.

        That is a row it holds already, or one whose claim lapsed: released, expired,
        or held by a process that is gone.
        """
        owner = self.owner

        def job(conn: sqlite3.Connection) -> Message | None:
            until = now_ms + LEASE_MS
            conn.execute(
                "UPDATE messages SET claim_until = ? WHERE status = 0 AND claimed_by = ?",
                (until, owner),
            )
            held = conn.execute(
                "SELECT DISTINCT claimed_by FROM messages"
                " WHERE status = 0 AND claimed_by NOT IN ('', ?) AND claim_until >= ?",
                (owner, now_ms),
            ).fetchall()
            for (other,) in held:
                if not process_running(str(other).partition(":")[0]):
                    conn.execute(
                        "UPDATE messages SET claimed_by = '', claim_until = 0"
                        " WHERE status = 0 AND claimed_by = ?",
                        (other,),
                    )
            found = select_messages(
                conn,
                "WHERE m.status = 0 AND (m.claimed_by = ? OR m.claim_until < ?)"
                " ORDER BY m.id LIMIT 1",
                (owner, now_ms),
            )
            if not found:
                return None
            claim_row(conn, found[0].id, owner, now_ms)
            return found[0]

        return await self._writer.submit(job)

    async def release(self) -> None:
        """Give up every claim of this owner (the store is closing): the rows left in
        the outbox go out with the next process of this user that connects."""
        owner = self.owner

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE messages SET claimed_by = '', claim_until = 0"
                " WHERE status = 0 AND claimed_by = ?",
                (owner,),
            )

        await self._writer.submit(job)


def written_elsewhere(
    conn: sqlite3.Connection,
    conv_id: int,
    owner: str,
    opened_after: int,
    *,
    seqs: Sequence[int] = (),
    confirmed_ids: Sequence[int] = (),
    up_to_seq: int = 0,
) -> list[Message]:
    """The rows of a conversation another process of this user wrote since this store
    opened (message id above `opened_after`, not queued by `owner`), among: those
    stored at `seqs`, those of `confirmed_ids` (own messages just confirmed from what the
    server sent), and every stored one up to `up_to_seq`.

    Named rows are looked up by their keys; "every row up to a seq" reads only the rows
    above `opened_after` (the rowid range), so the cost never follows the history.
    """
    if up_to_seq:
        # Every row above the opening, up to a seq: the rowid range ("+" keeps SQLite
        # off the conversation index, whose range would be the history).
        return select_messages(
            conn,
            "WHERE m.id > ? AND +m.conv_id = ? AND m.claimed_by != ? AND m.seq IS NOT NULL"
            " AND m.seq <= ? ORDER BY m.id",
            (opened_after, conv_id, owner, up_to_seq),
        )
    # Named rows: looked up by their keys, whatever the session stored since.
    wanted = []
    params: list[object] = [opened_after, owner]
    if seqs:
        wanted.append(f"(m.conv_id = ? AND m.seq IN ({','.join('?' * len(seqs))}))")
        params += [conv_id, *seqs]
    if confirmed_ids:
        wanted.append(f"m.id IN ({','.join('?' * len(confirmed_ids))})")
        params += confirmed_ids
    if not wanted:
        return []
    return select_messages(
        conn,
        "WHERE m.id > ? AND m.claimed_by != ? AND m.seq IS NOT NULL"
        f" AND ({' OR '.join(wanted)}) ORDER BY m.id",
        tuple(params),
    )

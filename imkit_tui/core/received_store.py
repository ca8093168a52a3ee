"""Storing what the server sent: received records, their coverage, and what they change.

A page of a pull, or a burst of pushes, is written by one writer job per conversation;
several conversations' jobs can share one transaction (:meth:`ReceivedRows.job_for_many`),
so catching up costs one commit per page of work, not one per message. Every statement
here finds its rows by a key (conversation and seq, server id, client id, local id):
none reads a conversation's history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core.edit_store import apply_edits
from imkit_tui.core.group_store import note_group_names
from imkit_tui.core.history_store import apply_recalls
from imkit_tui.core.list_preview import SILENT_IN_LIST, list_sender
from imkit_tui.core.message_files import LOCAL_PATH, wire_content
from imkit_tui.core.models import Direction, Message, SendStatus
from imkit_tui.core.outbox_claims import written_elsewhere
from imkit_tui.core.public_store import note_account_names
from imkit_tui.core.receipts import note_requests
from imkit_tui.core.sql import (
    confirm,
    count_new_unread,
    recipients_column,
    select_messages,
    set_preview,
)
from imkit_tui.core.ultra_store import level_mentions
from imkit_tui.protocol import ConversationType, ConvRef, MessageRecord, encode_content
from imkit_tui.protocol.public_frames import PUBLIC_TYPES

MENTIONABLE = frozenset({ConversationType.GROUP, ConversationType.ULTRA_GROUP})
"""Conversation types in which a message can @mention this user (as in RongCloud)."""

_INSERT_MESSAGES = (
    "INSERT OR IGNORE INTO messages(conv_id, seq, uid, cmid, sender, direction, status,"
    " counted, object_name, content, sent_at, recipients, mentioned) VALUES "
)
"""Stores message rows (the VALUES follow); a repeat (same seq, server id or client id)
is ignored."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which seqs of a conversation are known to be local: floor_seq..synced_seq."""

    synced_seq: int
    floor_seq: int
    max_seq: int


@dataclass(slots=True)
class ReceivedBatch:
    """What storing a batch of received records changed."""

    added: list[Message] = field(default_factory=list)
    present: list[Message] = field(default_factory=list)
    """Messages another process of this user stored (or queued) since this store was
    opened: stored already, but new to this process."""
    confirmed: list[Message] = field(default_factory=list)
    recalled: list[Message] = field(default_factory=list)
    """Messages already here that recall commands in the batch turned into notices."""
    receipts_asked: list[Message] = field(default_factory=list)
    """Messages already here whose senders now ask for read receipts."""
    edited: list[Message] = field(default_factory=list)
    """Messages here whose content edits in the batch replaced (ultra groups)."""


@dataclass(frozen=True, slots=True)
class Received:
    """Records of one conversation to store, and the coverage they bring it to."""

    conv: ConvRef
    records: Sequence[MessageRecord]
    coverage: Coverage


ConversationId = Callable[[sqlite3.Connection, ConvRef], int]
"""Finds (or creates) a conversation's local id inside a writer job."""


class ReceivedRows:
    """Builds the writer jobs that store received records for one user's store."""

    def __init__(
        self, user_id: str, conversation_id: ConversationId, owner: str, opened_after: int
    ) -> None:
        """`owner` is the store's outbox owner and `opened_after` the highest message id
        when it opened: rows above it another process wrote are news here."""
        self._user_id = user_id
        self._conversation_id = conversation_id
        self._owner = owner
        self.opened_after = opened_after

    def job(self, received: Received) -> Callable[[sqlite3.Connection], ReceivedBatch]:
        """The writer job storing `received` (duplicates ignored). Records of ours still
        in the outbox here (their ack was lost) are confirmed instead of added twice.
        Decoding and summaries are done here, before the job, off the transaction."""
        conv, records, coverage = received.conv, received.records, received.coverage
        if len({r.seq for r in records}) != len(records):  # a seq repeated: once is enough
            records = list({r.seq: r for r in records}.values())
        rows, contents = self._record_rows(conv, records)
        newest = max(
            (r for r in records if r.object_name not in SILENT_IN_LIST),
            key=lambda r: r.seq,
            default=None,
        )
        newest_preview = (
            catalogue.summarize(newest.object_name, newest.content, self._user_id)
            if newest is not None
            else ""
        )

        def job(conn: sqlite3.Connection) -> ReceivedBatch:
            conv_id = self._conversation_id(conn, conv)
            batch = ReceivedBatch()
            stored = rows
            if conv.type == ConversationType.ULTRA_GROUP and any(row[-1] for row in rows):
                stored = level_mentions(conn, conv, rows, contents, self._user_id)
            confirmed_ids: list[int] = []
            elsewhere: list[int] = []
            inserted = insert_rows(conn, conv_id, stored)
            added = batch.added.append
            for record, row, content in zip(records, stored, contents, strict=True):
                message_id = inserted.get(record.seq)
                if message_id is not None:
                    # Positional: Message's fields in order (a third cheaper than by
                    # keyword, for each of a page's hundreds of rows).
                    added(
                        Message(
                            message_id,
                            conv,
                            record.seq,
                            record.uid,
                            record.cmid,
                            record.sender,
                            record.object_name,
                            content,
                            record.sent_at,
                            row[4],
                            row[5],
                            None,
                            False,
                            row[11] == 1,
                            tuple(record.to),
                        )
                    )
                    continue
                confirmed = confirm(conn, record) if record.sender == self._user_id else []
                confirmed_ids.extend(confirmed)
                if not confirmed:
                    elsewhere.append(record.seq)
            if elsewhere or confirmed_ids:
                batch.present = written_elsewhere(
                    conn,
                    conv_id,
                    self._owner,
                    self.opened_after,
                    seqs=elsewhere,
                    confirmed_ids=confirmed_ids,
                )
                shown = {m.id for m in batch.present}
                confirmed_ids = [i for i in confirmed_ids if i not in shown]
            conn.execute(
                "UPDATE conversations SET synced_seq = ?, floor_seq = ?,"
                " max_seq = MAX(max_seq, ?) WHERE id = ?",
                (coverage.synced_seq, coverage.floor_seq, coverage.max_seq, conv_id),
            )
            if newest is not None:
                sender = list_sender(newest.object_name, newest.sender)
                set_preview(conn, conv_id, newest.sent_at, newest_preview, sender, newest.seq)
            if batch.added:
                count_new_unread(conn, conv_id, [m.id for m in batch.added])
            if conv.type == ConversationType.GROUP:
                note_group_names(conn, conv.target, records)
            elif conv.type in PUBLIC_TYPES:
                note_account_names(conn, conv, records)
            asked = note_requests(conn, conv_id, records, self._user_id)
            if asked:
                batch.receipts_asked = _by_ids(conn, asked)
            recalled = apply_recalls(conn, conv_id, records)
            if recalled:
                batch.recalled = _by_ids(conn, recalled)
            if conv.type == ConversationType.ULTRA_GROUP:
                edited = apply_edits(conn, conv_id, records)
                if edited:
                    batch.edited = _by_ids(conn, edited)
            if confirmed_ids:
                batch.confirmed = _by_ids(conn, confirmed_ids)
            return batch

        return job

    def job_for_many(
        self, items: Sequence[Received]
    ) -> Callable[[sqlite3.Connection], list[ReceivedBatch]]:
        """One writer job storing the records of several conversations (one transaction)."""
        jobs = [self.job(item) for item in items]
        return lambda conn: [job(conn) for job in jobs]

    def _record_rows(
        self, conv: ConvRef, records: Sequence[MessageRecord]
    ) -> tuple[list[_Row], list[dict[str, Any]]]:
        """The rows of `records` for insert_rows (the 12 columns after conv_id), and
        their contents as dicts (the Message of an added row takes it). Built in one
        loop with the message types looked up once each: a pulled page holds hundreds
        of records, mostly of one or two types."""
        user = self._user_id
        mentionable = conv.type in MENTIONABLE
        counts: dict[str, bool] = {}
        rows: list[_Row] = []
        contents: list[dict[str, Any]] = []
        add_row, add_content = rows.append, contents.append
        sent, received = (
            (Direction.SENT, SendStatus.SENT),
            (Direction.RECEIVED, SendStatus.RECEIVED),
        )
        for record in records:
            name = record.object_name
            counted = counts.get(name)
            if counted is None:
                counted = counts[name] = catalogue.lookup(name).counted
            sender = record.sender
            own = sender == user
            counted = counted and not own
            content = record.content
            mentioned = counted and mentionable and catalogue.mentions_user(content, user)
            if LOCAL_PATH in content:
                content = wire_content(content)
            direction, status = sent if own else received
            to = record.to
            add_row(
                (
                    record.seq,
                    record.uid,
                    record.cmid,
                    sender,
                    direction,
                    status,
                    int(counted),
                    name,
                    encode_content(content),
                    record.sent_at,
                    recipients_column(to) if to else "",
                    int(mentioned),
                )
            )
            add_content(content)
        return rows, contents


_Row = tuple[Any, ...]
"""A row from `ReceivedRows._record_rows`: the columns of _INSERT_MESSAGES after conv_id."""

_COLUMNS = 12
"""The columns of _INSERT_MESSAGES after conv_id."""
_ROWS_PER_INSERT = 200
_ROW_MARKS = "(?1," + ",".join("?" * _COLUMNS) + ")"
"""One row's values: the conversation is the statement's first parameter, shared by
every row (each unnumbered `?` after it takes the next number)."""


def insert_rows(
    conn: sqlite3.Connection, conv_id: int, rows: Sequence[tuple[Any, ...]]
) -> dict[int, int]:
    """Insert message rows of one conversation (a repeat of a stored one is ignored),
    a few hundred per statement; the local ids of those inserted, by seq.

    No RETURNING (each row it hands back is a step into SQLite and a tuple of its
    own): the rows a statement inserts get consecutive ids, one more than the highest
    each (this transaction holds the write lock), ending at the last inserted id. When
    none was ignored they follow the rows; otherwise they are read as that id range."""
    inserted: dict[int, int] = {}
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = [conv_id, *chain.from_iterable(chunk)]
        cursor = conn.execute(_INSERT_MESSAGES + ",".join([_ROW_MARKS] * len(chunk)), values)
        added, last = cursor.rowcount, cursor.lastrowid or 0
        if added == len(chunk):
            first = last - added + 1
            inserted.update({row[0]: message_id for message_id, row in enumerate(chunk, first)})
        elif added > 0:
            found = conn.execute(
                "SELECT seq, id FROM messages WHERE id > ? AND id <= ?", (last - added, last)
            )
            inserted.update(found.fetchall())
    return inserted


def _by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Message]:
    """The messages with these local ids, by id."""
    marks = ",".join("?" * len(ids))
    return select_messages(conn, f"WHERE m.id IN ({marks}) ORDER BY m.id", tuple(ids))

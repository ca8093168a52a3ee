"""The local store's search index: what text of a message is searchable, and the indexer.

The index is the FTS5 table ``message_search`` (trigram tokenizer, rowid = messages.id;
see schema migration 4). Writing a message does not index it, nor write anything for
it: :class:`SearchIndexer` finds the messages above the highest id it has indexed
(meta ``search_head``, schema migration 13) and indexes them in batches; a trigger
queues in ``search_pending`` only what that cannot find (content replaced at or below
the head, a reused id). Indexing one message in a
transaction of its own costs ~0.13 ms (FTS5 writes a segment per commit), which would
show on the send→receive path of every message; in batches of a few hundred it costs
~20 µs a message. A search indexes what is queued first, so it never misses a message
already stored (see :meth:`SearchIndexer.flush`).

Messages stored before the index existed are the backfill: the migration only notes
the highest message id then (meta ``search_backfill``, so upgrading a big store costs
nothing at start-up) and the indexer works down from it, newest first. It works on its
own connection and thread, never on the event loop, in short slices (the store's
writer on the loop waits for the write lock at most that long), and rests between them
so it never takes more than a set share of a core.

Triggers keep the index honest on their own: replacing a message's content (a recall,
an edit, an upload that finished) drops its index row at once and queues it again; a
deleted message leaves the index with its row. No write path has to remember to
"unindex" anything.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.storage import Database, SideWriter, WriterClosed

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_INDEXED_CHARS = 20_000
"""Only the first this many characters of a text are searchable (the cost of indexing a
message grows with its length)."""

END = " "
"""Appended to every indexed text, so that its last two characters start a trigram too:
then a 2-character term is always the start of some indexed trigram, and its candidate
trigrams can be listed from the index's vocabulary (see core/search.py)."""

CHUNK = 256
"""Messages a search's flush indexes per transaction: ~4 ms of work (FTS5's merges of
its segments make about one in a hundred take ~30 ms)."""

SLICE = 64
"""Messages the background indexer indexes per transaction: ~1 ms holding the store's
write lock, so the writer on the event loop never waits long for it."""

FLUSH_LIMIT = 4_096
"""A search first indexes at most this many queued messages."""

HEAD_KEY = "search_head"
"""Meta key: the highest message id indexed; the messages above it are to be indexed."""

BACKFILL_KEY = "search_backfill"
"""Meta key: messages with an id up to this one are still to be indexed (the backfill)."""

#: Content types whose summary is only a tag and a number ("[Voice] 0:12"): nothing to find.
_NOT_SEARCHABLE = frozenset({catalogue.VOICE, catalogue.VOICE_LEGACY, catalogue.SIGHT})
#: What a recalled or deleted message becomes: a trace of content that is gone, never a
#: result (not even of a search by sender).
_NOT_INDEXED = frozenset({catalogue.RECALL_NTF, catalogue.DELETED})
_SEARCHED_KINDS = frozenset({catalogue.MessageKind.CONTENT, catalogue.MessageKind.NOTIFICATION})
# C0/C1 controls become spaces; lone surrogates cannot be encoded for SQLite at all.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG = re.compile(r"^\[[^\]]*\]\s*")
_decode = msgspec.json.Decoder(dict[str, Any]).decode

_Row = tuple[int, str | None, str | None, int | None, str | None, int | None, int | None]

SLOTS = 1024
"""Index rowids per millisecond: a message's rowid is ``sent_at * SLOTS`` plus a slot
(its seq, or its id before it has one, modulo SLOTS; or the next free slot), so the
index's order is time order, and seq order within a millisecond."""

_MAX_SENT_AT = 2**52 - 1  # keeps sent_at * SLOTS within SQLite's 64-bit integers


def clean_text(text: str) -> str:
    """``text`` with control characters as spaces and lone surrogates as U+FFFD (same
    length, so offsets into it are offsets into the original)."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text))


def searchable_text(object_name: str, content: object) -> str:
    """The text a message is found by: the whole text of a text message; for other
    content and notification types the detail of their one-line summary (a file's name,
    a place, an article's title…) without the ``[Tag]``. "" when there is nothing."""
    try:
        if object_name == catalogue.TEXT:
            value = content.get("content") if isinstance(content, dict) else None
            return clean_text(value[:MAX_INDEXED_CHARS]) if isinstance(value, str) else ""
        if object_name in _NOT_SEARCHABLE:
            return ""
        summary = catalogue.lookup(object_name).summary(content)
        return _TAG.sub("", summary, count=1).strip()
    except Exception:  # content off the wire may be anything; never stop the indexer
        log.debug("no searchable text for a %s", object_name, exc_info=True)
        return ""


def conv_tag(conv_id: int) -> str:
    """What the ``conv`` column holds: the local conversation id between ‹ and ›, so
    that a phrase query on it matches that conversation only (‹12› is not in ‹123›)."""
    return f"‹{conv_id}›"


def sender_tag(sender: str) -> str:
    """What the ``sender`` column holds: a short hash of the user id, between ‹ and ›.

    Six base-32 characters give trigrams that are rare (a user id such as "user0003"
    shares "use" and "ser" with every other one, which makes its phrase slow); a
    collision only costs a row that the query's exact test on messages.sender drops.
    """
    digest = hashlib.blake2b(sender.encode("utf-8", "surrogatepass"), digest_size=5).digest()
    return f"‹{base64.b32encode(digest).decode('ascii')[:6].lower()}›"


def index_pending(conn: sqlite3.Connection, limit: int = CHUNK, *, backfill: bool = True) -> int:
    """Index up to ``limit`` messages: the queue (newest first), the messages above the
    head (oldest first), then (with `backfill`) the messages stored before the index
    existed (newest first). Returns how many were taken (0 when nothing is left). Runs
    inside the caller's transaction."""
    head = _head(conn)
    # A queued id above the head is indexed with the messages above it.
    conn.execute("DELETE FROM search_pending WHERE id > ?", (head,))
    rows: list[_Row] = conn.execute(
        "SELECT p.id, m.object_name, m.content, m.conv_id, m.sender, m.sent_at, m.seq"
        " FROM search_pending p"
        " LEFT JOIN messages m ON m.id = p.id ORDER BY p.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    if rows:
        _index(conn, rows)
        low, high = rows[-1][0], rows[0][0]
        if len(rows) == high - low + 1:
            conn.execute("DELETE FROM search_pending WHERE id BETWEEN ? AND ?", (low, high))
        else:
            conn.executemany("DELETE FROM search_pending WHERE id = ?", [(r[0],) for r in rows])
    taken = len(rows)
    if taken < limit:
        taken += _above_head(conn, head, limit - taken)
    if backfill and taken < limit:
        taken += _backfill(conn, limit - taken)
    return taken


def _head(conn: sqlite3.Connection) -> int:
    """The highest message id indexed: every newer message is still to be indexed."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    return int(row[0]) if row is not None else 0


def _above_head(conn: sqlite3.Connection, head: int, limit: int) -> int:
    """Index the oldest messages above the head; move the head up past them."""
    rows: list[_Row] = conn.execute(
        "SELECT id, object_name, content, conv_id, sender, sent_at, seq FROM messages"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (head, limit),
    ).fetchall()
    if rows:
        _index(conn, rows)
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (HEAD_KEY, str(rows[-1][0]))
        )
    return len(rows)


def _backfill(conn: sqlite3.Connection, limit: int) -> int:
    """Index the next older messages of the backfill; move its mark down past them."""
    mark = conn.execute("SELECT value FROM meta WHERE key = ?", (BACKFILL_KEY,)).fetchone()
    if mark is None:
        return 0
    rows: list[_Row] = conn.execute(
        "SELECT id, object_name, content, conv_id, sender, sent_at, seq FROM messages"
        " WHERE id <= ?"
        " ORDER BY id DESC LIMIT ?",
        (int(mark[0]), limit),
    ).fetchall()
    _index(conn, rows)
    if len(rows) < limit:
        conn.execute("DELETE FROM meta WHERE key = ?", (BACKFILL_KEY,))
    else:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = ?", (str(rows[-1][0] - 1), BACKFILL_KEY)
        )
    return len(rows)


def key_base(sent_at: int) -> int:
    """The first index rowid of the millisecond `sent_at` (see :data:`SLOTS`)."""
    return max(0, min(sent_at, _MAX_SENT_AT)) * SLOTS


def index_key(conn: sqlite3.Connection, message_id: int, sent_at: int) -> int | None:
    """The index rowid of a message, if it is indexed."""
    base = key_base(sent_at)
    row = conn.execute(
        "SELECT rowid FROM message_search WHERE rowid BETWEEN ? AND ? AND id = ?",
        (base, base + SLOTS - 1, message_id),
    ).fetchone()
    return int(row[0]) if row else None


def _index(conn: sqlite3.Connection, rows: list[_Row]) -> None:
    """Write the index rows of these messages, replacing theirs.

    Every stored content message gets a row, even with no text (an image), so a search
    by sender or conversation alone finds it too; notifications with text get one.
    """
    tags: dict[str, str] = {}
    # FTS5 flushes its in-memory index whenever a rowid is lower than the previous one:
    # ascending order is several times cheaper than descending.
    entries: list[tuple[int, int, str, str, str]] = []
    for message_id, object_name, content_json, conv_id, sender, sent_at, seq in rows:
        if object_name is None or conv_id is None or sender is None or sent_at is None:
            continue  # gone (the delete trigger empties its queue entry too)
        kind = catalogue.lookup(object_name).kind
        if kind not in _SEARCHED_KINDS or object_name in _NOT_INDEXED:
            continue  # signalling, or the trace of a recalled or deleted message
        try:
            content: object = _decode(content_json or "")
        except (msgspec.DecodeError, TypeError):
            content = None
        text = searchable_text(object_name, content)
        if not text and kind != catalogue.MessageKind.CONTENT:
            continue  # a notice with nothing to find is no result for a sender either
        tag = tags.get(sender)
        if tag is None:
            tag = tags[sender] = sender_tag(sender)
        key = key_base(sent_at) + (message_id if seq is None else seq) % SLOTS
        entries.append((key, message_id, text + END if text else "", conv_tag(conv_id), tag))
    entries.sort()
    for key, message_id, text, conv, sender in entries:
        _insert(conn, key, message_id, (text, conv, sender))


def _insert(conn: sqlite3.Connection, key: int, message_id: int, values: tuple[str, ...]) -> None:
    """Insert at `key`, or the next free slot of its millisecond; a row of the same
    message found on the way is replaced (it was queued twice, or queued and in the
    backfill)."""
    last = key - key % SLOTS + SLOTS - 1
    while True:
        try:
            conn.execute(
                "INSERT INTO message_search(rowid, text, conv, sender, id) VALUES (?, ?, ?, ?, ?)",
                (key, *values, message_id),
            )
            return
        except sqlite3.IntegrityError:
            row = conn.execute("SELECT id FROM message_search WHERE rowid = ?", (key,)).fetchone()
            if row is not None and row[0] == message_id:
                conn.execute("DELETE FROM message_search WHERE rowid = ?", (key,))
                continue
            if key == last:
                log.warning("no index slot left in its millisecond for message %d", message_id)
                return
            key += 1


class SearchIndexer:
    """Keeps the index up to date: in the background, and before each search.

    The indexer has its own connection to the store, used on its own thread: indexing
    never runs on the event loop. The background task indexes a slice (``slice_size``
    messages, one short write transaction) at a time and then sleeps in proportion to
    the slice's work, so that it never takes more than ``share`` of a core however long
    the backlog (a backfill of a million messages). With nothing queued it looks again
    every ``idle`` seconds. A search indexes what is queued first (:meth:`flush`).
    """

    def __init__(
        self,
        path: Path | str,
        reader: Database,
        *,
        idle: float = 2.0,
        share: float = 0.25,
        slice_size: int = SLICE,
        start_delay: float = 1.0,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share is a fraction of a core: 0 < share <= 1")
        self._reader = reader
        self._idle = idle
        self._share = share
        self._slice = slice_size
        self._start_delay = start_delay
        self._side = SideWriter(path)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._forgetting = False

    def start(self) -> None:
        """Start indexing in the background (after ``start_delay``: start-up first)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="search-indexer")

    async def stop(self) -> None:
        """Stop the background task once its slice is done (what is still queued stays
        queued; :meth:`flush` still works)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """Stop the background task and close the indexer's connection."""
        await self.stop()
        await self._side.close()

    async def count_steps(self, counter: Callable[[], int] | None, every: int = 100) -> None:
        """Count the SQLite steps of the indexer's connection too (see LocalStore)."""
        await self._side.count_steps(counter, every)

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> tuple[T, float]:
        """Run `job` in a write transaction of its own on the indexer's connection and
        thread; its result and the seconds it took there."""
        return await self._side.write(job)

    def _count(self, conn: sqlite3.Connection) -> int:
        head = _head(conn)
        queued = conn.execute(
            "SELECT (SELECT COUNT(*) FROM search_pending WHERE id <= ?)"
            " + (SELECT COUNT(*) FROM messages WHERE id > ?)",
            (head, head),
        ).fetchone()[0]
        mark = conn.execute("SELECT value FROM meta WHERE key = ?", (BACKFILL_KEY,)).fetchone()
        if mark is not None:
            queued += conn.execute(
                "SELECT COUNT(*) FROM messages WHERE id <= ?", (int(mark[0]),)
            ).fetchone()[0]
        return int(queued)

    async def backlog(self) -> int:
        """How many messages wait to be indexed (queued, and in the backfill)."""
        return await self._reader.run(self._count)

    async def flush(self, limit: int = FLUSH_LIMIT) -> int:
        """Index the queued messages now (not the backfill), up to ``limit``; return how
        many were indexed."""
        done = 0
        while done < limit:
            count, _ = await self._write(lambda conn: index_pending(conn, backfill=False))
            done += count
            if count < CHUNK:
                break
        return done

    def forget_removed(self) -> None:
        """Text was recalled or deleted: rewrite the index without what it held.

        FTS5 keeps a removed row's terms in its older segments until they are merged, so
        the indexer merges them, a few pages a step, and then truncates the WAL;
        afterwards no copy of the text is left in the store's files.
        """
        self._forgetting = True
        self._wake.set()

    async def wait_drained(self) -> None:
        """Wait until the background indexer next finds nothing left to index."""
        self._drained.clear()
        self._wake.set()
        await self._drained.wait()

    async def _rest(self, worked: float) -> None:
        """Sleep so that `worked` seconds of work are at most `share` of the time."""
        await asyncio.sleep(worked * (1 - self._share) / self._share)

    async def _merge_step(self) -> None:
        """One step of merging the index's segments; at the end, truncate the WAL."""
        try:
            merged, worked = await self._write(_merge_segments)
        except WriterClosed:
            self._forgetting = False
            return
        except Exception:
            log.warning("merging the search index failed; retrying later", exc_info=True)
            merged, worked = False, 0.0
        if merged:
            await self._rest(worked)
            return
        self._forgetting = False
        await self._reader.checkpoint("TRUNCATE")

    async def _run(self) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation
        # that close() sends, which then waits forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._start_delay):
                await self._wake.wait()
        size = self._slice
        while True:
            self._wake.clear()
            try:
                count, worked = await self._write(lambda conn: index_pending(conn, size))
            except WriterClosed:
                return
            except Exception:
                log.warning("indexing messages for search failed; retrying later", exc_info=True)
                count, worked = 0, 0.0
            if count >= size:
                await self._rest(worked)
                continue
            if self._forgetting:
                await self._merge_step()
                continue
            self._drained.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):
                    await self._wake.wait()


MERGE_PAGES = 16
"""Index pages one merge step writes: a few milliseconds of the indexer's thread."""


def _merge_segments(conn: sqlite3.Connection) -> bool:
    """Merge a few pages of the index's segments, all levels alike (FTS5's 'merge' with a
    negative count); False once they are one segment, with nothing removed left in it."""
    before = conn.total_changes
    conn.execute(
        "INSERT INTO message_search(message_search, rank) VALUES ('merge', ?)", (-MERGE_PAGES,)
    )
    return conn.total_changes - before > 1

"""The local store's search index: what text of a message is searchable, and the indexer.

The index is the FTS5 table ``message_search`` (trigram tokenizer, rowid = messages.id;
see schema migration "full-text search"). Writing a message does not index it: a
trigger only queues its id in ``search_pending``, in the transaction that stores it
(a few microseconds), and :class:`SearchIndexer` drains that queue in batches. Indexing
one message in a transaction of its own costs ~0.13 ms (FTS5 writes a segment per
commit), which would show on the send→receive path of every message; in batches of a
few hundred it costs ~15 µs a message. A search drains what is queued first, so it
never misses a message already stored (see :meth:`SearchIndexer.flush`).

The queue is durable, so a crash loses nothing, and the migration queues every row that
existed before it: the same indexer is the backfill, newest messages first, in chunks
small enough that the event loop (where the store's writer runs) never stalls for long.

Triggers keep the index honest on their own: replacing a message's content (a recall,
an edit, an upload that finished) drops its index row at once and queues it again; a
deleted message leaves the index with its row. No write path has to remember to
"unindex" anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from typing import Any

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.storage import BatchWriter, Database, WriterClosed

log = logging.getLogger(__name__)

MAX_INDEXED_CHARS = 20_000
"""Only the first this many characters of a text are searchable (the cost of indexing a
message grows with its length, and it is paid on the event loop)."""

CHUNK = 256
"""Messages indexed by one write job: ~4 ms of work at most on the loop."""

FLUSH_LIMIT = 4_096
"""A search first indexes at most this many queued messages (a backfill of an old store
can queue a million; the search then covers what is indexed so far)."""

#: Content types whose summary is only a tag and a number ("[Voice] 0:12"): nothing to find.
_NOT_SEARCHABLE = frozenset({catalogue.VOICE, catalogue.VOICE_LEGACY, catalogue.SIGHT})
_SEARCHED_KINDS = frozenset({catalogue.MessageKind.CONTENT, catalogue.MessageKind.NOTIFICATION})
# C0/C1 controls become spaces; lone surrogates cannot be encoded for SQLite at all.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG = re.compile(r"^\[[^\]]*\]\s*")
_decode = msgspec.json.Decoder(dict[str, Any]).decode


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
        kind = catalogue.lookup(object_name)
        if kind.kind not in _SEARCHED_KINDS or object_name in _NOT_SEARCHABLE:
            return ""
        return _TAG.sub("", kind.summary(content), count=1).strip()
    except Exception:  # content off the wire may be anything; never stop the indexer
        log.debug("no searchable text for a %s", object_name, exc_info=True)
        return ""


def index_pending(conn: sqlite3.Connection, limit: int | None = CHUNK) -> int:
    """Index up to ``limit`` queued messages (all with None), newest first; return how
    many left the queue. Runs inside the caller's transaction."""
    rows = conn.execute(
        "SELECT p.id, m.object_name, m.content FROM search_pending p"
        " LEFT JOIN messages m ON m.id = p.id ORDER BY p.id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    ).fetchall()
    if not rows:
        return 0
    entries: list[tuple[int, str]] = []
    for message_id, object_name, content_json in rows:
        if object_name is None:
            continue  # the message is gone (the delete trigger also empties its queue entry)
        try:
            content: object = _decode(content_json)
        except (msgspec.DecodeError, TypeError):
            content = None
        text = searchable_text(object_name, content)
        if text:
            entries.append((message_id, text))
    # OR REPLACE: a message queued twice (content replaced before the backfill reached
    # it) is indexed once, with its current text.
    conn.executemany("INSERT OR REPLACE INTO message_search(rowid, text) VALUES (?, ?)", entries)
    low, high = rows[-1][0], rows[0][0]
    if len(rows) == high - low + 1 or limit is None:
        conn.execute("DELETE FROM search_pending WHERE id BETWEEN ? AND ?", (low, high))
    else:
        conn.executemany("DELETE FROM search_pending WHERE id = ?", [(r[0],) for r in rows])
    return len(rows)


class SearchIndexer:
    """Drains the search queue: in the background, and before each search.

    Every job goes through the store's writer (the only writer of the database), a
    chunk at a time. While a backlog lasts (a store indexed for the first time) it runs
    a chunk every ``pause`` seconds; otherwise it looks for queued messages every
    ``idle`` seconds.
    """

    def __init__(
        self,
        writer: BatchWriter,
        reader: Database,
        *,
        idle: float = 2.0,
        pause: float = 0.02,
        start_delay: float = 1.0,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._idle = idle
        self._pause = pause
        self._start_delay = start_delay
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()

    def start(self) -> None:
        """Start draining in the background (after ``start_delay``: start-up first)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="search-indexer")

    async def close(self) -> None:
        """Stop the background task (what is still queued stays queued)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def backlog(self) -> int:
        """How many messages wait to be indexed."""
        row = await self._reader.fetch_one("SELECT COUNT(*) FROM search_pending")
        return int(row[0]) if row else 0

    async def flush(self, limit: int = FLUSH_LIMIT) -> int:
        """Index queued messages now, up to ``limit``; return how many were indexed."""
        done = 0
        while done < limit:
            count = await self._writer.submit(index_pending)
            done += count
            if count < CHUNK:
                break
        return done

    async def wait_drained(self) -> None:
        """Wait until the background indexer has found the queue empty."""
        self._wake.set()
        await self._drained.wait()

    async def _run(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._start_delay)
        while True:
            self._wake.clear()
            try:
                count = await self._writer.submit(index_pending)
            except WriterClosed:
                return
            except Exception:
                log.warning("indexing messages for search failed; retrying later", exc_info=True)
                count = 0
            if count >= CHUNK:
                self._drained.clear()
                await asyncio.sleep(self._pause)
                continue
            self._drained.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle)

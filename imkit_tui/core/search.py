"""`client.search`: messages by words (any script), by sender, in one conversation or all.

The index itself (what is searchable, and how it is kept up to date) is in
:mod:`imkit_tui.core.search_index`.

A query is split at whitespace into terms; a message is found when it holds every
term, anywhere, ignoring case (``"meeting friday"`` finds "Friday's meeting"). Terms of
three characters or more are phrases of an FTS5 MATCH on the trigram index. Shorter
ones (``"好"``, ``"ok"``) cannot be: they are tested with LIKE. A 2-character term also
narrows the rows to test, by the trigrams of the index that start with it (listed from
the index's vocabulary), so a rare one does not scan every message. Nothing the user
types is ever query syntax: quotes, ``*``, ``AND``, ``(`` are text to find.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core.context import ClientContext
from imkit_tui.core.models import Message
from imkit_tui.core.search_index import (
    END,
    SLOTS,
    clean_text,
    conv_tag,
    index_key,
    key_base,
    sender_tag,
)
from imkit_tui.core.sql import MESSAGE_COLUMNS, message_from_row
from imkit_tui.protocol import ConvRef

MIN_MATCH_CHARS = 3
"""Terms at least this long use the trigram index; shorter ones fall back to LIKE."""

MAX_TERMS = 16
"""Terms after the first this many are ignored."""

MAX_TERM_CHARS = 200
"""Longer terms are cut to this many characters."""

MAX_CANDIDATES = 256
"""A 2-character term starting more trigrams than this is common: LIKE alone finds
enough of it among the newest messages, faster than the trigrams would."""

SNIPPET_CHARS = 120
"""The longest snippet, in characters (before the "…" marks)."""

_CONTEXT_BEFORE = 30
_ELLIPSIS = "…"
_LINE_BREAKS = re.compile(r"[\n\r\t\u2028\u2029]")


class _NoMatch(Exception):
    """A term that no indexed text holds: the search has no results."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message found by :meth:`Search.messages`.

    ``snippet`` is one line of the message's text around the first match, "…" where it
    was cut; ``spans`` are the ``(start, end)`` offsets of every match in it, in order
    (empty for a search by sender only).
    """

    message: Message
    snippet: str
    spans: tuple[tuple[int, int], ...] = ()

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The snippet with each match between ``before`` and ``after``."""
        parts: list[str] = []
        last = 0
        for start, end in self.spans:
            parts += [self.snippet[last:start], before, self.snippet[start:end], after]
            last = end
        parts.append(self.snippet[last:])
        return "".join(parts)


class Search:
    """Searching the local store's messages."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def messages(
        self,
        text: str = "",
        *,
        conv: ConvRef | None = None,
        sender: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[SearchHit]:
        """Messages of the local store holding every term of `text`, newest first.

        `conv` keeps to one conversation, `sender` to one sender's messages (with an
        empty `text`, all of them). Newest first by the time the message was sent; pass
        the last hit's ``message.id`` as `before_id` for the next page. Messages written a
        moment ago are indexed first, so they are found; right after an upgrade, older
        ones are found as the background indexer reaches them (see `backlog`).
        The query runs on the store's reader thread.
        """
        terms = query_terms(text)
        sender = sender.strip() if sender else None
        if (not terms and not sender) or limit <= 0:
            return []
        store = self._context.store
        await store.search_index.flush()
        key = (conv.type, conv.target, conv.channel) if conv is not None else None

        def read(conn: sqlite3.Connection) -> list[SearchHit]:
            conv_id: int | None = None
            if key is not None:
                row = conn.execute(
                    "SELECT id FROM conversations WHERE type = ? AND target = ? AND channel = ?",
                    key,
                ).fetchone()
                if row is None:
                    return []
                conv_id = int(row[0])
            before_key: int | None = None
            if before_id is not None:
                found = conn.execute(
                    "SELECT sent_at FROM messages WHERE id = ?", (before_id,)
                ).fetchone()
                if found is None:
                    return []
                before_key = index_key(conn, before_id, found[0])
                if before_key is None:
                    before_key = key_base(found[0]) + before_id % SLOTS
            try:
                sql, params = _query(conn, terms, conv_id, sender, before_key, limit)
            except _NoMatch:
                return []
            return [_hit(row, terms) for row in conn.execute(sql, params).fetchall()]

        return await store.read(read)

    async def backlog(self) -> int:
        """How many stored messages the background indexer has still to index (a store
        opened for the first time since search came has its whole history to do)."""
        return await self._context.store.search_index.backlog()

    async def around(self, message: Message, *, before: int = 20, after: int = 20) -> list[Message]:
        """The page of `message`'s conversation around it, oldest first (to show a search
        result in context); just the newest page when it is not sent yet."""
        store = self._context.store
        if message.seq is None:
            return await store.messages.page(message.conv, limit=before + after + 1)
        return await store.messages.around(message.conv, message.seq, before=before, after=after)


def query_terms(text: str) -> list[str]:
    """The terms of a query: split at whitespace, duplicates (ignoring case) dropped."""
    terms: list[str] = []
    seen: set[str] = set()
    for word in clean_text(text).split():
        term = word[:MAX_TERM_CHARS]
        if term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms[:MAX_TERMS]


def fts_string(term: str) -> str:
    """``term`` as an FTS5 string literal: matched as text, never read as syntax."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) for text containing ``term`` literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(
    conn: sqlite3.Connection,
    terms: list[str],
    conv_id: int | None,
    sender: str | None,
    before_key: int | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """One SQL query, driven by the index: FTS5 walks its rowids (time keys) backwards.

    Long terms, 2-character terms (as their trigrams), the conversation and the sender
    are all phrases of one MATCH (the ``conv`` and ``sender`` columns hold tags, see
    search_index), so FTS5 intersects them itself and stops at `limit` rows, however
    common each part is alone. Short terms are then tested with LIKE on each row that
    is left; with nothing to match, that is a scan of the index, newest first, that
    stops at `limit` rows (quick for the common terms that need it).
    """
    phrases = [f"text : {fts_string(t)}" for t in terms if len(t) >= MIN_MATCH_CHARS]
    where: list[str] = []
    params: list[Any] = []
    for term in terms:
        if len(term) < MIN_MATCH_CHARS:
            starts = _trigrams_starting(conn, term) if len(term) == 2 else None
            if starts is not None:
                phrases.append(f"text : ({' OR '.join(fts_string(t) for t in starts)})")
            # The unary + keeps the LIKE away from FTS5: SQLite 3.40's trigram LIKE
            # returns nothing for a pattern of under 3 characters but 3 or more bytes
            # ("会议"), instead of scanning.
            where.append("+s.text LIKE ? ESCAPE '\\'")
            params.append(like_pattern(term))
    if conv_id is not None:
        phrases.append(f"conv : {fts_string(conv_tag(conv_id))}")
        where.append("m.conv_id = ?")
        params.append(conv_id)
    if sender:
        phrases.append(f"sender : {fts_string(sender_tag(sender))}")
        where.append("m.sender = ?")  # the tag is a hash: this drops a collision
        params.append(sender)
    if phrases:
        where.append("message_search MATCH ?")
        params.append(" AND ".join(phrases))
    if before_key is not None:
        where.append("s.rowid < ?")
        params.append(before_key)
    sql = (
        f"SELECT {MESSAGE_COLUMNS}, s.text FROM message_search s"
        " JOIN messages m ON m.id = s.id JOIN conversations c ON c.id = m.conv_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.rowid DESC LIMIT ?"
    )
    return sql, [*params, limit]


def _trigrams_starting(conn: sqlite3.Connection, term: str) -> list[str] | None:
    """The indexed trigrams that start with `term` (2 characters), as the index folds
    case; None when there are too many to be worth it (or `term` cannot be folded
    the same way). Raises _NoMatch when there are none: no text holds `term`."""
    folded = term.lower()
    if len(folded) != 2 or ord(folded[1]) >= 0x10FFFF:
        return None
    rows = conn.execute(
        "SELECT term FROM message_search_vocab WHERE term >= ? AND term < ? AND col = 'text'"
        " LIMIT ?",
        (folded, folded[0] + chr(ord(folded[1]) + 1), MAX_CANDIDATES + 1),
    ).fetchall()
    if not rows:
        raise _NoMatch(term)
    return [str(row[0]) for row in rows] if len(rows) <= MAX_CANDIDATES else None


def _hit(row: Any, terms: list[str]) -> SearchHit:
    message = message_from_row(row)
    indexed = row[-1]
    if message.object_name == catalogue.TEXT and indexed:
        source = indexed.removesuffix(END)
    else:
        source = catalogue.summarize(message.object_name, message.content)
    snippet, spans = make_snippet(source, terms)
    return SearchHit(message=message, snippet=snippet, spans=spans)


def make_snippet(
    text: str, terms: list[str], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """One line of ``text`` around the first match of any term, and every match in it.

    Matching ignores case; line breaks become spaces (offsets stay those of the text).
    """
    text = _LINE_BREAKS.sub(" ", clean_text(text))
    found: list[re.Match[str]] = []
    if terms:
        ordered = sorted(terms, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)
        found = list(pattern.finditer(text))
    first = found[0].start() if found else 0
    start = max(0, first - _CONTEXT_BEFORE) if len(text) > width else 0
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    lead = _ELLIPSIS if start > 0 else ""
    tail = _ELLIPSIS if end < len(text) else ""
    shift = len(lead) - start
    spans = tuple(
        (max(m.start(), start) + shift, min(m.end(), end) + shift)
        for m in found
        if m.start() < end and m.end() > start
    )
    return lead + text[start:end] + tail, spans

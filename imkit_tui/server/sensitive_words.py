"""Sensitive words: the app's words that a message may not contain (it is refused,
21501, and nobody receives it) or that receivers see replaced (`/sensitiveword/add`).

Applied to the text (`content`) of every message a device sends, before it is stored:
:class:`WordFilter` decides without I/O; :class:`SensitiveWords` keeps the words in the
server store and in memory (read once, replaced after each change), so a send with no
words set costs one dictionary look.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.storage import BatchWriter, Database

MAX_WORDS = 50
"""The most sensitive words an app has (as the service)."""
MAX_WORD_CHARS = 32
"""The longest sensitive word, and the longest replacement."""


class WordFilter:
    """The words (matched whatever their case), each with its replacement (None: the
    message is refused)."""

    def __init__(self, words: Mapping[str, str | None] | None = None) -> None:
        self._words = {word.lower(): replacement for word, replacement in (words or {}).items()}
        ordered = sorted(self._words, key=len, reverse=True)  # the longest word first
        self._pattern = (
            re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def apply(self, text: str) -> tuple[str, bool]:
        """`text` with the replaced words replaced, and whether a refusing word is in it."""
        if self._pattern is None:
            return text, False
        blocked = False

        def swap(found: re.Match[str]) -> str:
            nonlocal blocked
            replacement = self._words.get(found.group(0).lower())
            if replacement is None:
                blocked = True
                return found.group(0)
            return replacement

        return self._pattern.sub(swap, text), blocked


class SensitiveWords:
    """The app's sensitive words in the server store, and their filter (a ServerStore
    part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader
        self._filter: WordFilter | None = None

    @property
    def active(self) -> bool:
        """False once the words are known to be none: sends need no screening then."""
        return self._filter is None or bool(self._filter)

    async def current(self) -> WordFilter:
        """The filter of the words set now (read once, then kept)."""
        if self._filter is None:
            rows = await self._reader.fetch_all("SELECT word, replace FROM sensitive_words")
            self._filter = WordFilter({str(w): (None if r is None else str(r)) for w, r in rows})
        return self._filter

    async def screened(self, content: dict[str, Any], request_id: int = 0) -> dict[str, Any]:
        """`content` with its text's words replaced; ProtocolError 21501 when a refusing
        word is in it (nothing is stored or delivered)."""
        words = self._filter if self._filter is not None else await self.current()
        return screen(words, content, request_id)

    async def add(self, word: str, replace: str | None) -> bool:
        """Set `word` (refused, or replaced by `replace`); False past MAX_WORDS."""

        def job(conn: sqlite3.Connection) -> bool:
            known = conn.execute("SELECT 1 FROM sensitive_words WHERE word = ?", (word,)).fetchone()
            count = conn.execute("SELECT COUNT(*) FROM sensitive_words").fetchone()[0]
            if known is None and count >= MAX_WORDS:
                return False
            conn.execute(
                "INSERT INTO sensitive_words(word, replace) VALUES (?, ?)"
                " ON CONFLICT (word) DO UPDATE SET replace = excluded.replace",
                (word, replace),
            )
            return True

        added = await self._writer.submit(job)
        self._filter = None
        return added

    async def remove(self, words: Sequence[str]) -> None:
        """Forget `words`."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM sensitive_words WHERE word = ?", [(w,) for w in words])

        await self._writer.submit(job)
        self._filter = None

    async def listed(self) -> list[tuple[str, str | None]]:
        """Every word with its replacement (None: refused), by word."""
        rows = await self._reader.fetch_all(
            "SELECT word, replace FROM sensitive_words ORDER BY word"
        )
        return [(str(w), None if r is None else str(r)) for w, r in rows]


def screen(words: WordFilter, content: dict[str, Any], request_id: int = 0) -> dict[str, Any]:
    """`content` with its text's `words` replaced; ProtocolError 21501 when a refusing
    word is in it (nothing is stored or delivered)."""
    text = content.get("content")
    if not isinstance(text, str) or not text:
        return content
    if not words:
        return content
    replaced, blocked = words.apply(text)
    if blocked:
        raise ProtocolError(
            ErrorCode.SENSITIVE_WORD_BLOCKED,
            "the message holds a word this app refuses",
            request_id,
        )
    return content if replaced == text else {**content, "content": replaced}

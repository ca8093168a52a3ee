"""The robot's answers: the best match of a question among a FAQ's entries. No I/O.

A FAQ is a list of entries (question, answer, optional keywords). A question matches an
entry by the words they share (case and punctuation ignored, short common words left
out), each shared keyword counting double; the entry sharing the most wins, the earlier
one on a tie. Nothing shared: no answer.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"[\w']+", re.UNICODE)
_COMMON = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "do",
        "does",
        "for",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
    ]
)
HUMAN_PHRASES: tuple[str, ...] = (
    "talk to a human",
    "human",
    "agent",
    "real person",
    "人工",
)
"""What a customer writes to be handed to a person (any of them in the text)."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question the robot knows, its answer, and extra words that point at it."""

    question: str
    answer: str
    keywords: tuple[str, ...] = ()


def words(text: str) -> frozenset[str]:
    """The meaningful words of `text`, lower-cased, common ones left out."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _COMMON)


def wants_human(text: str) -> bool:
    """Whether `text` asks for a person rather than the robot."""
    lowered = text.lower()
    return any(phrase in lowered for phrase in HUMAN_PHRASES)


class Faq:
    """The robot's knowledge: :meth:`answer` finds the best entry for a question."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self.entries = tuple(entries)
        self._words = [
            (words(e.question), frozenset(k.lower() for k in e.keywords)) for e in self.entries
        ]

    def best(self, question: str) -> FaqEntry | None:
        """The entry that best matches `question`, or None when none shares a word."""
        asked = words(question)
        best_score, best_entry = 0, None
        for entry, (known, keywords) in zip(self.entries, self._words, strict=True):
            score = len(asked & known) + 2 * len(asked & keywords)
            if score > best_score:
                best_score, best_entry = score, entry
        return best_entry

    def answer(self, question: str) -> str | None:
        """The answer to `question`, or None when the FAQ has nothing for it."""
        entry = self.best(question)
        return entry.answer if entry is not None else None


def parse_faq(text: str) -> Faq:
    """A FAQ from TOML text: ``[[entry]]`` tables with ``question``, ``answer`` and an
    optional ``keywords`` list. ValueError names what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the FAQ is not valid TOML: {exc}") from None
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        raise ValueError("the FAQ's entry must be a list of [[entry]] tables")
    entries = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ValueError(f"FAQ entry {number} is not a table")
        question, answer = item.get("question"), item.get("answer")
        keywords = item.get("keywords", [])
        if not isinstance(question, str) or not isinstance(answer, str) or not answer:
            raise ValueError(f"FAQ entry {number} needs a question and an answer (text)")
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ValueError(f"FAQ entry {number}: keywords must be a list of words")
        entries.append(FaqEntry(question, answer, tuple(keywords)))
    return Faq(entries)


def load_faq(path: Path) -> Faq:
    """The FAQ in the file at `path` (see :func:`parse_faq`); ValueError names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the FAQ {path}: {exc.strerror or exc}") from None
    try:
        return parse_faq(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None

"""Where a line of text may break when it wraps, Chinese and Japanese included.

Rich folds a run of CJK text wherever the width runs out, so a line can start with
"，" or end with "「". :func:`break_offsets` wraps like Rich (spaces stay at the end of
their line, a word too long for any line is folded) and also between CJK characters,
but follows the rules of kinsoku shori: no line starts with closing punctuation
(:data:`NO_LINE_START`: ``，。、！？）」`` … and ASCII ``, . ! ? ; : )`` after CJK text),
none ends with opening punctuation (:data:`NO_LINE_END`: ``（「『【《“`` …). A character
that does not fit is carried to the next line with its neighbour instead.

Pure, no Textual; widths are terminal cells as Rich measures them.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from rich.cells import cell_len, chop_cells

__all__ = ["NO_LINE_END", "NO_LINE_START", "break_offsets", "wrap_lines"]

NO_LINE_START = frozenset(
    "，。、．！？；：）］｝〕〉》」』】〙〗〟’”｠»"
    "ー々〻ゝゞヽヾ・…‥–—～"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ",.!?;:)]}%"
)
"""Characters a line must not start with: closing punctuation, iteration marks, small
kana, and ASCII punctuation that closes (only ever met at a line's start after CJK)."""

NO_LINE_END = frozenset("（［｛〔〈《「『【〘〖〝‘“｟«([{")
"""Characters a line must not end with: opening punctuation."""

_JOINER = "\u200d"


def _wide(char: str) -> bool:
    """Whether lines may break on either side of `char` (CJK, full-width, emoji)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _may_break_before(text: str, index: int) -> bool:
    """Whether a line may start at `index` (0 < index < len(text))."""
    before, char = text[index - 1], text[index]
    if char.isspace() or cell_len(char) == 0 or before == _JOINER:
        return False  # spaces end a line; marks and joiners stay with their character
    if char in NO_LINE_START or before in NO_LINE_END:
        return False
    if before.isspace() or _wide(before) or _wide(char):
        return True
    # After a closing mark and before an opening one, even narrow ones (“ ” are narrow
    # in most terminals); ASCII brackets stay with their word, as in Rich.
    return (before in NO_LINE_START and not before.isascii()) or (
        char in NO_LINE_END and not char.isascii()
    )


def _pieces(text: str) -> list[tuple[int, int]]:
    """`text` cut where a line may start: (start, end) of the pieces that stay whole."""
    starts = [0, *(i for i in range(1, len(text)) if _may_break_before(text, i))]
    return list(pairwise([*starts, len(text)]))


def break_offsets(line: str, width: int) -> list[int]:
    """The indices at which `line` (one line, no ``\\n``) starts a new row when wrapped to
    `width` cells; ``[]`` when it fits. The same contract as Rich's ``divide_line``.

    A row holds whole pieces (see the module's rules) while they fit; spaces at the end
    of a row may overhang it, as in Rich. A piece wider than `width` starts a row of its
    own and is folded where the width runs out.
    """
    width = max(1, width)
    breaks: list[int] = []
    used = 0
    for start, end in _pieces(line):
        piece = line[start:end]
        visible = cell_len(piece.rstrip())
        if used + visible <= width:
            used += cell_len(piece)
            continue
        if used and start:
            breaks.append(start)
        used = cell_len(piece)
        if visible > width:
            rows = chop_cells(piece, width)
            offset = start
            for row in rows[:-1]:
                offset += len(row)
                breaks.append(offset)
            used = cell_len(rows[-1])
    return breaks


def wrap_lines(text: str, width: int) -> list[str]:
    """`text` wrapped to `width` cells: its lines, each cut at :func:`break_offsets`,
    the spaces that end a row dropped."""
    rows: list[str] = []
    for line in text.split("\n"):
        bounds = [0, *break_offsets(line, width), len(line)]
        rows += [line[a:b].rstrip(" ") for a, b in pairwise(bounds)]
    return rows

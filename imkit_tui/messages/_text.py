"""Turning arbitrary text into one safe, bounded line.

Every summary goes through :func:`one_line` before it leaves the package, so a
caller can put it in a conversation list, a notification or a terminal title
without further checks: no line breaks, no control characters (no terminal
escape sequences), no lone surrogates, no leading or trailing blanks, and at most
:data:`MAX_SUMMARY_CHARS` characters.
"""

from __future__ import annotations

import re

MAX_SUMMARY_CHARS = 500
"""Longest summary returned; longer text is cut and ends with an ellipsis."""

ELLIPSIS = "…"

# Only this much of a huge string is looked at, so a 10 MB text costs as much as a
# short one. Whitespace collapsing can shrink the window, hence the margin.
_SCAN_CHARS = MAX_SUMMARY_CHARS * 8

# C0 and C1 control characters and DEL: never shown, an ESC could drive the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# A str can hold lone surrogates (from JSON "\ud800"); they cannot be encoded.
_SURROGATE = re.compile("[\ud800-\udfff]")


def one_line(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    """Return ``text`` as a single line of at most ``limit`` characters.

    Control characters become spaces, lone surrogates become U+FFFD, every run
    of whitespace (including Unicode line and paragraph separators) becomes one
    space, and the result is stripped. Text longer than ``limit`` is cut and ends
    with an ellipsis.
    """
    truncated = len(text) > _SCAN_CHARS
    if truncated:
        text = text[:_SCAN_CHARS]
    text = _CONTROL.sub(" ", text)
    text = _SURROGATE.sub("\ufffd", text)
    line = " ".join(text.split())
    if len(line) > limit:
        return line[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    if truncated:
        return line + ELLIPSIS
    return line

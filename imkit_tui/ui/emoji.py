"""Emoji shortcodes (``:smile:``, ``:+1:``…) with GitHub/Slack names.

The names come from the `emoji` package (Unicode's CLDR names and the GitHub/Slack
aliases, as its ``emojize(language="alias")`` reads them), loaded the first time a
shortcode is looked up, so that start-up does not pay for its table. Pure functions,
no I/O: :func:`expand_shortcodes` turns the shortcodes of a message into emoji before
it is sent, :func:`complete` lists the shortcodes that start with what the user typed,
for an autocomplete popup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

__all__ = ["SHORTCODES", "complete", "expand_shortcodes", "lookup"]

_SHORTCODE = re.compile(r":([A-Za-z0-9_+\-]+):")
_NAME = re.compile(r"[a-z0-9_+\-]+\Z")  # what a typed shortcode can spell

# Names other chat apps (Discord) accept that the package does not know.
_EXTRA_NAMES = {
    "slight_smile": "slightly_smiling_face",
    "party": "partying_face",
    "check": "heavy_check_mark",
    "medal": "sports_medal",
    "first_place_medal": "1st_place_medal",
    "earth": "earth_africa",
    "flag_white": "white_flag",
}

# complete() lists these first among equally good matches, and alone for an empty
# prefix: the package has no notion of which emoji people use most.
# fmt: off
_POPULAR = (
    "+1", "-1", "thumbsup", "thumbsdown", "heart", "joy", "smile", "tada", "fire", "rocket",
    "eyes", "pray", "clap", "ok_hand", "100", "white_check_mark", "sob", "cry", "thinking",
    "wink", "grin", "laughing", "sweat_smile", "blush", "heart_eyes", "rofl", "sunglasses",
    "partying_face", "wave", "muscle", "raised_hands", "sparkles",
)
# fmt: on


@functools.cache
def _table() -> dict[str, str]:
    """Every shortcode name (lower case, without colons) and its emoji."""
    from emoji import EMOJI_DATA, STATUS

    fully_qualified = STATUS["fully_qualified"]
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for emoji, data in EMOJI_DATA.items():
        if data["status"] > fully_qualified:
            continue
        names.setdefault(data["en"].strip(":").lower(), emoji)
        for alias in data.get("alias", ()):
            aliases.setdefault(alias.strip(":").lower(), emoji)
    table = {name: emoji for name, emoji in (names | aliases).items() if _NAME.match(name)}
    for name, known in _EXTRA_NAMES.items():
        table.setdefault(name, table[known])
    return table


@functools.cache
def _ranked() -> tuple[str, ...]:
    """The names in completion order: the popular ones, then shortest first."""
    table = _table()
    rank = {name: i for i, name in enumerate(_POPULAR)}
    return tuple(sorted(table, key=lambda name: (rank.get(name, len(rank)), len(name), name)))


class _Shortcodes(Mapping[str, str]):
    """The shortcode table, read-only, loaded on first use."""

    def __getitem__(self, name: str) -> str:
        return _table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_table())

    def __len__(self) -> int:
        return len(_table())


SHORTCODES: Mapping[str, str] = _Shortcodes()
"""Every known shortcode name (lower case, without colons) and its emoji; read-only."""


# Spans where ``:word:`` is not a shortcode: URLs (``https://h/a:b:c``), inline
# code and fenced code blocks, as Slack and GitHub do.
_PROTECTED = re.compile(
    r"```.*?(?:```|\Z)"
    r"|`[^`\n]*`"
    r"|\b[A-Za-z][A-Za-z0-9+.\-]*://\S+"
    r"|\bwww\.\S+",
    re.DOTALL,
)


def lookup(name: str) -> str | None:
    """Return the emoji for one shortcode name, with or without colons, or ``None``.

    Args:
        name: A name such as ``"smile"`` or ``":smile:"``; case does not matter.
    """
    return _table().get(name.strip(":").lower())


def _expand_plain(text: str) -> str:
    """Expand the shortcodes of a text that holds no protected span."""
    out: list[str] = []
    pos = 0
    i = text.find(":")
    while i != -1:
        match = _SHORTCODE.match(text, i)
        emoji = _table().get(match.group(1).lower()) if match else None
        # Require a non-alphanumeric character (or the edge) on both sides, so
        # "12:100:30" or "id:fire:2" stay as typed.
        if (
            match is not None
            and emoji is not None
            and (i == 0 or not text[i - 1].isalnum())
            and (match.end() == len(text) or not text[match.end()].isalnum())
        ):
            out.append(text[pos:i])
            out.append(emoji)
            pos = match.end()
            i = text.find(":", pos)
        else:
            # The closing colon may open the next shortcode (":x:smile:"), so
            # step one colon at a time rather than past the whole match.
            i = text.find(":", i + 1)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def expand_shortcodes(text: str) -> str:
    """Replace the known ``:shortcode:`` names in ``text`` by their emoji.

    Unknown names (``:words:``), times such as ``12:30:45``, URLs and code spans
    (between backticks) are left untouched. Adjacent shortcodes (``:+1::tada:``)
    are all expanded. Names are matched case-insensitively.

    Args:
        text: The message text.

    Returns:
        The text with its shortcodes expanded (the same string if there are none).
    """
    if ":" not in text:
        return text
    parts: list[str] = []
    pos = 0
    for protected in _PROTECTED.finditer(text):
        parts.append(_expand_plain(text[pos : protected.start()]))
        parts.append(protected.group())
        pos = protected.end()
    parts.append(_expand_plain(text[pos:]))
    return "".join(parts)


def complete(prefix: str, limit: int = 8) -> list[tuple[str, str]]:
    """List the shortcodes matching what the user typed, best first, one per emoji.

    An exact name comes first, then the names starting with ``prefix`` (popular ones
    first, then shortest first), then the names containing it elsewhere. Of the names
    of one emoji (``thumbsup``, ``thumbs_up``) only the best placed is listed, and the
    skin-tone variants only when ``prefix`` matches nothing else.

    Args:
        prefix: What follows the colon, e.g. ``"sm"``; a leading ``:`` is ignored
            and case does not matter. An empty prefix lists popular shortcodes.
        limit: The maximum number of results; zero or less gives none.

    Returns:
        ``(name, emoji)`` pairs, names without colons.
    """
    if limit <= 0:
        return []
    table = _table()
    needle = prefix.lstrip(":").lower()
    if not needle:
        candidates = [name for name in _POPULAR if name in table]
    else:
        ranked = [name for name in _ranked() if needle in name]
        plain = [name for name in ranked if "skin_tone" not in name]
        if plain:
            ranked = plain
        # Stable sorts: the exact name, then the prefix matches, keep their rank.
        ranked.sort(key=lambda name: not name.startswith(needle))
        candidates = sorted(ranked, key=lambda name: name != needle)
    results: dict[str, str] = {}  # emoji -> its first name
    for name in candidates:
        results.setdefault(table[name], name)
        if len(results) == limit:
            break
    return [(name, emoji) for emoji, name in results.items()]

"""Drawing in a 256-colour terminal: each colour to the nearest palette entry by eye.

A terminal that does not announce true colour (no ``COLORTERM=truecolor``) gets
Textual's frames in the xterm 256-colour palette. Rich picks the entry with a shortcut:
any colour with 15% saturation or more (in HLS) goes to the 6×6×6 cube, and the cube's
darkest steps are 0 and 95 of 255. The dark, slightly tinted greys themes are made of
(nord's ``#2E3440``, dialogs, the dimmed screen behind a modal, which is a blend) then
come out as navy, teal or olive blocks. :class:`NearestPalette` instead takes, for each
true colour, the entry of the cube or the grey ramp nearest in CIE-L*ab, so greys stay
greys and a tint stays a tint. Entries 0–15 are never chosen: the terminal's theme
decides what they look like.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual.color import Color, rgb_to_lab
from textual.filter import LineFilter

__all__ = ["NearestPalette", "entry_rgb", "nearest_entry"]

_CUBE = (0, 95, 135, 175, 215, 255)


def entry_rgb(number: int) -> tuple[int, int, int]:
    """The RGB colour xterm gives palette entry ``number`` (16–255)."""
    if number >= 232:
        level = 8 + 10 * (number - 232)
        return level, level, level
    index = number - 16
    return _CUBE[index // 36], _CUBE[index // 6 % 6], _CUBE[index % 6]


# The entries' CIE-L*ab colours, sorted by lightness so that a search can stop early.
_ENTRIES: tuple[tuple[float, float, float, int], ...] = tuple(
    sorted((*rgb_to_lab(Color(*entry_rgb(number))), number) for number in range(16, 256))
)
_LIGHTNESS: tuple[float, ...] = tuple(entry[0] for entry in _ENTRIES)


@lru_cache(maxsize=4096)
def nearest_entry(red: int, green: int, blue: int) -> int:
    """The number (16–255) of the xterm palette entry nearest the colour, by CIE76 ΔE.

    Exact: it walks out from the entries of the same lightness and stops once the
    difference in lightness alone exceeds the best distance found.
    """
    lightness, a, b = rgb_to_lab(Color(red, green, blue))
    best, best_distance = 16, float("inf")
    start = bisect.bisect_left(_LIGHTNESS, lightness)
    for indexes in (range(start, len(_ENTRIES)), range(start - 1, -1, -1)):
        for index in indexes:
            other_lightness, other_a, other_b, number = _ENTRIES[index]
            dl, da, db = lightness - other_lightness, a - other_a, b - other_b
            if dl * dl >= best_distance:
                break
            distance = dl * dl + da * da + db * db
            if distance < best_distance:
                best, best_distance = number, distance
    return best


def _to_entry(colour: RichColor | None) -> RichColor | None:
    """A true colour as its nearest palette entry; other colours as they are."""
    if colour is None or colour.type != ColorType.TRUECOLOR or colour.triplet is None:
        return colour
    triplet: ColorTriplet = colour.triplet
    return RichColor.from_ansi(nearest_entry(triplet.red, triplet.green, triplet.blue))


@lru_cache(maxsize=1024)
def _palette_style(style: Style) -> Style:
    color, bgcolor = _to_entry(style.color), _to_entry(style.bgcolor)
    if color is style.color and bgcolor is style.bgcolor:
        return style
    return style + Style.from_color(color, bgcolor)


class NearestPalette(LineFilter):
    """A line filter that draws true colours as their nearest 256-colour entries.

    Runs after Textual's own filters (ANSI colours are already resolved); the result
    is cached per style, so a frame costs one dictionary look-up per segment.
    """

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """Replace the true colours of ``segments``; ``background`` is not needed."""
        return [
            Segment(text, None if style is None else _palette_style(style), control)
            for text, style, control in segments
        ]

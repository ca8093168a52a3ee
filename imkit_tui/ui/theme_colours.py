"""The chat's own colours, derived from any Textual theme's colour system.

Every Textual theme (``nord``, ``textual-light``…) and every imkit theme gives the same
set of variables: ``background``, ``foreground``, ``primary``, ``secondary``, ``panel``…
(:meth:`textual.theme.Theme.to_color_system`). From them :func:`derive` finds the
bubble backgrounds and the text on them, so that whatever the theme, the user's own
bubbles, the others' bubbles and the screen are three colours told apart at a glance
(:data:`DISTINCT`), and all text on them reads (:data:`READABLE`). A theme may still name
``bubble-own``, ``bubble-peer`` or ``notice`` itself in its variables; those win.

ANSI themes (``ansi-dark``, ``ansi-light``) leave colours to the terminal, whose palette
is unknown: they get named ANSI colours that read on any common palette.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from textual.color import Color, ColorParseError, rgb_to_lab

from imkit_tui.ui.colour_depth import nearest_entry

__all__ = [
    "DISTINCT",
    "READABLE",
    "ChatColours",
    "bubble_variables",
    "contrast",
    "derive",
    "difference",
]

DISTINCT = 12.0
"""The least CIE76 colour difference (ΔE) between areas that must be told apart."""

READABLE = 4.5
"""The least WCAG contrast ratio of text on its background (WCAG AA for body text)."""

_BLACK, _WHITE = Color(0, 0, 0), Color(255, 255, 255)
_STEPS = tuple(step / 20 for step in range(1, 21))
_OWN_TINT = 0.3
"""The least share of the primary colour in one's own bubbles (as Textual's primary-muted)."""


@dataclass(frozen=True)
class ChatColours:
    """The colours the chat draws with, all opaque (or named ANSI colours)."""

    background: Color
    """The screen behind the bubbles."""
    own: Color
    """The box of the user's own messages."""
    own_text: Color
    """Text on :attr:`own`."""
    peer: Color
    """The box of everyone else's messages."""
    peer_text: Color
    """Text on :attr:`peer`."""
    selected: Color
    """The box of the selected message."""
    selected_text: Color
    """Text on :attr:`selected`."""
    muted: Color
    """Times, notices and dividers on the screen background."""
    sender: Color
    """Senders' names above their messages."""
    accent: Color
    """Text that draws the eye on the screen background (unread divider, selected time)."""
    error: Color
    """Failures on the screen background."""


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast(first: Color, second: Color) -> float:
    """The WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def difference(first: Color, second: Color) -> float:
    """CIE76 ΔE: the distance of two colours in CIE-L*ab (2.3 is barely noticeable)."""
    a, b = rgb_to_lab(first), rgb_to_lab(second)
    return float(((a.L - b.L) ** 2 + (a.a - b.a) ** 2 + (a.b - b.b) ** 2) ** 0.5)


def _text_on(box: Color, preferred: Color) -> Color:
    """``preferred`` if it reads on ``box``, else black or white, whichever reads better."""
    if contrast(preferred, box) >= READABLE:
        return preferred
    return max((_WHITE, _BLACK), key=lambda text: contrast(text, box))


def _readable_towards(start: Color, target: Color, on: Color) -> Color:
    """The first colour from ``start`` towards ``target`` that reads on ``on``."""
    for step in (0.0, *_STEPS):
        colour = start.blend(target, step)
        if contrast(colour, on) >= READABLE:
            return colour
    return _text_on(on, target)


def _box(
    background: Color, tints: Iterable[Color], apart: tuple[Color, ...], least: float = 0.0
) -> Color:
    """The least tinted box that stands apart from the background and ``apart``.

    Tries each tint in turn, blending at least ``least`` of it into the background and
    a little more at each step. Far enough means :data:`DISTINCT` in true colour and
    another entry of the 256-colour palette (so that the three stay apart there too).
    If no candidate is far enough from every colour, takes the farthest.
    """
    best, best_distance = background, -1.0
    others = (background, *apart)
    taken = {nearest_entry(*other.rgb) for other in others}
    for tint in tints:
        for step in _STEPS:
            if step < least:
                continue
            candidate = background.blend(tint, step)
            distance = min(difference(candidate, other) for other in others)
            if distance >= DISTINCT and nearest_entry(*candidate.rgb) not in taken:
                return candidate
            if distance > best_distance:
                best, best_distance = candidate, distance
    return best


def parse_variable(variables: Mapping[str, str], name: str, fallback: Color) -> Color:
    """The theme variable `name` as an opaque colour; `fallback` when missing or bad."""
    value = variables.get(name)
    if value is None:
        return fallback
    try:
        colour = Color.parse(value)
    except ColorParseError:
        return fallback
    return colour if colour.a == 1 or colour.ansi is not None else fallback


def _ansi(background: Color, dark: bool) -> ChatColours:
    """Named ANSI colours, chosen to read on the common dark and light terminal palettes."""
    black, white = Color.parse("ansi_black"), Color.parse("ansi_bright_white")
    cyan, magenta = Color.parse("ansi_cyan"), Color.parse("ansi_magenta")
    own, own_text = (cyan, black) if dark else (Color.parse("ansi_blue"), white)
    peer, peer_text = (Color.parse("ansi_bright_black"), white) if dark else (cyan, black)
    return ChatColours(
        background=background,
        own=own,
        own_text=own_text,
        peer=peer,
        peer_text=peer_text,
        selected=magenta,
        selected_text=white,
        muted=Color.parse("ansi_default"),
        sender=magenta,
        accent=magenta,
        error=Color.parse("ansi_red"),
    )


@lru_cache(maxsize=64)
def _derive(items: frozenset[tuple[str, str]], dark: bool | None) -> ChatColours:
    variables = dict(items)
    background = parse_variable(variables, "background", _BLACK)
    if dark is None:
        dark = background.brightness < 0.5
    if background.ansi is not None:
        return _ansi(background, dark)
    foreground = parse_variable(variables, "foreground", _WHITE if dark else _BLACK)
    if foreground.ansi is not None:
        foreground = _WHITE if dark else _BLACK
    primary = parse_variable(variables, "primary", foreground)
    secondary = parse_variable(variables, "secondary", primary)
    accent = parse_variable(variables, "accent", secondary)
    error = parse_variable(variables, "error", foreground)
    # Others' bubbles: a neutral lift of the screen; one's own: tinted with the primary.
    peer = parse_variable(variables, "bubble-peer", _box(background, (foreground, secondary), ()))
    own = parse_variable(
        variables,
        "bubble-own",
        _box(background, (primary, secondary, accent), (peer,), least=_OWN_TINT),
    )
    selected = _box(background, (accent, secondary), (own, peer))
    muted = parse_variable(
        variables,
        "notice",
        _readable_towards(background.blend(foreground, 0.55), foreground, background),
    )
    return ChatColours(
        background=background,
        own=own,
        own_text=_text_on(own, foreground),
        peer=peer,
        peer_text=_text_on(peer, foreground),
        selected=selected,
        selected_text=_text_on(selected, foreground),
        muted=muted,
        sender=_readable_towards(secondary, foreground, background),
        accent=_readable_towards(accent, foreground, background),
        error=_readable_towards(error, foreground, background),
    )


def derive(variables: Mapping[str, str], dark: bool | None = None) -> ChatColours:
    """The chat's colours for a theme's CSS variables (e.g. ``App.theme_variables``).

    Args:
        variables: The theme's colour system, with the theme's own variables.
        dark: Whether the theme is dark; only ANSI themes need to be told (their
            background is the terminal's), the others' background says.

    Cached: a theme's variables give the same colours every time.
    """
    return _derive(frozenset(variables.items()), dark)


def bubble_variables(variables: Mapping[str, str], dark: bool | None = None) -> dict[str, str]:
    """The CSS variables ``bubble-own``, ``bubble-peer`` and ``notice`` for a theme.

    Return them from ``App.get_theme_variable_defaults()`` so that stylesheets can use
    ``$bubble-own`` with any theme, in the colours the bubbles are drawn in. Arguments
    as for :func:`derive`.
    """
    colours = derive(variables, dark)
    return {
        "bubble-own": colours.own.hex,
        "bubble-peer": colours.peer.hex,
        "notice": colours.muted.hex,
    }

"""Bubble colours, derived once per theme from the app's CSS variables.

Bubbles render their parts themselves (one widget per message keeps layout cheap), so
their colours come from the theme's variables rather than from per-part CSS, which
Textual would re-apply for every bubble on every mount. The app's themes define
``bubble-own``, ``bubble-peer`` and ``notice``; Textual's built-in themes do not, so each
falls back to a Textual variable (``primary-muted``, ``panel``, the muted foreground).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from weakref import WeakKeyDictionary

from rich.style import Style
from textual.color import Color, ColorParseError


class _Themed(Protocol):
    theme_variables: dict[str, str]


@dataclass(frozen=True)
class Palette:
    """The Rich styles of every part of a bubble."""

    own: Style
    peer: Style
    selected: Style
    sender: Style
    meta: Style
    meta_selected: Style
    failed: Style
    divider: Style
    date: Style
    unread: Style
    notice: Style
    muted: Style
    own_detail: Style
    """Secondary text (sizes, durations) inside own bubbles."""
    peer_detail: Style
    """Secondary text inside others' bubbles."""
    link: Style
    """Links in message text: underlined, in the box's own text colour."""
    mention: Style
    """An @mention of someone else."""
    mention_me: Style
    """An @mention of this user (or @all): reversed, so it stands out."""
    unplayed: Style
    """The dot of a voice message not listened to yet (others' bubbles only)."""
    title: Style
    """Card titles (articles, rich content, chat history)."""


_cache: WeakKeyDictionary[_Themed, tuple[dict[str, str], Palette]] = WeakKeyDictionary()


def _colour(variables: dict[str, str], names: tuple[str, ...], fallback: Color) -> Color:
    for name in names:
        value = variables.get(name)
        if value is None:
            continue
        try:
            return Color.parse(value)
        except ColorParseError:
            continue
    return fallback


def _box(background: Color) -> Style:
    text = background + background.get_contrast_text(0.9)
    return Style(color=text.rich_color, bgcolor=background.rich_color)


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast(first: Color, second: Color) -> float:
    """The WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _detail(background: Color) -> Style:
    text = background + background.get_contrast_text(0.9)
    return Style(color=text.blend(background, 0.3).rich_color)


def _readable(colour: Color, backgrounds: tuple[Color, ...], minimum: float = 3.0) -> bool:
    return all(contrast(colour, background) >= minimum for background in backgrounds)


def palette(app: _Themed) -> Palette:
    """Return the palette of the app's current theme (cached until the theme changes)."""
    variables = app.theme_variables
    cached = _cache.get(app)
    if cached is not None and cached[0] is variables:
        return cached[1]
    dark, light = Color(0, 0, 0), Color(255, 255, 255)
    background = _colour(variables, ("background",), dark)
    foreground = _colour(variables, ("foreground",), light)
    muted = background.blend(foreground, 0.6)
    accent = _colour(variables, ("text-accent", "accent"), foreground)
    error = _colour(variables, ("text-error", "error"), foreground)
    notice = _colour(variables, ("notice",), muted)
    own_box = _colour(variables, ("bubble-own", "primary-muted"), background)
    peer_box = _colour(variables, ("bubble-peer", "panel"), background)
    boxes = (own_box, peer_box)
    plain_accent = _colour(variables, ("accent",), foreground)
    mention = (
        Style(color=plain_accent.rich_color, bold=True)
        if _readable(plain_accent, boxes)
        else Style(bold=True, underline=True)
    )
    plain_error = _colour(variables, ("error",), foreground)
    dot = plain_error if _readable(plain_error, (peer_box,)) else peer_box.get_contrast_text()
    result = Palette(
        own=_box(own_box),
        peer=_box(peer_box),
        selected=_box(_colour(variables, ("accent-muted",), background)),
        sender=Style(color=muted.rich_color, bold=True),
        meta=Style(color=muted.rich_color),
        meta_selected=Style(color=accent.rich_color),
        failed=Style(color=error.rich_color, bold=True),
        divider=Style(color=muted.rich_color),
        date=Style(color=muted.rich_color, bold=True),
        unread=Style(color=accent.rich_color, bold=True),
        notice=Style(color=notice.rich_color),
        muted=Style(color=muted.rich_color, italic=True),
        own_detail=_detail(own_box),
        peer_detail=_detail(peer_box),
        link=Style(underline=True),
        mention=mention,
        mention_me=Style(bold=True, reverse=True),
        unplayed=Style(color=dot.rich_color, bold=True),
        title=Style(bold=True),
    )
    _cache[app] = (variables, result)
    return result

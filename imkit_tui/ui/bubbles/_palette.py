"""Bubble colours, derived once per theme from the app's CSS variables.

Bubbles render their parts themselves into the chat's lines (no widget per message), so
their colours come from the theme's variables rather than from per-part CSS. The
colours themselves are derived from any theme's colour system by
:func:`imkit_tui.ui.theme_colours.derive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from weakref import WeakKeyDictionary

from rich.style import Style
from textual.color import Color

from imkit_tui.ui.theme_colours import contrast, derive, parse_variable


class _Theme(Protocol):
    dark: bool


class _Themed(Protocol):
    theme_variables: dict[str, str]

    @property
    def current_theme(self) -> _Theme: ...


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


def _box(background: Color, text: Color) -> Style:
    return Style(color=text.rich_color, bgcolor=background.rich_color)


def _detail(background: Color, text: Color) -> Style:
    """Secondary text in a box: the box's text a little towards the box (still readable)."""
    if text.ansi is not None or background.ansi is not None:
        return Style(color=text.rich_color, dim=True)
    softer = text.blend(background, 0.3)
    return Style(color=(softer if contrast(softer, background) >= 3 else text).rich_color)


def _readable(colour: Color, backgrounds: tuple[Color, ...], minimum: float = 3.0) -> bool:
    if colour.ansi is not None or any(back.ansi is not None for back in backgrounds):
        return False
    return all(contrast(colour, background) >= minimum for background in backgrounds)


def palette(app: _Themed) -> Palette:
    """Return the palette of the app's current theme (cached until the theme changes)."""
    variables = app.theme_variables
    cached = _cache.get(app)
    if cached is not None and cached[0] is variables:
        return cached[1]
    colours = derive(variables, app.current_theme.dark)
    boxes = (colours.own, colours.peer)
    plain_accent = parse_variable(variables, "accent", colours.peer_text)
    mention = (
        Style(color=plain_accent.rich_color, bold=True)
        if _readable(plain_accent, boxes)
        else Style(bold=True, underline=True)
    )
    plain_error = parse_variable(variables, "error", colours.peer_text)
    dot = plain_error if _readable(plain_error, (colours.peer,)) else colours.peer_text
    muted = colours.muted.rich_color
    result = Palette(
        own=_box(colours.own, colours.own_text),
        peer=_box(colours.peer, colours.peer_text),
        selected=_box(colours.selected, colours.selected_text),
        sender=Style(color=colours.sender.rich_color, bold=True),
        meta=Style(color=muted),
        meta_selected=Style(color=colours.accent.rich_color),
        failed=Style(color=colours.error.rich_color, bold=True),
        divider=Style(color=muted),
        date=Style(color=muted, bold=True),
        unread=Style(color=colours.accent.rich_color, bold=True),
        notice=Style(color=muted),
        muted=Style(color=muted, italic=True),
        own_detail=_detail(colours.own, colours.own_text),
        peer_detail=_detail(colours.peer, colours.peer_text),
        link=Style(underline=True),
        mention=mention,
        mention_me=Style(bold=True, reverse=True),
        unplayed=Style(color=dot.rich_color, bold=True),
        title=Style(bold=True),
    )
    _cache[app] = (variables, result)
    return result

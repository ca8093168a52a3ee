"""The actions a bubble can ask for, and the clickable spots that carry them.

A bubble never acts by itself: it posts
:class:`~imkit_tui.ui.bubbles.base.Bubble.ActionRequested` with one of the names below
and the chat view or the screen does the work (open a browser, start a player, save a
file). The names are fixed; :meth:`Bubble.actions` lists those a bubble supports.

Clickable parts of a body (a link in a text, the "open in map" line, an article title)
carry their action and URL in the Rich style's meta (:func:`link_style`); the bubble
reads them back from the click (:func:`link_at`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from rich.style import Style

OPEN_LINK: Final = "open_link"
"""Open a URL in the browser (the request carries the URL)."""
PLAY: Final = "play"
"""Start or stop playing a voice message or a short video (a toggle)."""
VIEW: Final = "view"
"""Show the full picture (image, GIF) or open the chat-history viewer (merged forward)."""
SAVE: Final = "save"
"""Save the media file to disk (image, file, video, voice, GIF)."""
OPEN: Final = "open"
"""Open a downloaded file with the system's default application."""
DOWNLOAD: Final = "download"
"""Download the media file of the message."""
OPEN_MAP: Final = "open_map"
"""Open a location in a web map (the request carries the map URL)."""
STOP_ANIMATIONS: Final = "stop_animations"
"""Stop (or restart) every animated GIF."""
COPY: Final = "copy"
"""Copy the text of the message."""
READ: Final = "read"
"""Show the whole text of the message in the full-screen reader."""

ALL: Final = (OPEN_LINK, PLAY, VIEW, SAVE, OPEN, DOWNLOAD, OPEN_MAP, STOP_ANIMATIONS, COPY, READ)
"""Every action name, for handlers that want to check what they receive."""

LABELS: Final[Mapping[str, str]] = {
    OPEN_LINK: "Open link",
    PLAY: "Play",
    VIEW: "View",
    SAVE: "Save as…",
    OPEN: "Open",
    DOWNLOAD: "Download",
    OPEN_MAP: "Open in map",
    STOP_ANIMATIONS: "Stop animations",
    COPY: "Copy text",
    READ: "Read all",
}
"""The default label of each action, as menus show it."""

_URL_KEY = "imkit.url"
_ACTION_KEY = "imkit.action"


def labelled(*names: str) -> list[tuple[str, str]]:
    """Return ``[(name, label), …]`` for the given action names, in order."""
    return [(name, LABELS.get(name, name)) for name in names]


def link_style(url: str, action: str = OPEN_LINK, *, base: Style | None = None) -> Style:
    """Return a style that marks text as a clickable ``action`` on ``url``.

    Args:
        url: The URL the action opens.
        action: The action a click posts (:data:`OPEN_LINK` by default).
        base: The look of the text (underline, colour); the meta is added to it.
    """
    meta = Style.from_meta({_URL_KEY: url, _ACTION_KEY: action})
    return meta if base is None else base + meta


def link_at(style: Style | None) -> tuple[str, str] | None:
    """Return ``(action, url)`` when ``style`` (under a click) marks a link, else None."""
    if style is None:
        return None
    try:
        meta = style.meta
    except Exception:  # a meta blob that does not unpickle
        return None
    url, action = meta.get(_URL_KEY), meta.get(_ACTION_KEY)
    if isinstance(url, str) and url and isinstance(action, str) and action:
        return action, url
    return None

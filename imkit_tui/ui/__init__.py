"""The Textual app (the IMKit equivalent): screens, widgets and bubbles.

Talks to the client core only through its public API and events; never imports the
server. :func:`load_plugins` (from :mod:`imkit_tui.plugins`, which the app runs once its
first frame is out) loads on first use (:func:`imkit_tui.lazy.lazy_names`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
    from imkit_tui.plugins import load_plugins

__all__ = ["load_plugins"]

__getattr__ = lazy_names(__name__, {"load_plugins": "imkit_tui.plugins"})

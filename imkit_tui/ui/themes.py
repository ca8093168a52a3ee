"""Colour themes: TOML files mapped onto Textual's :class:`~textual.theme.Theme`.

The shipped themes live in the top-level ``themes/`` folder, installed as the package
``imkit_tui.themes``; users add their own in ``<config dir>/themes``. A theme file::

    name = "my-theme"            # defaults to the file name without ".toml"
    dark = true
    primary = "#4f9cf9"          # the only required colour
    background = "#121418"       # secondary, accent, warning, error, success,
                                 # foreground, surface, panel, boost likewise
    [variables]                  # extra CSS variables; bubble-own, bubble-peer and
    bubble-own = "#1f4a87"       # notice replace the colours derived from the above

Loading never raises: a file that cannot be read or parsed, or holds a bad value, is
skipped and described in :attr:`ThemeSet.problems`.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

import imkit_tui
from imkit_tui.ui.theme_colours import bubble_variables

__all__ = [
    "DEFAULT_THEME",
    "LIGHT_THEME",
    "ThemeSet",
    "builtin_theme_dir",
    "load_themes",
    "register_themes",
    "theme_variable_defaults",
]

log = logging.getLogger(__name__)

DEFAULT_THEME = "imkit-dark"
"""The theme the app starts with when the user chose none."""

LIGHT_THEME = "imkit-light"
"""The shipped light theme (for bright rooms and projectors)."""

_COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FLOAT_FIELDS = ("luminosity_spread", "text_alpha")
_BOOL_FIELDS = ("dark", "ansi")
_KNOWN_FIELDS = frozenset(("name", "variables", *_COLOR_FIELDS, *_FLOAT_FIELDS, *_BOOL_FIELDS))
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")

# Used only if the shipped imkit-dark.toml is missing or broken, so that
# `app.theme = DEFAULT_THEME` always works.
_FALLBACK_DEFAULT = Theme(
    name=DEFAULT_THEME,
    primary="#5aa2fa",
    secondary="#8b97e6",
    accent="#f9a84f",
    warning="#f5c542",
    error="#f26d6d",
    success="#5fd08a",
    foreground="#e8eaf0",
    background="#121418",
    surface="#1a1d23",
    panel="#242933",
    dark=True,
)


@dataclass
class ThemeSet:
    """The outcome of :func:`load_themes`.

    Attributes:
        themes: Every theme loaded, by name; always holds :data:`DEFAULT_THEME`.
        problems: One human-readable line per file skipped or value ignored, to
            show the user (also logged as warnings). Empty when all went well.
        sources: Where each theme came from (file path, or ``"<built-in>"``).
    """

    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The theme names, sorted."""
        return sorted(self.themes)


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    """Return the app's own CSS variables (``bubble-own``…) for ``theme``.

    Return this from ``App.get_theme_variable_defaults()``: the values are derived from
    the theme's colour system (:func:`~imkit_tui.ui.theme_colours.derive`), so every
    theme, Textual's built-in ones (``nord``…) included, defines them, in the colours
    the bubbles are drawn in. A theme's own ``[variables]`` still override them.

    Args:
        theme: The theme the app is switching to.
    """
    variables = {**theme.to_color_system().generate(), **theme.variables}
    return bubble_variables(variables, theme.dark)


def builtin_theme_dir() -> Traversable | None:
    """Locate the shipped theme files.

    Installed, they are the package ``imkit_tui.themes``; in a plain source
    checkout that package is not importable (the folder sits at the repository
    root), so fall back to ``<repo>/themes``.

    Returns:
        The folder, or ``None`` if neither exists.
    """
    # Where the package's folder is, without importing it (a plain folder on disk, as
    # installed or editable; importlib.resources costs ~1.5 ms more at every start).
    spec = importlib.util.find_spec("imkit_tui.themes")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if Path(location).is_dir():
            return Path(location)
    try:
        folder = importlib.resources.files("imkit_tui.themes")
    except (ModuleNotFoundError, TypeError):
        # TypeError: some importers cannot serve resources from a namespace package.
        folder = None
    if folder is not None and folder.is_dir():
        return folder
    checkout = Path(imkit_tui.__file__).resolve().parent.parent / "themes"
    return checkout if checkout.is_dir() else None


def load_themes(extra_dirs: Sequence[Path] = ()) -> ThemeSet:
    """Load the shipped themes, then the ``*.toml`` themes of each extra folder.

    A later theme replaces an earlier one of the same name, so a user theme may
    override a shipped one. A missing extra folder is not a problem (the user
    simply has no themes). Never raises.

    Args:
        extra_dirs: Folders of user themes, e.g. ``<config dir>/themes``.

    Returns:
        The themes and the problems met while loading them.
    """
    result = ThemeSet()
    builtin = builtin_theme_dir()
    if builtin is None:
        _report(result, "built-in themes not found; using a fallback dark theme")
    else:
        _load_folder(result, builtin, builtin=True)
    for folder in extra_dirs:
        try:
            if not folder.is_dir():
                continue
        except OSError as error:
            _report(result, f"{folder}: cannot read: {error}")
            continue
        _load_folder(result, folder, builtin=False)
    if DEFAULT_THEME not in result.themes:
        result.themes[DEFAULT_THEME] = _FALLBACK_DEFAULT
        result.sources[DEFAULT_THEME] = "<built-in>"
    return result


def register_themes(app: App[Any], theme_set: ThemeSet) -> None:
    """Register every theme of ``theme_set`` with ``app``.

    Does not select one: set ``app.theme`` afterwards (e.g. to the user's choice,
    falling back to :data:`DEFAULT_THEME` if it is not in ``theme_set.themes``).

    Args:
        app: The running or about-to-run app.
        theme_set: The result of :func:`load_themes`.
    """
    for theme in theme_set.themes.values():
        app.register_theme(theme)


def _report(result: ThemeSet, problem: str) -> None:
    """Record a problem and log it."""
    result.problems.append(problem)
    log.warning("theme: %s", problem)


def _toml_files(folder: Traversable) -> Iterator[Traversable]:
    """The folder's ``*.toml`` entries, in name order."""
    entries = [entry for entry in folder.iterdir() if entry.name.endswith(".toml")]
    return iter(sorted(entries, key=lambda entry: entry.name))


def _load_folder(result: ThemeSet, folder: Traversable, *, builtin: bool) -> None:
    """Load one folder's themes into ``result``."""
    try:
        files = list(_toml_files(folder))
    except OSError as error:
        _report(result, f"{folder}: cannot list: {error}")
        return
    seen_here: set[str] = set()
    for entry in files:
        label = entry.name if builtin else str(entry)
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            _report(result, f"{label}: cannot read: {error}")
            continue
        except tomllib.TOMLDecodeError as error:
            _report(result, f"{label}: not valid TOML: {error}")
            continue
        stem = entry.name.removesuffix(".toml")
        theme, notes = _theme_from_mapping(data, default_name=stem)
        for note in notes:
            _report(result, f"{label}: {note}")
        if theme is None:
            continue
        if theme.name in seen_here:
            _report(result, f"{label}: theme {theme.name!r} defined twice; using this file")
        seen_here.add(theme.name)
        result.themes[theme.name] = theme
        result.sources[theme.name] = label


def _theme_from_mapping(
    data: Mapping[str, Any], *, default_name: str
) -> tuple[Theme | None, list[str]]:
    """Build a Theme from one parsed file.

    Returns:
        The theme (``None`` if the file must be skipped) and notes for the user:
        the reason for skipping, or the fields ignored.
    """
    notes: list[str] = []
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        notes.append("ignoring unknown field(s): " + ", ".join(unknown))

    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        return None, [*notes, "skipped: 'name' must be a non-empty string"]
    name = name.strip()

    kwargs: dict[str, Any] = {}
    for key in _COLOR_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, str):
            return None, [*notes, f"skipped: {key!r} must be a colour string"]
        try:
            Color.parse(value)
        except ColorParseError:
            return None, [*notes, f"skipped: {key!r} is not a colour: {value!r}"]
        kwargs[key] = value
    if "primary" not in kwargs:
        return None, [*notes, "skipped: 'primary' colour is required"]
    for key in _BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                return None, [*notes, f"skipped: {key!r} must be true or false"]
            kwargs[key] = data[key]
    for key in _FLOAT_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None, [*notes, f"skipped: {key!r} must be a number"]
            kwargs[key] = float(value)

    raw_variables = data.get("variables", {})
    if not isinstance(raw_variables, Mapping):
        return None, [*notes, "skipped: [variables] must be a table"]
    variables, variable_notes = _variables(raw_variables.items())
    notes += variable_notes
    kwargs["variables"] = variables

    theme = Theme(name=name, **kwargs)
    try:
        # Catches what Color.parse alone does not (e.g. a bad derived shade).
        theme.to_color_system().generate()
    except Exception as error:  # Textual raises several types here
        return None, [*notes, f"skipped: colours rejected by Textual: {error}"]
    return theme, notes


def _variables(items: Iterable[tuple[Any, Any]]) -> tuple[dict[str, str], list[str]]:
    """Keep the well-formed ``[variables]`` entries; numbers become strings."""
    variables: dict[str, str] = {}
    notes: list[str] = []
    for key, value in items:
        if not isinstance(key, str) or not _VARIABLE_NAME.match(key):
            notes.append(f"ignoring variable with a bad name: {key!r}")
        elif isinstance(value, str):
            variables[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            variables[key] = str(value)
        else:
            notes.append(f"ignoring variable {key!r}: value must be a string")
    return variables, notes

"""Plugins: message types and bubbles found through the ``imkit.plugins`` entry points.

A plugin is a distribution that declares, in its ``pyproject.toml``::

    [project.entry-points."imkit.plugins"]
    poll = "imkit_poll:setup"

``setup`` receives a :class:`PluginRegistry` and adds what the plugin brings::

    def setup(registry: PluginRegistry) -> None:
        registry.add_message_type(POLL_TYPE)            # content, flags, summary
        registry.add_bubble("App:Poll", PollBubble)      # how it looks in the chat

The built-in bubbles load through the same group (entry point ``builtin``), first, so a
plugin may replace one with ``replace=True``. Entry points are listed without importing
them; each is imported when :func:`load_plugins` runs. A plugin that fails to import or
whose ``setup`` raises is skipped and reported in :attr:`PluginReport.failures`; it never
stops the app.

This module is the plugin API and imports nothing of the UI: bubbles go to a
:class:`BubbleTable`, a small contract the UI's bubble registry fulfils and hands over
with :func:`use_bubble_table` when it is imported (as a bubble class is, before a
plugin can pass one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from imkit_tui import messages

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

log = logging.getLogger(__name__)

GROUP = "imkit.plugins"
"""The entry-point group plugins declare themselves in."""

BUILTIN = "builtin"
"""The name of the built-in bubbles' entry point; always loaded first."""

_BUILTIN_TARGET = "imkit_tui.ui.bubbles.builtin:setup"


class BubbleTable(Protocol):
    """Where plugins' bubbles go: object name → bubble class (the UI's bubble registry)."""

    def __call__(self, object_name: str, bubble_class: type[Any], *, replace: bool = False) -> None:
        """Show messages of ``object_name`` with ``bubble_class``.

        Raises ``ValueError`` for a name already taken without ``replace`` and
        ``TypeError`` for a class that is not a bubble.
        """


_bubble_table: BubbleTable | None = None


def use_bubble_table(table: BubbleTable) -> None:
    """Send the bubbles plugins add to ``table`` (the UI's registry calls this)."""
    global _bubble_table
    _bubble_table = table


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin that could not be loaded, and why (one line, for the user)."""

    name: str
    target: str
    reason: str


@dataclass(slots=True)
class PluginReport:
    """What :func:`load_plugins` did: the plugins loaded and those skipped."""

    loaded: list[str] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)


class PluginRegistry:
    """What a plugin's ``setup`` may add to: message types and bubbles.

    Both methods raise ``ValueError`` for a name already taken unless ``replace`` is
    true, and ``TypeError`` for a malformed argument; the loader turns either into a
    reported failure of that plugin.
    """

    def __init__(self, plugin: str) -> None:
        """Create the registry handed to the plugin named ``plugin``."""
        self.plugin = plugin
        """The entry-point name of the plugin being set up."""
        self.message_types: list[str] = []
        """Object names of the message types this plugin added."""
        self.bubbles: list[str] = []
        """Object names this plugin registered a bubble for."""

    def add_message_type(
        self, message_type: messages.MessageType, *, replace: bool = False
    ) -> None:
        """Add a message type to the catalogue (flags, summary), or replace one."""
        messages.register(message_type, replace=replace)
        self.message_types.append(message_type.object_name)

    def add_bubble(
        self, object_name: str, bubble_class: type[Any], *, replace: bool = False
    ) -> None:
        """Show messages of ``object_name`` with ``bubble_class`` (a ``Bubble`` subclass: a
        renderer object the chat view draws as lines, not a widget; see docs/plugins.md)."""
        if _bubble_table is None:
            raise TypeError(f"{object_name}: expected a Bubble subclass, not {bubble_class!r}")
        _bubble_table(object_name, bubble_class, replace=replace)
        self.bubbles.append(object_name)


Setup = Callable[[PluginRegistry], None]
"""The shape of a plugin's entry point."""

_report: PluginReport | None = None


def discover() -> list[EntryPoint]:
    """List the entry points of the group without importing them; built-ins first.

    When the package runs from a source tree without installed metadata, the built-in
    entry point is supplied so the app still has its bubbles.
    """
    # Imported here: importlib.metadata costs ~10 ms, paid after the first frame.
    from importlib.metadata import EntryPoint, entry_points

    found = list(entry_points(group=GROUP))
    builtin = [ep for ep in found if ep.name == BUILTIN]
    others = sorted((ep for ep in found if ep.name != BUILTIN), key=lambda ep: ep.name)
    if not builtin:
        builtin = [EntryPoint(name=BUILTIN, value=_BUILTIN_TARGET, group=GROUP)]
    return builtin[:1] + others


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def _load_one(entry: EntryPoint) -> None:
    target = entry.load()
    if not callable(target):
        raise TypeError(f"{entry.value} is not callable")
    target(PluginRegistry(entry.name))


def load_plugins(entries: Iterable[EntryPoint] | None = None) -> PluginReport:
    """Import and set up every plugin once; later calls return the first report.

    ``entries`` replaces discovery (tests); giving it always loads them, even when
    plugins were loaded before. Never raises for a plugin's fault.
    """
    global _report
    if entries is None and _report is not None:
        return _report
    report = _report if _report is not None else PluginReport()
    for entry in discover() if entries is None else entries:
        if entry.name in report.loaded:
            continue
        try:
            _load_one(entry)
        except Exception as exc:
            log.warning("plugin %s (%s) failed to load", entry.name, entry.value, exc_info=True)
            report.failures.append(PluginFailure(entry.name, entry.value, _reason(exc)))
        else:
            report.loaded.append(entry.name)
    _report = report
    return report

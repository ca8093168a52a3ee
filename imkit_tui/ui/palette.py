"""Each screen brings its own command palette entries, as a :class:`ScreenCommands`.

A screen lists a provider in its ``COMMANDS`` (or a function returning one, so that the
provider's module loads when the palette first opens); the app's own entries (Textual's,
the themes) stay with the app, which never reaches into a screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


class ScreenCommands(Provider):
    """A screen's palette entries: subclasses list them in :meth:`commands`."""

    def commands(self) -> Iterable[SystemCommand]:
        """The entries offered now (they may depend on the screen's state)."""
        return ()

    async def discover(self) -> Hits:
        """Offered before anything is typed, by title."""
        for command in sorted(self.commands(), key=lambda command: command.title):
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        """Offered when the typed text matches the title."""
        matcher = self.matcher(query)
        for command in self.commands():
            if (score := matcher.match(command.title)) > 0:
                yield Hit(
                    score, matcher.highlight(command.title), command.callback, help=command.help
                )


def lazy_provider(module: str, name: str) -> Callable[[], type[Provider]]:
    """A ``COMMANDS`` entry that imports the provider ``module.name`` when the palette opens."""

    def load() -> type[Provider]:
        provider: type[Provider] = getattr(import_module(module), name)
        return provider

    load.__name__ = f"load_{name}"
    return load


def entries(screen: Screen[Any]) -> list[SystemCommand]:
    """Every entry the palette offers now on ``screen``: the app's own, then those of
    the screen's providers (a provider that is not a :class:`ScreenCommands` is left out)."""
    found = list(screen.app.get_system_commands(screen))
    for source in screen.COMMANDS:
        provider = source if isinstance(source, type) else source()
        if issubclass(provider, ScreenCommands):
            found += provider(screen).commands()
    return found

"""`imkit` and its subcommands.

A subcommand's module is imported, and its parser built, only when the command is named
(`imkit send …`): plain `imkit` loads what the chat app needs and nothing else, and
`imkit --help` lists every command from :data:`COMMANDS` without importing any.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Protocol, cast

from imkit_tui import __version__
from imkit_tui.commands import app_options
from imkit_tui.commands.common import EXIT_FAILED, CommandError, fail
from imkit_tui.paths import PathError

Subparsers = argparse._SubParsersAction  # argparse's type of `add_subparsers()`

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the reference IM server"),
    "token": ("token", "print a login token for a user, or revoke a user's tokens"),
    "credentials": ("credentials", "print the app key and secret of the Server API"),
    "admin": ("admin", "call the Server API: tokens, users, groups, messages"),
    "send": ("send", "send messages: text, any message type, files"),
    "history": ("history", "print a conversation"),
    "recall": ("edit_history", "recall messages you sent"),
    "delete": ("edit_history", "delete messages for yourself"),
    "clear": ("edit_history", "clear a conversation's history for yourself"),
    "search": ("search", "search messages"),
    "tail": ("tail", "print incoming messages as they arrive"),
    "block": ("privacy", "refuse messages from users"),
    "unblock": ("privacy", "accept messages from users again"),
    "whitelist": ("privacy", "the whitelist: add or remove users, whitelist mode on or off"),
    "privacy": ("privacy", "print who you block, your whitelist and whitelist mode"),
    "group": ("group", "create and manage groups"),
}
"""Every subcommand, in `imkit --help` order: the module under `imkit_tui.commands` that
registers it (its `add_parser(subparsers)`), and its line in `imkit --help`."""


class _CommandModule(Protocol):
    def add_parser(self, subparsers: Subparsers[argparse.ArgumentParser]) -> None: ...


class _LazyParsers(dict[str, argparse.ArgumentParser]):
    """The subcommands' parsers by name, each built when argparse first asks for it."""

    def __init__(self, subparsers: Subparsers[argparse.ArgumentParser]) -> None:
        super().__init__()
        self._subparsers = subparsers
        self._pending = dict.fromkeys(COMMANDS)
        self._building = False

    def __contains__(self, name: object) -> bool:
        # While a module registers its parsers, only those built count (argparse
        # refuses to add a name it already has).
        return super().__contains__(name) or (not self._building and name in self._pending)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pending)  # every command, built or not ("choose from …")

    def __len__(self) -> int:
        return len(self._pending)

    def __missing__(self, name: str) -> argparse.ArgumentParser:
        if name not in self._pending:
            raise KeyError(name)
        module_name = COMMANDS[name][0]
        module = cast(_CommandModule, importlib.import_module(f"imkit_tui.commands.{module_name}"))
        # The module registers all its commands (argparse stores them in this mapping
        # through dict.__setitem__); the one-line help listed stays the table's.
        self._building = True
        try:
            module.add_parser(self._subparsers)
        finally:
            self._building = False
        for built in list(self.values()):
            _remember_parsers(built)
        return super().__getitem__(name)


def build_parser() -> argparse.ArgumentParser:
    """The parser of `imkit` and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="imkit",
        description="imkit: a terminal chat client with its own reference IM server. "
        "Without a command it opens the chat app: on --server, or else on a server it "
        "runs itself, with a demo workspace on first start.",
        # A command's own options (`send --to`) must never be read as a prefix of the
        # app's (`--token`, `--token-file`).
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"imkit {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="keep config, data and cache under DIR (default: $IMKIT_HOME, else the "
        "platform's folders)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    app_options.add_arguments(parser)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", description="without a command, imkit opens the chat app"
    )
    for name, (_, helptext) in COMMANDS.items():
        subparsers._choices_actions.append(subparsers._ChoicesPseudoAction(name, (), helptext))
    subparsers._name_parser_map = subparsers.choices = _LazyParsers(subparsers)
    parser.set_defaults(usage_parser=parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command's parser itself as the default `usage_parser`, so that an
    unknown option is reported with the usage of the command it was given to."""
    parser.set_defaults(usage_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.values(action.choices):
                _remember_parsers(sub)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv`; what no parser knows is an error of the innermost command given."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        usage_parser: argparse.ArgumentParser = args.usage_parser
        usage_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _open_app(args: argparse.Namespace) -> int:
    """The chat app, loaded only now (a command never loads the UI).

    Start-up allocates much that lives as long as the app: the garbage collector waits
    for the first frame (the main screen then freezes what exists and turns it on).
    """
    gc.disable()
    from imkit_tui.commands import app

    return app.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `imkit` with `argv` (default: the process's arguments); return the exit code."""
    parser = build_parser()
    args = parse(parser, argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code: int = _open_app(args) if args.command is None else args.run(args)
        return code
    except CommandError as exc:
        fail(str(exc))
        return exc.exit_code
    except PathError as exc:
        fail(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the user never sees a traceback unless they ask for one
        if os.environ.get("IMKIT_DEBUG"):
            raise
        fail(f"unexpected error: {exc!r} (set IMKIT_DEBUG=1 for details)")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

"""`imkit` and its subcommands.

A subcommand's module is imported, and its parser built, only when the command is named
(`imkit send …`): plain `imkit` loads what the chat app needs and nothing else, and
`imkit --help` lists every command from :data:`COMMANDS` without importing any. Only
argparse's public API is used: a first pass with a stand-in parser per command finds
the command named, a second parses with that command's real parser.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any, Protocol, cast

from imkit_tui import __version__
from imkit_tui.commands import app_options
from imkit_tui.commands.common import EXIT_FAILED, CommandError, Subparsers, fail
from imkit_tui.paths import PathError

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the reference IM server"),
    "token": ("token", "print a login token for a user, or revoke a user's tokens"),
    "credentials": ("credentials", "print the app key and secret of the Server API"),
    "admin": ("admin", "call the Server API: tokens, users, groups, messages"),
    "send": ("send", "send messages: text, any message type, files"),
    "history": ("history", "print a conversation"),
    "recall": ("edit_history", "recall messages you sent"),
    "delete": ("edit_history", "delete messages for yourself (or, in an ultra group, by time)"),
    "clear": ("edit_history", "clear a conversation's history for yourself"),
    "edit": ("edit_history", "edit a message you sent in an ultra group"),
    "search": ("search", "search messages"),
    "tail": ("tail", "print incoming messages as they arrive"),
    "block": ("privacy", "refuse messages from users"),
    "unblock": ("privacy", "accept messages from users again"),
    "whitelist": ("privacy", "the whitelist: add or remove users, whitelist mode on or off"),
    "privacy": ("privacy", "print who you block, your whitelist and whitelist mode"),
    "profile": ("profile", "your display name and picture: set or show; others' too"),
    "group": ("group", "create and manage groups"),
    "public": ("public", "public service accounts: make them, set menus, post articles"),
    "ultra": ("ultra", "create, join and manage ultra groups and their channels"),
    "chatroom": ("chatroom", "live rooms: create, destroy, join, members, mute, ban, attributes"),
    "cs": ("cs", "customer service: serve customers as an agent (imkit cs agent)"),
}
"""Every subcommand, in `imkit --help` order: the module under `imkit_tui.commands` that
registers it (its `add_parser(subparsers)`), and its line in `imkit --help`."""


class _CommandModule(Protocol):
    def add_parser(self, subparsers: Subparsers) -> None: ...


class _Parser(argparse.ArgumentParser):
    """A parser that is its own default `usage_parser`: what no parser knows is then
    reported with the usage of the innermost command given (argparse builds a command's
    parsers with the class of the parser they belong to, and the innermost's defaults
    win)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_defaults(usage_parser=self)


def build_parser(
    command: str | None = None,
    *,
    stand_ins: Collection[str] = COMMANDS.keys(),
    exit_on_error: bool = True,
) -> argparse.ArgumentParser:
    """The parser of `imkit`, with `command`'s real parser (and those its module
    registers beside it), and a stand-in that only names the command for each other
    name in `stand_ins`. `exit_on_error` as argparse's.

    Raises:
        KeyError: `command` is not in :data:`COMMANDS`.
        RuntimeError: its module registers a command :data:`COMMANDS` does not list.
    """
    parser = _Parser(
        prog="imkit",
        description="imkit: a terminal chat client with its own reference IM server. "
        "Without a command it opens the chat app: on --server, or else on a server it "
        "runs itself, with a demo workspace on first start.",
        # A command's own options (`send --to`) must never be read as a prefix of the
        # app's (`--token`, `--token-file`).
        allow_abbrev=False,
        exit_on_error=exit_on_error,
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
    built = None if command is None else COMMANDS[command][0]
    for name, (module_name, helptext) in COMMANDS.items():
        if module_name != built and name in stand_ins:
            # Enough to name the command (and list it in --help); what follows it is
            # left unparsed, for `parse` to read again with the command built.
            subparsers.add_parser(name, help=helptext, add_help=False)
        elif name == command:
            module = importlib.import_module(f"imkit_tui.commands.{module_name}")
            cast(_CommandModule, module).add_parser(subparsers)
    unlisted = set(subparsers.choices or ()) - set(COMMANDS)
    if unlisted:
        raise RuntimeError(f"commands missing from cli.COMMANDS: {sorted(unlisted)}")
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv` (default: the process's arguments); what no parser knows is an error
    of the innermost command given.

    A first pass finds the command named, if any, with a stand-in parser for each
    command name among the words (for each command, when help is asked: its listing
    names them all); only then is the command's module imported and `argv` parsed
    again with its real parser. Stand-ins cost about 60 us each, most of it in
    argparse's gettext calls. Should the first pass find an error (a stray word), a
    pass with every stand-in reports it, listing the commands.
    """
    words = sys.argv[1:] if argv is None else argv
    if any(word in ("-h", "--help") for word in words):
        named: Collection[str] = COMMANDS.keys()
    else:
        named = {word for word in words if word in COMMANDS}
    try:
        parser = build_parser(stand_ins=named, exit_on_error=False)
        args, unknown = parser.parse_known_args(words)
    except argparse.ArgumentError:
        args, unknown = build_parser().parse_known_args(words)
    if args.command is not None:
        # The first pass checked all but the command's own arguments.
        args, unknown = build_parser(args.command, stand_ins=()).parse_known_args(words)
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
    args = parse(argv)
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

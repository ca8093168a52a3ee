"""`imkit` and its subcommands."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from imkit_tui import __version__
from imkit_tui.commands import (
    app,
    edit_history,
    group,
    history,
    privacy,
    search,
    send,
    serve,
    tail,
    token,
)
from imkit_tui.commands.common import EXIT_FAILED, CommandError, fail
from imkit_tui.paths import PathError


def build_parser() -> argparse.ArgumentParser:
    """The parser of `imkit` and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="imkit",
        description="imkit: a terminal chat client with its own reference IM server. "
        "Without a command it opens the chat app: on --server, or else on a server it "
        "runs itself, with a demo workspace on first start.",
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
    app.add_arguments(parser)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", description="without a command, imkit opens the chat app"
    )
    modules = (serve, token, send, history, edit_history, search, tail, privacy, group)
    for module in modules:
        module.add_parser(subparsers)
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command's parser itself as the default `usage_parser`, so that an
    unknown option is reported with the usage of the command it was given to."""
    parser.set_defaults(usage_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _remember_parsers(sub)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv`; what no parser knows is an error of the innermost command given."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        usage_parser: argparse.ArgumentParser = args.usage_parser
        usage_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run `imkit` with `argv` (default: the process's arguments); return the exit code."""
    parser = build_parser()
    args = parse(parser, argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code: int = app.run(args) if args.command is None else args.run(args)
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

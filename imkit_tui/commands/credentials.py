"""`imkit credentials`: print the app key and secret a backend signs Server API
requests with (made by the server in its data dir on first start)."""

from __future__ import annotations

import argparse
from pathlib import Path

from imkit_tui.commands.common import EXIT_OK, EXIT_USAGE, CommandError
from imkit_tui.paths import Paths


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `imkit credentials`."""
    parser = subparsers.add_parser(
        "credentials",
        description="Print the app key and secret of the server whose data dir is DIR, "
        "as two lines 'app key: KEY' and 'app secret: SECRET'. A backend signs its "
        "Server API requests with them. Start `imkit serve --data DIR` once first.",
    )
    parser.add_argument(
        "--data", metavar="DIR", help="the server's data dir (default: server/ in the data folder)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the pair kept in the data dir."""
    from imkit_tui.server.api.credentials import read_existing

    data = Path(args.data) if args.data else Paths.resolve(args.home).server_data
    try:
        credentials = read_existing(data)
    except OSError as exc:
        raise CommandError(f"cannot read the credentials in {data}: {exc}") from None
    if credentials is None:
        raise CommandError(
            f"no app key in {data}: start `imkit serve --data {data}` once first", EXIT_USAGE
        )
    print(f"app key: {credentials.app_key}")
    print(f"app secret: {credentials.app_secret}", flush=True)
    return EXIT_OK

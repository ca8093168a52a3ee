"""`imkit token USER`: print a login token signed with the server's app secret."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from imkit_tui.commands.common import EXIT_OK, EXIT_USAGE, CommandError
from imkit_tui.paths import Paths
from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.tokens import issue_token

if TYPE_CHECKING:
    from imkit_tui.server.config import ServerConfig


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `imkit token`."""
    parser = subparsers.add_parser(
        "token",
        help="print a login token for a user",
        description="Print a login token for USER, creating the user if new, signed with "
        "the app secret of the server whose data dir is DIR (start that server once first).",
    )
    parser.add_argument("user", metavar="USER", help="the user id (1 to 64 characters)")
    parser.add_argument(
        "--data", metavar="DIR", help="the server's data dir (default: server/ in the data folder)"
    )
    parser.add_argument(
        "--expires-in",
        type=int,
        metavar="SECONDS",
        help="make the token expire after SECONDS (default: never)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Create the user if needed and print the token."""
    from imkit_tui.server.auth import load_or_create_secret
    from imkit_tui.server.config import ServerConfig

    data = Path(args.data) if args.data else Paths.resolve(args.home).server_data
    if not args.user or len(args.user) > 64:
        raise CommandError("a user id has 1 to 64 characters")
    if args.user == SYSTEM_ACCOUNT:
        raise CommandError(f"'{SYSTEM_ACCOUNT}' is the server's own account")
    config = ServerConfig(data_dir=data)
    if not config.database_path.is_file():
        # A new secret here would sign tokens that no running server accepts.
        raise CommandError(
            f"no server store in {data}: start `imkit serve --data {data}` once, or give "
            "the data dir of the server the token is for",
            EXIT_USAGE,
        )
    try:
        secret = load_or_create_secret(data)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the app secret: {exc}") from None
    asyncio.run(_ensure_user(config, args.user))
    print(issue_token(secret, args.user, args.expires_in), flush=True)
    return EXIT_OK


async def _ensure_user(config: ServerConfig, user_id: str) -> None:
    from imkit_tui.server.store import ServerStore

    store = await ServerStore.open(config.database_path)
    try:
        await store.ensure_user(user_id, now_ms())
    finally:
        await store.close()

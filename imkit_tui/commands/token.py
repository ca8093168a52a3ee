"""`imkit token USER`: print a login token signed with the server's app secret, or
revoke every token of USER with `--revoke`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from imkit_tui.commands.common import EXIT_OK, EXIT_USAGE, CommandError, Subparsers
from imkit_tui.paths import Paths
from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.tokens import issue_token

if TYPE_CHECKING:
    from imkit_tui.server.config import ServerConfig

DEFAULT_TTL_SECONDS = 30 * 24 * 60 * 60
"""How long a token made by `imkit token` is valid unless told otherwise (30 days)."""


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit token`."""
    parser = subparsers.add_parser(
        "token",
        description="Print a login token for USER, creating the user if new, signed with "
        "the app secret of the server whose data dir is DIR (start that server once first). "
        "Tokens expire after 30 days unless --expires-in or --no-expiry says otherwise. "
        "With --revoke, print no token: refuse every token of USER issued so far, and "
        "close USER's connected devices within a second; tokens printed afterwards work.",
    )
    parser.add_argument("user", metavar="USER", help="the user id (1 to 64 characters)")
    parser.add_argument(
        "--data", metavar="DIR", help="the server's data dir (default: server/ in the data folder)"
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="the server's PostgreSQL store, when it runs on one (default: store in the "
        "config file; the app secret is still read from --data)",
    )
    lifetime = parser.add_mutually_exclusive_group()
    lifetime.add_argument(
        "--expires-in",
        type=int,
        metavar="SECONDS",
        help=f"make the token expire after SECONDS (default {DEFAULT_TTL_SECONDS}: 30 days)",
    )
    lifetime.add_argument(
        "--no-expiry", action="store_true", help="make a token that never expires"
    )
    lifetime.add_argument(
        "--revoke",
        action="store_true",
        help="revoke every token of USER issued so far instead of printing one",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Create the user if needed and print the token (or revoke the user's tokens)."""
    from imkit_tui.server.auth import SECRET_FILE, load_or_create_secret
    from imkit_tui.server.config import ServerConfig

    data = Path(args.data) if args.data else Paths.resolve(args.home).server_data
    if not args.user or len(args.user) > 64:
        raise CommandError("a user id has 1 to 64 characters")
    if args.user == SYSTEM_ACCOUNT:
        raise CommandError(f"'{SYSTEM_ACCOUNT}' is the server's own account")
    if args.expires_in is not None and args.expires_in < 1:
        raise CommandError("--expires-in needs a number of seconds above 0", EXIT_USAGE)
    store = args.store or _configured_store(args)
    config = ServerConfig(data_dir=data, store_url=store)
    if not store and not config.database_path.is_file():
        # A new secret here would sign tokens that no running server accepts.
        kept_elsewhere = (data / SECRET_FILE).is_file()  # a server ran here: its store is not
        raise CommandError(
            f"no server store in {data}: "
            + (
                "the server on it keeps its store in PostgreSQL: give its --store URL"
                if kept_elsewhere
                else f"start `imkit serve --data {data}` once, or give the data dir of "
                "the server the token is for"
            ),
            EXIT_USAGE,
        )
    if args.revoke:
        version = asyncio.run(_revoke(config, args.user))
        print(
            f"revoked every token of {args.user} issued so far (token version {version}); "
            "their connected devices are closed within a second",
            flush=True,
        )
        return EXIT_OK
    try:
        secret = load_or_create_secret(data)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the app secret: {exc}") from None
    version = asyncio.run(_ensure_user(config, args.user))
    ttl = None if args.no_expiry else (args.expires_in or DEFAULT_TTL_SECONDS)
    print(issue_token(secret, args.user, ttl, version=version), flush=True)
    return EXIT_OK


def _configured_store(args: argparse.Namespace) -> str:
    from imkit_tui.config import ConfigError, load_settings

    try:
        return load_settings(Paths.resolve(args.home).config_file).store or ""
    except ConfigError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


async def _ensure_user(config: ServerConfig, user_id: str) -> int:
    """Record the user; return their current token version."""
    from imkit_tui.server.stores import open_store

    store = await open_store(config)
    try:
        await store.ensure_user(user_id, now_ms())
        return await store.tokens.current(user_id)
    finally:
        await store.close()


async def _revoke(config: ServerConfig, user_id: str) -> int:
    """Bump the user's token version; return the new one."""
    from imkit_tui.server.stores import open_store

    store = await open_store(config)
    try:
        return await store.tokens.revoke(user_id)
    finally:
        await store.close()

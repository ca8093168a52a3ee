"""`imkit block`, `unblock`, `whitelist` and `privacy`: who may message you, for scripts.

Each connects, asks the server, and prints the state that results (as `imkit privacy`
does: readable lines, or one JSON object with `--json`). The server applies a change on
every device of the user at once; offline nothing is queued, the command fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable

from imkit_tui.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_client_options,
    checked_user_ids,
    make_client,
    request_failed,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, PrivacySettings, RequestFailed

Action = Callable[[IMClient], Awaitable[PrivacySettings]]

_JSON_HELP = "print the resulting state as one JSON object: blocked, allowed, whitelist_mode"


def _common(parser: argparse.ArgumentParser) -> None:
    add_client_options(parser)
    parser.add_argument("--json", action="store_true", help=_JSON_HELP)
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="give up after SECONDS without the server (default 30)",
    )


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit block`, `imkit unblock`, `imkit whitelist` and `imkit privacy`."""
    block = subparsers.add_parser(
        "block",
        description="Block USERs: the server refuses their messages to you with error 405 "
        "(they see them rejected). On every device of yours at once.",
    )
    _common(block)
    block.add_argument("users", nargs="+", metavar="USER")
    block.set_defaults(run=run, privacy_action="block")

    unblock = subparsers.add_parser("unblock", description="Unblock USERs.")
    _common(unblock)
    unblock.add_argument("users", nargs="+", metavar="USER")
    unblock.set_defaults(run=run, privacy_action="unblock")

    whitelist = subparsers.add_parser(
        "whitelist",
        description="With whitelist mode on, only users on your whitelist may message you "
        "(the block list is not consulted then). 'add' and 'remove' change the list, 'on' "
        "and 'off' the mode.",
    )
    _common(whitelist)
    whitelist.add_argument("change", choices=["add", "remove", "on", "off"])
    whitelist.add_argument("users", nargs="*", metavar="USER", help="with add and remove")
    whitelist.set_defaults(run=run, privacy_action="whitelist")

    privacy = subparsers.add_parser(
        "privacy",
        description="Print your block list, whitelist and whether whitelist mode is on, "
        "as the server has them.",
    )
    _common(privacy)
    privacy.set_defaults(run=run, privacy_action="show", users=[])


def _checked_users(args: argparse.Namespace) -> list[str]:
    return checked_user_ids(list(args.users))


def _action(args: argparse.Namespace) -> Action:
    """What to ask the server, from the command line; CommandError for bad usage."""
    users = _checked_users(args)
    kind: str = args.privacy_action
    if kind == "block":
        return lambda client: client.privacy.block(*users)
    if kind == "unblock":
        return lambda client: client.privacy.unblock(*users)
    if kind == "show":
        return lambda client: client.privacy.settings()
    change: str = args.change
    if change in ("on", "off"):
        if users:
            raise CommandError(f"'whitelist {change}' takes no user", EXIT_USAGE)
        return lambda client: client.privacy.set_whitelist_mode(change == "on")
    if not users:
        raise CommandError(f"'whitelist {change}' needs at least one USER", EXIT_USAGE)
    if change == "add":
        return lambda client: client.privacy.allow(*users)
    return lambda client: client.privacy.disallow(*users)


def state_json(settings: PrivacySettings) -> dict[str, object]:
    """The JSON object printed by `--json`."""
    return {
        "blocked": list(settings.blocked),
        "allowed": list(settings.allowed),
        "whitelist_mode": settings.whitelist_mode,
    }


def state_lines(settings: PrivacySettings) -> list[str]:
    """The state as readable lines."""
    mode = "on (only the whitelist may message you)" if settings.whitelist_mode else "off"
    return [
        f"blocked: {', '.join(settings.blocked) or '(nobody)'}",
        f"whitelist: {', '.join(settings.allowed) or '(nobody)'}",
        f"whitelist mode: {mode}",
    ]


def run(args: argparse.Namespace) -> int:
    """Connect, ask, print the resulting state."""
    action = _action(args)
    client = make_client(args, device="cli-privacy")
    return asyncio.run(_run(client, action, args))


async def _run(client: IMClient, action: Action, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            settings = await action(client)
        except (RequestFailed, NotConnected, TimeoutError) as error:
            return request_failed(error)
        if args.json:
            print(json.dumps(state_json(settings), ensure_ascii=False), flush=True)
        else:
            print("\n".join(state_lines(settings)), flush=True)
        return EXIT_OK

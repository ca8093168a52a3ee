"""`imkit profile`: your display name and picture, and other people's, for scripts.

`imkit profile set --name NAME [--portrait URL]` changes yours on the server (every
device showing you learns it); `imkit profile show [USER...]` prints profiles as the
server has them (yours without USER): readable lines, or one JSON object with `--json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json

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
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.profile_store import Profile


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit profile set` and `imkit profile show`."""
    profile = subparsers.add_parser(
        "profile",
        description="Your display name and picture (what others see instead of your user "
        "id), and other people's.",
    )
    actions = profile.add_subparsers(dest="profile_action", required=True, metavar="ACTION")
    change = actions.add_parser(
        "set",
        description="Set your display name and/or portrait URL (http(s), or the "
        "imkit-media: URL of a file you sent); on every device showing you at once.",
    )
    change.add_argument("--name", help="your display name (at most 128 characters)")
    change.add_argument(
        "--portrait", metavar="URL", help="your picture's URL; an empty string removes it"
    )
    show = actions.add_parser(
        "show", description="Print the profiles of USERs (yours without any) from the server."
    )
    show.add_argument("users", nargs="*", metavar="USER")
    for parser in (change, show):
        add_client_options(parser)
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object: user id -> profile"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="give up after SECONDS without the server (default 30)",
        )
        parser.set_defaults(run=run)


def _profile_json(profile: Profile) -> dict[str, object]:
    return {"name": profile.name, "portrait": profile.portrait}


def _line(user_id: str, profile: Profile | None) -> str:
    if profile is None or not (profile.name or profile.portrait):
        return f"{user_id}: (no profile)"
    picture = f" · {profile.portrait}" if profile.portrait else ""
    return f"{user_id}: {profile.name or '(no name)'}{picture}"


def run(args: argparse.Namespace) -> int:
    """Connect, set or read, print."""
    if args.profile_action == "set" and args.name is None and args.portrait is None:
        raise CommandError("give --name and/or --portrait", EXIT_USAGE)
    checked_user_ids(list(getattr(args, "users", [])))
    client = make_client(args, device="cli-profile")
    return asyncio.run(_run(client, args))


async def _run(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            if args.profile_action == "set":
                mine = await client.profiles.set_own(name=args.name, portrait=args.portrait)
                found: dict[str, Profile] = {client.user_id: mine}
                users = [client.user_id]
            else:
                users = list(dict.fromkeys(args.users)) or [client.user_id]
                found = await client.profiles.get(users, refresh=True)
        except ValueError as error:
            raise CommandError(str(error), EXIT_USAGE) from None
        except (RequestFailed, NotConnected, TimeoutError) as error:
            return request_failed(error)
        if args.json:
            shown = {u: _profile_json(found.get(u, Profile(u))) for u in users}
            print(json.dumps(shown, ensure_ascii=False), flush=True)
        else:
            print("\n".join(_line(u, found.get(u)) for u in users), flush=True)
        return EXIT_OK

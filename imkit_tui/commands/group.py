"""`imkit group`: create and manage groups from scripts.

    imkit group create GROUP [USER…] [--name NAME]
    imkit group invite GROUP USER…      imkit group kick GROUP USER…
    imkit group quit GROUP              imkit group dismiss GROUP
    imkit group rename GROUP NAME       imkit group members GROUP [--json]
    imkit group mute GROUP [USER…]      imkit group unmute GROUP [USER…]
    (mute and unmute without users act on the whole group)
    imkit group allow-speak GROUP USER…  imkit group disallow-speak GROUP USER…
    imkit group sync USER GROUP[=NAME]… --server URL [--data DIR]
    (the app server: USER is in these groups, from the app's own data)

Every one prints the group as the server then has it and exits 0; 1 when the server
refuses (not a member, not the owner, full), 4 when it cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from imkit_tui.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_client_options,
    make_client,
    request_failed,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.groups import Group
from imkit_tui.paths import Paths
from imkit_tui.protocol import SYSTEM_ACCOUNT
from imkit_tui.protocol.tokens import issue_token


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit group` and its actions."""
    parser = subparsers.add_parser(
        "group",
        description="Create a group (you own it), invite or kick members, rename, quit or "
        "dismiss it, or list its members. Each change leaves a notice in the group's chat.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, people in (
        ("create", "create a group you own, with its first members", "*"),
        ("invite", "add members (any member may)", "+"),
        ("kick", "remove members (the owner)", "+"),
        ("mute", "mute members, or without USER everyone but the owner (the owner)", "*"),
        ("unmute", "unmute members, or without USER lift the mute of all (the owner)", "*"),
        ("allow-speak", "let members send while the whole group is muted (the owner)", "+"),
        ("disallow-speak", "take members off the speak whitelist (the owner)", "+"),
    ):
        action = actions.add_parser(name, help=helptext)
        _common(action)
        action.add_argument("users", nargs=people, metavar="USER")
        if name == "create":
            action.add_argument("--name", default="", help="the group's name (default: GROUP)")
    for name, helptext in (
        ("quit", "leave the group (not its owner)"),
        ("dismiss", "end the group (the owner): nobody can send or read any more"),
        ("members", "print the group's name, owner and members"),
        ("accept", "join a group you were invited to"),
    ):
        _common(actions.add_parser(name, help=helptext))
    rename = actions.add_parser("rename", help="rename the group (the owner)")
    _common(rename)
    rename.add_argument("name", metavar="NAME")
    _sync_parser(actions)
    parser.set_defaults(run=run)


def _sync_parser(actions: Subparsers) -> None:
    sync = actions.add_parser(
        "sync",
        help="the app server: USER is in these groups (from the app's own data)",
        description="For an app that already has its groups: make USER a member of each "
        "GROUP, creating the group (USER owns it) when the server has none, and give it "
        "NAME. Acts as the app itself, with the app secret from the server's data dir; "
        "groups the user is in but not named here are left as they are.",
    )
    sync.add_argument("--server", required=True, metavar="URL", help="the server's URL")
    sync.add_argument("--data", metavar="DIR", help="the server's data dir (the app secret)")
    sync.add_argument("user", metavar="USER")
    sync.add_argument("groups", nargs="+", metavar="GROUP[=NAME]")
    sync.add_argument("--json", action="store_true", help="print each group as JSON")
    sync.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def _common(parser: argparse.ArgumentParser) -> None:
    add_client_options(parser)
    parser.add_argument("group", metavar="GROUP")
    parser.add_argument("--json", action="store_true", help="print the group as JSON")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def run(args: argparse.Namespace) -> int:
    """Connect, ask, print the group."""
    if args.action == "sync":
        scratch = Path(tempfile.mkdtemp(prefix="imkit-app-"))
        try:
            return asyncio.run(_sync(app_client(args, scratch), args))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    client = make_client(args, device="cli-group")
    return asyncio.run(_group(client, args))


def app_client(args: argparse.Namespace, scratch: Path) -> IMClient:
    """A client logged in as the app itself, with a token from the app secret in the
    server's data dir, and a store in `scratch` (thrown away afterwards)."""
    from imkit_tui.server.auth import load_or_create_secret

    data = Path(args.data) if args.data else Paths.resolve(args.home).server_data
    if not (data / "app-secret").is_file():
        raise CommandError(f"no app secret in {data}: give the server's --data DIR")
    try:
        secret = load_or_create_secret(data)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the app secret: {exc}") from None
    return IMClient(
        server_url=args.server,
        token=issue_token(secret, SYSTEM_ACCOUNT, None),
        store_path=scratch / "store.db",
        device="cli-group-sync",
    )


def _named(spec: str) -> tuple[str, str]:
    group, _, name = spec.partition("=")
    if not group or len(group) > 64:
        raise CommandError(f"not a group id: {spec!r}", EXIT_USAGE)
    return group, name.strip()


async def _sync(client: IMClient, args: argparse.Namespace) -> int:
    wanted = [_named(spec) for spec in args.groups]
    async with synced_client(client, timeout=args.timeout):
        for group_id, name in wanted:
            done = await _printed(client.groups.sync(group_id, args.user, name), args.json)
            if done != EXIT_OK:
                return done
    return EXIT_OK


async def _printed(asked: Coroutine[Any, Any, Group], as_json: bool) -> int:
    """Print the group the server answers with; the exit code."""
    try:
        group = await asked
    except (RequestFailed, NotConnected, TimeoutError) as error:
        return request_failed(error)
    _print(group, as_json=as_json)
    return EXIT_OK


async def _ask(client: IMClient, args: argparse.Namespace) -> Group:
    group, action = args.group, args.action
    if action == "create":
        return await client.groups.create(group, args.name or group, args.users)
    if action == "invite":
        return await client.groups.invite(group, args.users)
    if action == "kick":
        return await client.groups.kick(group, args.users)
    if action == "quit":
        return await client.groups.quit(group)
    if action == "dismiss":
        return await client.groups.dismiss(group)
    if action == "rename":
        return await client.groups.rename(group, args.name)
    if action == "accept":
        return await client.groups.accept_invitation(group)
    if action in ("mute", "unmute"):
        return await client.groups.mute(group, args.users, muted=action == "mute")
    if action in ("allow-speak", "disallow-speak"):
        return await client.groups.allow_speaking(
            group, args.users, allowed=action == "allow-speak"
        )
    return await client.groups.info(group)


async def _group(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        return await _printed(_ask(client, args), args.json)


def _print(group: Group, *, as_json: bool) -> None:
    if as_json:
        data: dict[str, object] = {
            "group": group.group_id,
            "name": group.name,
            "owner": group.owner,
            "members": list(group.members),
            "muted": list(group.muted),
            "all_muted": group.all_muted,
            "speakers": list(group.speakers),
            "invited": list(group.invited),
        }
        print(json.dumps(data, ensure_ascii=False))
        return
    print(f"{group.name} ({group.group_id}), owner {group.owner}")
    print(f"{len(group.members)} members: {', '.join(group.members) or '-'}")
    if group.all_muted or group.muted:
        muted = "everyone but the owner" if group.all_muted else ", ".join(group.muted)
        print(f"muted: {muted}")
    if group.speakers:
        print(f"may speak while all are muted: {', '.join(group.speakers)}")
    if group.invited:
        print(f"invited (they join when they accept): {', '.join(group.invited)}")

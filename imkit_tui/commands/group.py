"""`imkit group`: create and manage groups from scripts.

    imkit group create GROUP [USER…] [--name NAME]
    imkit group invite GROUP USER…      imkit group kick GROUP USER…
    imkit group quit GROUP              imkit group dismiss GROUP
    imkit group rename GROUP NAME       imkit group members GROUP [--json]
    imkit group mute GROUP [USER…]      imkit group unmute GROUP [USER…]
    (mute and unmute without users act on the whole group)

Every one prints the group as the server then has it and exits 0; 1 when the server
refuses (not a member, not the owner, full), 4 when it cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    add_client_options,
    fail,
    make_client,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.groups import Group
from imkit_tui.protocol import describe


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `imkit group` and its actions."""
    parser = subparsers.add_parser(
        "group",
        help="create and manage groups",
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
    ):
        _common(actions.add_parser(name, help=helptext))
    rename = actions.add_parser("rename", help="rename the group (the owner)")
    _common(rename)
    rename.add_argument("name", metavar="NAME")
    parser.set_defaults(run=run)


def _common(parser: argparse.ArgumentParser) -> None:
    add_client_options(parser)
    parser.add_argument("group", metavar="GROUP")
    parser.add_argument("--json", action="store_true", help="print the group as JSON")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def run(args: argparse.Namespace) -> int:
    """Connect, ask, print the group."""
    client = make_client(args, device="cli-group")
    return asyncio.run(_group(client, args))


async def _ask(client: IMClient, args: argparse.Namespace) -> Group:
    group, action = args.group, args.action
    if action == "create":
        return await client.create_group(group, args.name or group, args.users)
    if action == "invite":
        return await client.invite(group, args.users)
    if action == "kick":
        return await client.kick(group, args.users)
    if action == "quit":
        return await client.quit_group(group)
    if action == "dismiss":
        return await client.dismiss_group(group)
    if action == "rename":
        return await client.rename_group(group, args.name)
    if action in ("mute", "unmute"):
        return await client.mute(group, args.users, muted=action == "mute")
    return await client.group_info(group)


async def _group(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            group = await _ask(client, args)
        except RequestFailed as refused:
            fail(f"refused: {describe(refused.code)} ({refused.code}): {refused.message}")
            return EXIT_FAILED
        except (NotConnected, TimeoutError):
            fail("the connection dropped before the server answered")
            return EXIT_TIMEOUT
        if args.json:
            data: dict[str, object] = {
                "group": group.group_id,
                "name": group.name,
                "owner": group.owner,
                "members": list(group.members),
                "muted": list(group.muted),
                "all_muted": group.all_muted,
            }
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(f"{group.name} ({group.group_id}), owner {group.owner}")
            print(f"{len(group.members)} members: {', '.join(group.members) or '-'}")
            if group.all_muted or group.muted:
                muted = "everyone but the owner" if group.all_muted else ", ".join(group.muted)
                print(f"muted: {muted}")
        return EXIT_OK

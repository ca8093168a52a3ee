"""`imkit ultra`: ultra groups from scripts: no member limit, channels, levels.

    imkit ultra create GROUP [--name NAME] [--level LEVEL] [--pre-join-history]
    imkit ultra join GROUP      imkit ultra quit GROUP      imkit ultra dismiss GROUP
    imkit ultra info GROUP      imkit ultra rename GROUP NAME
    imkit ultra list            (your ultra groups, with unread and @ counts)
    imkit ultra channel list GROUP
    imkit ultra channel create GROUP CHANNEL [--name NAME]
    imkit ultra channel rename GROUP CHANNEL NAME
    imkit ultra channel delete GROUP CHANNEL
    imkit ultra level GROUP LEVEL [--channel CHANNEL]
    imkit ultra dnd GROUP on|off [--channel CHANNEL]

Group changes print the group as the server then has it; every command exits 0, 1 when
the server refuses (not a member, not the owner, 24412 in too many ultra groups), 4
when it cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed, ultra_row
from imkit_tui.core.ultra import LEVELS
from imkit_tui.protocol import UltraInfo, describe

_GROUP_ACTIONS = (
    ("join", "join an ultra group (100 at most by default)"),
    ("quit", "leave an ultra group (not its owner)"),
    ("dismiss", "end an ultra group (the owner)"),
    ("info", "print an ultra group: name, owner, channels, how many members"),
)


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit ultra` and its actions."""
    parser = subparsers.add_parser(
        "ultra",
        description="Ultra groups: no member limit, channels (each with its own messages, "
        "unread and @ counts), notification levels and do-not-disturb per group or "
        "channel. Send with `imkit send --ultra GROUP --channel CHANNEL`.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create an ultra group you own")
    _common(create, group=True)
    create.add_argument("--name", default="", help="its name (default: GROUP)")
    create.add_argument("--level", choices=LEVELS[1:], help="the default notification level")
    create.add_argument(
        "--pre-join-history",
        action="store_true",
        help="new members read what was sent before they joined",
    )
    for name, helptext in _GROUP_ACTIONS:
        _common(actions.add_parser(name, help=helptext), group=True)
    rename = actions.add_parser("rename", help="rename an ultra group (the owner)")
    _common(rename, group=True)
    rename.add_argument("name", metavar="NAME")
    _common(actions.add_parser("list", help="your ultra groups, with unread counts"))
    _channel_parser(actions)
    level = actions.add_parser(
        "level", help="your notification level for a group or one of its channels"
    )
    _common(level, group=True)
    level.add_argument("level", choices=LEVELS, metavar="LEVEL", help=", ".join(LEVELS))
    level.add_argument("--channel", metavar="CHANNEL", help="only this channel")
    dnd = actions.add_parser("dnd", help="do not disturb on or off for a group or channel")
    _common(dnd, group=True)
    dnd.add_argument("state", choices=("on", "off"))
    dnd.add_argument("--channel", metavar="CHANNEL", help="only this channel")
    parser.set_defaults(run=run)


def _channel_parser(actions: Subparsers) -> None:
    channel = actions.add_parser("channel", help="list, create, rename or delete channels")
    steps = channel.add_subparsers(dest="step", metavar="STEP", required=True)
    _common(steps.add_parser("list", help="the channels, with unread and @ counts"), group=True)
    create = steps.add_parser("create", help="add a channel (the owner)")
    _common(create, group=True)
    create.add_argument("channel", metavar="CHANNEL", help="letters, digits, _ and -")
    create.add_argument("--name", default="", help="its name (default: CHANNEL)")
    rename = steps.add_parser("rename", help="rename a channel (the owner)")
    _common(rename, group=True)
    rename.add_argument("channel", metavar="CHANNEL")
    rename.add_argument("name", metavar="NAME")
    delete = steps.add_parser("delete", help="delete a channel and its messages (the owner)")
    _common(delete, group=True)
    delete.add_argument("channel", metavar="CHANNEL")


def _common(parser: argparse.ArgumentParser, *, group: bool = False) -> None:
    add_client_options(parser)
    if group:
        parser.add_argument("group", metavar="GROUP")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def run(args: argparse.Namespace) -> int:
    """Connect, ask, print."""
    client = make_client(args, device="cli-ultra")
    return asyncio.run(_ultra(client, args))


async def _ultra(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            async with asyncio.timeout(args.timeout):
                await client.ultra.sync()
                return await _act(client, args)
        except RequestFailed as refused:
            fail(f"refused: {describe(refused.code)} ({refused.code}): {refused.message}")
            return EXIT_FAILED
        except (NotConnected, TimeoutError):
            fail("the connection dropped before the server answered")
            return EXIT_TIMEOUT


async def _act(client: IMClient, args: argparse.Namespace) -> int:
    ultra, action = client.ultra, args.action
    if action == "list":
        return await _print_groups(client, args.json)
    if action == "level":
        await ultra.set_level(args.group, args.level, args.channel)
        return EXIT_OK
    if action == "dnd":
        await ultra.set_dnd(args.group, args.state == "on", args.channel)
        return EXIT_OK
    if action == "channel" and args.step == "list":
        return await _print_channels(client, args.group, args.json)
    info = await _ask(client, args)
    _print_info(info, as_json=args.json)
    return EXIT_OK


async def _ask(client: IMClient, args: argparse.Namespace) -> UltraInfo:
    ultra, group, action = client.ultra, args.group, args.action
    if action == "create":
        return await ultra.create(
            group,
            args.name or group,
            level=args.level,
            pre_join_history=args.pre_join_history or None,
        )
    if action == "join":
        return await ultra.join(group)
    if action == "quit":
        return await ultra.quit(group)
    if action == "dismiss":
        return await ultra.dismiss(group)
    if action == "rename":
        return await ultra.rename(group, args.name)
    if action == "channel":
        if args.step == "create":
            return await ultra.create_channel(group, args.channel, args.name or args.channel)
        if args.step == "rename":
            return await ultra.rename_channel(group, args.channel, args.name)
        return await ultra.delete_channel(group, args.channel)
    return await ultra.info(group)


async def _print_groups(client: IMClient, as_json: bool) -> int:
    for group in await client.ultra.groups():
        row = await client.conversation(ultra_row(group.group))
        unread, mentions = (row.unread, row.mentions) if row is not None else (0, 0)
        if as_json:
            data = {"group": group.group, "name": group.name, "owner": group.owner}
            print(json.dumps({**data, "unread": unread, "mentions": mentions}))
        else:
            print(f"{group.name or group.group} ({group.group}): {_counts(unread, mentions)}")
    return EXIT_OK


async def _print_channels(client: IMClient, group_id: str, as_json: bool) -> int:
    for channel in await client.ultra.channels(group_id):
        data: dict[str, Any] = {
            "channel": channel.channel,
            "name": channel.label,
            "unread": channel.unread,
            "mentions": channel.mentions,
            "dnd": channel.dnd,
            "level": channel.level,
        }
        if as_json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            quiet = " (do not disturb)" if channel.dnd else ""
            counts = _counts(channel.unread, channel.mentions)
            print(f"#{channel.label} [{channel.channel or 'default'}]: {counts}{quiet}")
    return EXIT_OK


def _counts(unread: int, mentions: int) -> str:
    return f"{unread} unread" + (f", {mentions} @" if mentions else "")


def _print_info(info: UltraInfo, *, as_json: bool) -> None:
    if as_json:
        data: dict[str, object] = {
            "group": info.group,
            "name": info.name,
            "owner": info.owner,
            "member": info.member,
            "dismissed": info.dismissed,
            "member_count": info.member_count,
            "channels": [{"channel": c.channel, "name": c.name} for c in info.channels],
            "default_level": info.default_level,
            "pre_join_history": info.pre_join_history,
        }
        print(json.dumps(data, ensure_ascii=False))
        return
    if info.dismissed:
        print(f"{info.group}: dismissed")
        return
    if not info.member:
        print(f"{info.group}: you are not a member")
        return
    print(f"{info.name} ({info.group}), owner {info.owner}, {info.member_count} members")
    channels = ", ".join(f"#{c.name or c.channel or 'general'}" for c in info.channels)
    print(f"channels: {channels or '#general'}")

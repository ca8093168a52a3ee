"""`imkit chatroom`: live rooms from the command line.

    imkit chatroom create ROOM [--name NAME]        imkit chatroom destroy ROOM…
    imkit chatroom mute ROOM [USER…] [--minutes N] [--everywhere] [--lift]
    imkit chatroom ban ROOM USER… [--minutes N] [--lift]
    (Server API, signed with the app key and secret as `imkit admin` signs)

    imkit chatroom list                              imkit chatroom join ROOM [--recent N]
    imkit chatroom members ROOM [--limit N] [--latest-first] [--json]
    imkit chatroom attr ROOM list [KEY…]             imkit chatroom attr ROOM remove KEY…
    imkit chatroom attr ROOM set KEY VALUE [--auto-delete] [--overwrite]
    (as a user, through the client: --server and the token as other commands take them)

Exit 0 when done; 1 when the server or the API refuses (no such room, banned, not the
owner of an attribute…), 2 for bad usage, 4 when the server cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable

from imkit_tui.commands.admin import add_api_options, call_api
from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    print_message,
    request_failed,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.chatrooms import Attribute, Room
from imkit_tui.protocol import DEFAULT_JOIN_HISTORY, MAX_JOIN_HISTORY

API_ACTIONS = ("create", "destroy", "mute", "ban")
"""The actions that go through the Server API (the others log in as a user)."""


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit chatroom` and its actions."""
    parser = subparsers.add_parser(
        "chatroom",
        description="Live rooms: only members online receive a room's messages, and "
        "nothing is kept for them. create, destroy, mute and ban call the Server API "
        "(signed with the app key and secret, as `imkit admin`); list, join, members and "
        "attr log in as a user.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = _api(actions, "create", "create a room (any number of them)")
    create.add_argument("rooms", nargs=1, metavar="ROOM")
    create.add_argument("--name", default="", help="the room's name (default: ROOM)")
    destroy = _api(actions, "destroy", "destroy rooms: nobody receives anything after")
    destroy.add_argument("rooms", nargs="+", metavar="ROOM")
    mute = _api(actions, "mute", "mute users in a room (or everywhere), or the whole room")
    mute.add_argument("room", metavar="ROOM")
    mute.add_argument("users", nargs="*", metavar="USER", help="none: the whole room")
    mute.add_argument("--everywhere", action="store_true", help="in every room (global)")
    ban = _api(actions, "ban", "remove users from a room; they may not join until it ends")
    ban.add_argument("room", metavar="ROOM")
    ban.add_argument("users", nargs="+", metavar="USER")
    for action in (mute, ban):
        action.add_argument(
            "--minutes", type=int, default=60, metavar="N", help="how long (default 60)"
        )
        action.add_argument("--lift", action="store_true", help="lift it now instead")
    _client(actions, "list", "print the public rooms the server offers", room=False)
    join = _client(actions, "join", "join a room, print it and its latest messages")
    join.add_argument(
        "--recent",
        type=int,
        default=DEFAULT_JOIN_HISTORY,
        metavar="N",
        help=f"latest messages to print (default {DEFAULT_JOIN_HISTORY}, at most "
        f"{MAX_JOIN_HISTORY})",
    )
    join.add_argument("--existing", action="store_true", help="only if the room exists")
    members = _client(actions, "members", "print the member count and the first members")
    members.add_argument("--limit", type=int, default=500, metavar="N", help="at most 500")
    members.add_argument("--latest-first", action="store_true", help="latest joiners first")
    _attr_parser(actions)
    parser.set_defaults(run=run)


def _api(actions: Subparsers, name: str, helptext: str) -> argparse.ArgumentParser:
    action = actions.add_parser(name, help=helptext)
    add_api_options(action)
    return action


def _client(
    actions: Subparsers, name: str, helptext: str, *, room: bool = True
) -> argparse.ArgumentParser:
    action = actions.add_parser(name, help=helptext)
    if room:
        action.add_argument("room", metavar="ROOM")
    _user_options(action)
    return action


def _user_options(action: argparse.ArgumentParser) -> None:
    add_client_options(action)
    action.add_argument("--json", action="store_true", help="print JSON")
    action.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def _attr_parser(actions: Subparsers) -> None:
    attr = actions.add_parser(
        "attr", help="list, set or remove a room's attributes (keys and values)"
    )
    attr.add_argument("room", metavar="ROOM")
    ops = attr.add_subparsers(dest="op", metavar="OP", required=True)
    listing = ops.add_parser("list", help="print the attributes (those named, or all)")
    listing.add_argument("keys", nargs="*", metavar="KEY")
    setting = ops.add_parser("set", help="set KEY to VALUE (joins the room for it)")
    setting.add_argument("key", metavar="KEY")
    setting.add_argument("value", metavar="VALUE")
    setting.add_argument(
        "--auto-delete", action="store_true", help="remove it when you leave the room"
    )
    setting.add_argument(
        "--overwrite", action="store_true", help="replace the key when someone else set it"
    )
    removing = ops.add_parser("remove", help="remove keys (joins the room for it)")
    removing.add_argument("keys", nargs="+", metavar="KEY")
    removing.add_argument("--force", action="store_true", help="also keys someone else set")
    for op in (listing, setting, removing):
        _user_options(op)


def run(args: argparse.Namespace) -> int:
    """Call the API, or log in and ask."""
    if args.action in API_ACTIONS:
        return _call(args)
    client = make_client(args, device="cli-chatroom")
    return asyncio.run(_as_user(client, args))


# ---------------------------------------------------------------- Server API


def _api_request(args: argparse.Namespace) -> tuple[str, list[tuple[str, str]]]:
    """The Server API path and parameters of an API action."""
    if args.action == "create":
        (room,) = args.rooms
        return "/chatroom/create", [(f"chatroom[{room}]", args.name or room)]
    if args.action == "destroy":
        return "/chatroom/destroy", [("chatroomId", room) for room in args.rooms]
    users = [("userId", user) for user in args.users]
    minutes = [] if args.lift else [("minute", str(args.minutes))]
    undo = "rollback" if args.lift else "add"
    if args.action == "ban":
        return f"/chatroom/user/block/{undo}", [*users, ("chatroomId", args.room), *minutes]
    if not args.users:
        return f"/chatroom/ban/{'rollback' if args.lift else 'add'}", [
            ("chatroomId", args.room),
            *minutes,
        ]
    if args.everywhere:
        return f"/chatroom/user/ban/{'remove' if args.lift else 'add'}", [*users, *minutes]
    return f"/chatroom/user/gag/{undo}", [*users, ("chatroomId", args.room), *minutes]


def _call(args: argparse.Namespace) -> int:
    path, pairs = _api_request(args)
    answer = call_api(args, path, pairs)
    if answer.get("code") != 200:
        fail(f"refused: {answer.get('errorMessage', 'refused')} ({answer.get('code')})")
        return EXIT_FAILED
    print(json.dumps(answer, ensure_ascii=False))
    return EXIT_OK


# ---------------------------------------------------------------- as a user


async def _as_user(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            await _ACTIONS[args.action](client, args)
        except (RequestFailed, NotConnected, TimeoutError) as error:
            return request_failed(error)
    return EXIT_OK


async def _list(client: IMClient, args: argparse.Namespace) -> None:
    rooms = await client.chatrooms.public()
    for room in rooms:
        print(json.dumps(_room_json(room)) if args.json else _room_line(room))


async def _join(client: IMClient, args: argparse.Namespace) -> None:
    rooms = client.chatrooms
    recent = max(-1, min(args.recent, MAX_JOIN_HISTORY))
    join = rooms.join_existing if args.existing else rooms.join
    room = await join(args.room, recent=recent)
    print(json.dumps(_room_json(room)) if args.json else _room_line(room))
    if recent > 0:
        for message in await rooms.messages(args.room, limit=recent):
            print_message(message, args.json)


async def _members(client: IMClient, args: argparse.Namespace) -> None:
    room, members = await client.chatrooms.members(
        args.room, args.limit, latest_first=args.latest_first
    )
    if args.json:
        listed = [{"user": m.user, "joined_at": m.joined_at} for m in members]
        print(json.dumps({**_room_json(room), "members": listed}))
        return
    print(_room_line(room))
    for member in members:
        print(member.user)


async def _attr(client: IMClient, args: argparse.Namespace) -> None:
    rooms = client.chatrooms
    if args.op == "list":
        _print_attributes(await rooms.attributes(args.room, args.keys), args.json)
        return
    await rooms.join_existing(args.room, recent=-1)
    if args.op == "set":
        values = {args.key: args.value}
        done = await rooms.set_attributes(
            args.room, values, auto_delete=args.auto_delete, overwrite=args.overwrite
        )
        _print_attributes(done, args.json)
    else:
        await rooms.remove_attributes(args.room, args.keys, force=args.force)


_ACTIONS: dict[str, Callable[[IMClient, argparse.Namespace], Awaitable[None]]] = {
    "list": _list,
    "join": _join,
    "members": _members,
    "attr": _attr,
}


def _room_json(room: Room) -> dict[str, object]:
    return dataclasses.asdict(room)  # room, name, created_at, member_count, all_muted


def _room_line(room: Room) -> str:
    name = f"{room.name} ({room.room})" if room.name and room.name != room.room else room.room
    plural = "" if room.member_count == 1 else "s"
    return f"#{name}: {room.member_count} member{plural}"


def _print_attributes(attributes: list[Attribute], as_json: bool) -> None:
    for attr in attributes:
        if as_json:
            print(
                json.dumps(
                    {
                        "key": attr.key,
                        "value": attr.value,
                        "setter": attr.setter,
                        "set_at": attr.set_at,
                        "auto_delete": attr.auto_delete,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"{attr.key}={attr.value}")

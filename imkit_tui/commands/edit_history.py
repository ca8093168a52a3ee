"""`imkit recall`, `imkit delete`, `imkit clear`, `imkit edit`: change a conversation's
history.

Messages are named by their server id (`uid` in `imkit history --json`). Each command
syncs first, so the messages are in the local store, then acts and exits 0 once the
server confirmed. In an ultra group (`--ultra GROUP --channel CHANNEL`) `imkit edit`
replaces the content of an own message and `imkit delete --before TIME` deletes what was
sent before a time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_client_options,
    add_ultra_options,
    conversation_of,
    fail,
    make_client,
    synced_client,
)
from imkit_tui.core import IMClient, Message, NotConnected, RequestFailed
from imkit_tui.protocol import ConversationType, ConvRef

Action = Callable[[IMClient, ConvRef, argparse.Namespace], Awaitable[int]]


_COMMANDS: tuple[tuple[str, str, bool], ...] = (
    (
        "recall",
        "Recall your own messages (by server id, `uid` in `imkit history --json`) in the "
        "conversation with USER or of GROUP: every member then sees a grey notice "
        "instead, and the server keeps no content.",
        True,
    ),
    (
        "delete",
        "Delete messages (by server id) of the conversation with USER or of GROUP for "
        "yourself: on the server too, so your other devices and later syncs follow. The "
        "other members keep them. In an ultra group, --before TIME deletes everything "
        "sent before TIME in the channel (or --all-channels), for yourself or, as its "
        "owner, --for-everyone.",
        True,
    ),
    (
        "edit",
        "Edit one of your own text messages (by server id) in a channel of an ultra group: "
        "every member and device sees the new text, marked edited; the newest edit wins.",
        True,
    ),
    (
        "clear",
        "Clear the history of the conversation with USER or of GROUP for yourself, on the "
        "server too: nothing of it comes back from cloud history. The other members keep "
        "it.",
        False,
    ),
)
"""Each command: name, description, whether it takes message ids (its one-line help is
in `imkit_tui.cli`)."""


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit recall`, `imkit delete`, `imkit clear` and `imkit edit`."""
    actions: dict[str, Action] = {
        "recall": _recall,
        "delete": _delete,
        "clear": _clear,
        "edit": _edit,
    }
    for name, description, takes_uids in _COMMANDS:
        parser = subparsers.add_parser(name, description=description)
        _common(parser)
        if name == "edit":
            parser.add_argument("uids", nargs=1, metavar="UID")
            parser.add_argument("text", metavar="TEXT", help="the new text")
        elif name == "delete":
            parser.add_argument("uids", nargs="*", metavar="UID")
            _before_options(parser)
        elif takes_uids:
            parser.add_argument("uids", nargs="+", metavar="UID")
        parser.set_defaults(
            run=lambda args, action=actions[name], device=f"cli-{name}": _run(args, action, device)
        )


def _common(parser: argparse.ArgumentParser) -> None:
    add_client_options(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--with", dest="peer", metavar="USER", help="the private chat with USER")
    which.add_argument("--group", metavar="GROUP", help="the chat of GROUP")
    add_ultra_options(which, parser)
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def _before_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--before",
        metavar="TIME",
        help="with --ultra: delete everything sent before TIME (ms since the epoch, or a "
        "date and time such as 2026-12-07T10:00, local time unless it names its zone)",
    )
    parser.add_argument(
        "--all-channels", action="store_true", help="with --before: in every channel"
    )
    parser.add_argument(
        "--for-everyone",
        action="store_true",
        help="with --before: for every member, on the server too (the group's owner)",
    )


def parse_time(text: str) -> int:
    """Milliseconds since the epoch from `text`: a number of them, or an ISO 8601 date
    and time (local time unless it names its zone). Raises CommandError otherwise."""
    if text.isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a time: {text!r}", EXIT_USAGE) from None
    if when.tzinfo is None:
        when = when.astimezone()  # the local zone
    return int(when.timestamp() * 1000)


def _check(args: argparse.Namespace) -> None:
    """Refuse option mixes that mean nothing, before connecting."""
    if args.channel and not args.ultra:
        raise CommandError("--channel goes with --ultra", EXIT_USAGE)
    if args.command == "edit" and not args.ultra:
        raise CommandError("only messages of ultra groups can be edited: give --ultra", EXIT_USAGE)
    if args.command != "delete":
        return
    if args.before is None:
        if not args.uids:
            raise CommandError("give the UIDs to delete, or --before TIME", EXIT_USAGE)
        if args.all_channels or args.for_everyone:
            raise CommandError("--all-channels and --for-everyone go with --before", EXIT_USAGE)
        return
    if args.uids:
        raise CommandError("give UIDs or --before TIME, not both", EXIT_USAGE)
    if not args.ultra:
        raise CommandError("--before goes with --ultra", EXIT_USAGE)
    args.before_ms = parse_time(args.before)


def _run(args: argparse.Namespace, action: Action, device: str) -> int:
    _check(args)
    client = make_client(args, device=device)
    return asyncio.run(_connected(client, args, action))


async def _connected(client: IMClient, args: argparse.Namespace, action: Action) -> int:
    async with synced_client(client, timeout=args.timeout):
        try:
            async with asyncio.timeout(args.timeout):
                return await action(client, conversation_of(args), args)
        except (TimeoutError, NotConnected):
            fail("the server did not answer in time")
            return EXIT_TIMEOUT
        except RequestFailed as refused:
            fail(f"the server refused: {refused.message} ({refused.code})")
            return EXIT_FAILED


async def _messages(client: IMClient, conv: ConvRef, uids: list[str]) -> list[Message] | None:
    found: list[Message] = []
    await client.history.load(conv)  # older ones may only be in cloud history
    for uid in uids:
        message = await client.store.history.by_uid(conv, uid)
        if message is None:
            where = {
                ConversationType.GROUP: f"group {conv.target}",
                ConversationType.ULTRA_GROUP: f"channel {conv.channel!r} of {conv.target}",
            }.get(ConversationType(conv.type), f"the chat with {conv.target}")
            fail(f"no message {uid} in {where}")
            return None
        found.append(message)
    return found


async def _recall(client: IMClient, conv: ConvRef, args: argparse.Namespace) -> int:
    chosen = await _messages(client, conv, args.uids)
    if chosen is None:
        return EXIT_USAGE
    for message in chosen:
        try:
            await client.history.recall(message)
        except ValueError as exc:
            fail(f"{message.uid}: {exc}")
            return EXIT_USAGE
    return EXIT_OK


async def _delete(client: IMClient, conv: ConvRef, args: argparse.Namespace) -> int:
    if args.before is not None:
        await client.ultra.delete_before(
            conv,
            args.before_ms,
            all_channels=args.all_channels,
            for_everyone=args.for_everyone,
        )
        return EXIT_OK
    chosen = await _messages(client, conv, args.uids)
    if chosen is None:
        return EXIT_USAGE
    await client.history.delete(chosen, everywhere=True)
    return EXIT_OK


async def _clear(client: IMClient, conv: ConvRef, args: argparse.Namespace) -> int:
    await client.history.clear(conv, everywhere=True)
    return EXIT_OK


async def _edit(client: IMClient, conv: ConvRef, args: argparse.Namespace) -> int:
    chosen = await _messages(client, conv, args.uids)
    if chosen is None:
        return EXIT_USAGE
    try:
        await client.ultra.edit_text(chosen[0], args.text)
    except ValueError as exc:
        fail(f"{chosen[0].uid}: {exc}")
        return EXIT_USAGE
    return EXIT_OK

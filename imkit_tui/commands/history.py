"""`imkit history`: sync, then print a private conversation oldest first."""

from __future__ import annotations

import argparse
import asyncio

from imkit_tui import messages as catalogue
from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    Subparsers,
    add_client_options,
    add_ultra_options,
    conversation_of,
    fail,
    make_client,
    print_message,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.protocol import ConversationType


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit history`."""
    parser = subparsers.add_parser(
        "history",
        description="Sync with the server, then print the conversation with USER (or of "
        "GROUP, or a channel of an ultra group), oldest first, from the local store "
        "(older pages come from the server's cloud history). What the chat does not "
        "show (recall commands, receipt requests, edit events, deleted messages) is left "
        "out.",
    )
    add_client_options(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--with", dest="peer", metavar="USER", help="the private chat with USER")
    which.add_argument("--group", metavar="GROUP", help="the chat of GROUP")
    add_ultra_options(which, parser)
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="only the last N messages (default: all)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="sync timeout (default 30)"
    )
    parser.add_argument(
        "--offline", action="store_true", help="print the local store without connecting"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Sync and print."""
    client = make_client(args, device="cli-history")
    return asyncio.run(_history(client, args))


async def _history(client: IMClient, args: argparse.Namespace) -> int:
    conv = conversation_of(args)
    async with synced_client(client, timeout=args.timeout, offline=args.offline):
        try:
            if args.offline:
                page = await client.messages(conv, limit=args.limit or 1_000_000_000)
            else:
                if conv.type == ConversationType.ULTRA_GROUP:
                    await client.ultra.sync([conv.target])  # its channels, edits included
                page = await client.history.load(conv, args.limit)
        except (NotConnected, TimeoutError):
            fail("the connection dropped while fetching history")
            return EXIT_TIMEOUT
        except RequestFailed as refused:
            fail(f"the server refused: {refused.message} ({refused.code})")
            return EXIT_FAILED
        for message in page:
            if catalogue.lookup(message.object_name).shown:
                print_message(message, args.json)
        return EXIT_OK

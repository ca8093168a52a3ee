"""`imkit search`: sync, then search the local store (for scripts and bots)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json

from imkit_tui.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    message_json,
    synced_client,
)
from imkit_tui.core import IMClient
from imkit_tui.core.search import SearchHit
from imkit_tui.protocol import ConvRef

MAX_LIMIT = 10_000


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit search`."""
    parser = subparsers.add_parser(
        "search",
        description="Sync with the server, then print the messages of the local store that "
        "hold every word of TEXT (any script, case ignored; words shorter than 3 characters "
        "too), newest first. --with keeps to the conversation with USER, --from to USER's "
        "messages; with --from, TEXT may be left out.",
    )
    add_client_options(parser)
    parser.add_argument("text", nargs="?", default="", metavar="TEXT", help="words to find")
    parser.add_argument("--with", dest="peer", metavar="USER", help="only the chat with USER")
    parser.add_argument("--from", dest="sender", metavar="USER", help="only USER's messages")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object a line (history's, plus a snippet)"
    )
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N messages (default 50)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="sync timeout (default 30)"
    )
    parser.add_argument(
        "--offline", action="store_true", help="search the local store without connecting"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Sync and search."""
    if not args.text.strip() and not args.sender:
        fail("give TEXT to find, or --from USER")
        return EXIT_USAGE
    if not 1 <= args.limit <= MAX_LIMIT:
        fail(f"--limit must be from 1 to {MAX_LIMIT}")
        return EXIT_USAGE
    client = make_client(args, device="cli-search")
    return asyncio.run(_search(client, args))


async def _search(client: IMClient, args: argparse.Namespace) -> int:
    async with synced_client(client, timeout=args.timeout, offline=args.offline):
        conv = ConvRef.private(args.peer) if args.peer else None
        hits = await client.search.messages(
            args.text, conv=conv, sender=args.sender, limit=args.limit
        )
        for hit in hits:
            print(hit_json(hit) if args.json else hit_line(hit), flush=True)
        return EXIT_OK


def hit_line(hit: SearchHit) -> str:
    """One readable line: time, conversation, sender, the text around the match."""
    message = hit.message
    when = dt.datetime.fromtimestamp(message.sent_at / 1000).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when}  {message.conv.target}  {message.sender}: {hit.snippet}"


def hit_json(hit: SearchHit) -> str:
    """The message as `imkit history --json` prints it, with the snippet and its matches."""
    data = message_json(hit.message)
    data["snippet"] = hit.snippet
    data["matches"] = [list(span) for span in hit.spans]
    return json.dumps(data, ensure_ascii=False)

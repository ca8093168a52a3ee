"""`imkit recall`, `imkit delete`, `imkit clear`: change a conversation's history.

Messages are named by their server id (`uid` in `imkit history --json`). Each command
syncs first, so the messages are in the local store, then acts and exits 0 once the
server confirmed.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Subparsers,
    add_client_options,
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
        "other members keep them.",
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
    """Register `imkit recall`, `imkit delete` and `imkit clear`."""
    actions: dict[str, Action] = {"recall": _recall, "delete": _delete, "clear": _clear}
    for name, description, takes_uids in _COMMANDS:
        parser = subparsers.add_parser(name, description=description)
        _common(parser)
        if takes_uids:
            parser.add_argument("uids", nargs="+", metavar="UID")
        parser.set_defaults(
            run=lambda args, action=actions[name], device=f"cli-{name}": _run(args, action, device)
        )


def _common(parser: argparse.ArgumentParser) -> None:
    add_client_options(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--with", dest="peer", metavar="USER", help="the private chat with USER")
    which.add_argument("--group", metavar="GROUP", help="the chat of GROUP")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="give up after (30)"
    )


def _run(args: argparse.Namespace, action: Action, device: str) -> int:
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
            group = conv.type == ConversationType.GROUP
            where = f"group {conv.target}" if group else f"the chat with {conv.target}"
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
    chosen = await _messages(client, conv, args.uids)
    if chosen is None:
        return EXIT_USAGE
    await client.history.delete(chosen, everywhere=True)
    return EXIT_OK


async def _clear(client: IMClient, conv: ConvRef, args: argparse.Namespace) -> int:
    await client.history.clear(conv, everywhere=True)
    return EXIT_OK

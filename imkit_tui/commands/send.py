"""`imkit send`: send messages (text, any type as JSON, files) and exit once acknowledged."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_client_options,
    add_ultra_options,
    conversation_of,
    fail,
    make_client,
    unreachable,
)
from imkit_tui.core import IMClient, LoginRefused, SendStatus
from imkit_tui.media.probe import MediaKind
from imkit_tui.protocol import ConvRef, ErrorCode, describe
from imkit_tui.protocol.ids import uuid_from_key


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit send`."""
    parser = subparsers.add_parser(
        "send",
        description="Send a text message to USER (or GROUP, or a channel of an ultra group "
        "with --ultra and --channel); with '-', each line of standard input is one message, "
        "sent in order. In a group, --mention USER (repeatable) and "
        "--mention-all @mention members, as RongCloud's mentionedInfo. With --type and "
        "--content, send one message of any type (plugins' types too); with --file, send "
        "a file as an image, GIF, voice, video or file message (detected, or chosen with "
        "--as). Exits 0 once the server "
        "has acknowledged every message; retries (with the same message ids) while the "
        "server is away.",
    )
    add_client_options(parser)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="USER", help="the receiving user")
    where.add_argument("--group", metavar="GROUP", help="the group to send to (a member)")
    add_ultra_options(where, parser)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="USER",
        help="with --group: a targeted message that only these members receive (repeat "
        "for each); the others never see it",
    )
    parser.add_argument(
        "text", nargs="?", metavar="TEXT | -", help="the message, or - to read lines"
    )
    parser.add_argument(
        "--type",
        dest="object_name",
        metavar="OBJECTNAME",
        help="the message type, e.g. RC:LBSMsg (needs --content)",
    )
    parser.add_argument(
        "--content", metavar="JSON", help="the message content as a JSON object (with --type)"
    )
    parser.add_argument("--file", metavar="PATH", help="send this file")
    parser.add_argument(
        "--mention",
        action="append",
        default=[],
        metavar="USER",
        help="@mention this member in the text (repeatable; with --group or --ultra)",
    )
    parser.add_argument(
        "--mention-all",
        action="store_true",
        help="@mention every member (@all) in the text (with --group or --ultra)",
    )
    parser.add_argument(
        "--as",
        dest="kind",
        choices=[kind.value for kind in MediaKind],
        help="send --file as this kind instead of the detected one",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up after SECONDS without every ack (default 60); unsent messages stay "
        "queued and go out with the next command that connects",
    )
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="idempotency key: running the same command again with the same KEY and "
        "input sends nothing twice (message ids derive from KEY, the conversation and "
        "the line number)",
    )
    parser.set_defaults(run=run)


def _content(args: argparse.Namespace) -> dict[str, Any] | None:
    """The --content object, checked; None without --type."""
    if args.content is not None and args.object_name is None:
        raise CommandError("--content needs --type OBJECTNAME", EXIT_USAGE)
    if args.object_name is None:
        return None
    if args.content is None:
        raise CommandError("--type needs --content JSON", EXIT_USAGE)
    try:
        content = json.loads(args.content)
    except ValueError as exc:
        raise CommandError(f"--content is not valid JSON: {exc}", EXIT_USAGE) from None
    if not isinstance(content, dict):
        raise CommandError("--content must be a JSON object", EXIT_USAGE)
    return content


def run(args: argparse.Namespace) -> int:
    """Queue the messages, then wait for their acks."""
    content = _content(args)
    chosen = sum(x is not None for x in (args.text, content, args.file))
    if chosen != 1:
        raise CommandError("give exactly one of TEXT, --type/--content or --file", EXIT_USAGE)
    if args.kind is not None and args.file is None:
        raise CommandError("--as goes with --file", EXIT_USAGE)
    if args.only and args.group is None:
        raise CommandError("--only goes with --group", EXIT_USAGE)
    if args.text is not None and args.text != "-" and not args.text:
        raise CommandError("nothing to send", EXIT_USAGE)
    if args.channel and args.ultra is None:
        raise CommandError("--channel goes with --ultra", EXIT_USAGE)
    in_group = args.group is not None or args.ultra is not None
    if (args.mention or args.mention_all) and (args.text is None or not in_group):
        raise CommandError(
            "--mention and --mention-all go with --group or --ultra, and TEXT", EXIT_USAGE
        )
    client = make_client(args, device="cli-send")
    return asyncio.run(_send(client, args, content))


def _lines(args: argparse.Namespace) -> Iterator[str]:
    if args.text != "-":
        yield args.text
        return
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text:
            yield text


async def _queue(
    client: IMClient,
    conv: ConvRef,
    args: argparse.Namespace,
    content: dict[str, Any] | None,
    ids: list[int],
) -> None:
    """Put the messages in the outbox, adding their ids to `ids` as they are queued."""
    if content is not None or args.file is not None:
        cmid = uuid_from_key(args.key, 0, conv.key) if args.key else None
        try:
            if content is not None:
                message = await client.send(
                    conv, args.object_name, content, cmid=cmid, to=args.only
                )
            else:
                kind = MediaKind(args.kind) if args.kind else None
                message = await client.files.send(conv, args.file, kind, cmid=cmid, to=args.only)
        except ValueError as exc:  # AttachmentError, a status type, a malformed name
            raise CommandError(str(exc), EXIT_USAGE) from None
        ids.append(message.id)
        return
    loop = asyncio.get_running_loop()
    lines = _lines(args)
    index = 0
    while True:
        # stdin is read in a thread so that acks keep flowing while we wait for input.
        text = await loop.run_in_executor(None, next, lines, None)
        if text is None:
            break
        cmid = uuid_from_key(args.key, index, conv.key) if args.key else None
        index += 1
        message = await client.send_text(
            conv,
            text,
            mentioned=args.mention,
            mention_all=args.mention_all,
            cmid=cmid,
            to=args.only,
        )
        ids.append(message.id)


async def _withdraw(client: IMClient, ids: list[int], code: int) -> None:
    """Take the messages out of the outbox as failed: a run that does not exit 0 or 4
    sends nothing later (the app shows them failed, to send again by hand)."""
    for message_id in ids:
        await client.store.outbox.mark_failed(message_id, code)


async def _send(client: IMClient, args: argparse.Namespace, content: dict[str, Any] | None) -> int:
    conv = conversation_of(args)
    await client.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + args.timeout
        ids: list[int] = []
        try:
            await _queue(client, conv, args, content, ids)
        except CommandError:
            await _withdraw(client, ids, ErrorCode.INVALID_PARAMETER)
            raise
        remaining = max(0.0, deadline - loop.time())
        try:
            done = await client.wait_sent(ids, timeout=remaining)
        except LoginRefused as refused:
            await _withdraw(client, ids, refused.code)
            fail(f"login refused: {refused}; nothing was sent")
            return EXIT_REFUSED
        except TimeoutError:
            left = await client.store.outbox.count()
            fail(
                f"{unreachable(client)}timed out with {left} message(s) not acknowledged; "
                "they stay queued"
            )
            return EXIT_TIMEOUT
        failed = [m for m in done if m.status == SendStatus.FAILED]
        for message in failed:
            code = message.error or 0
            fail(f"message {message.cmid} refused: {describe(code)} ({code})")
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        await client.close()

"""`imkit send`: send text messages and exit once the server acknowledged every one."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    CommandError,
    add_client_options,
    fail,
    make_client,
)
from imkit_tui.core import IMClient, LoginRefused, SendStatus
from imkit_tui.protocol import ConvRef, describe
from imkit_tui.protocol.ids import uuid_from_key


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `imkit send`."""
    parser = subparsers.add_parser(
        "send",
        help="send text messages",
        description="Send a text message to USER; with '-', each line of standard input is "
        "one message, sent in order. Exits 0 once the server has acknowledged every "
        "message; retries (with the same message ids) while the server is away.",
    )
    add_client_options(parser)
    parser.add_argument("--to", required=True, metavar="USER", help="the receiving user")
    parser.add_argument("text", metavar="TEXT | -", help="the message, or - to read lines")
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
        "input sends nothing twice (message ids derive from KEY and the line number)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Queue the messages, then wait for their acks."""
    if args.text != "-" and not args.text:
        raise CommandError("nothing to send")
    client = make_client(args, device="cli-send")
    return asyncio.run(_send(client, args))


def _lines(args: argparse.Namespace) -> Iterator[str]:
    if args.text != "-":
        yield args.text
        return
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text:
            yield text


async def _send(client: IMClient, args: argparse.Namespace) -> int:
    conv = ConvRef.private(args.to)
    await client.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + args.timeout
        ids: list[int] = []
        lines = _lines(args)
        index = 0
        while True:
            # stdin is read in a thread so that acks keep flowing while we wait for input.
            text = await loop.run_in_executor(None, next, lines, None)
            if text is None:
                break
            cmid = uuid_from_key(args.key, index) if args.key else None
            index += 1
            message = await client.send_text(conv, text, cmid=cmid)
            ids.append(message.id)
        remaining = max(0.0, deadline - loop.time())
        try:
            done = await client.wait_sent(ids, timeout=remaining)
        except LoginRefused as refused:
            fail(f"login refused: {refused}")
            return EXIT_REFUSED
        except TimeoutError:
            left = await client.store.pending_count()
            fail(f"timed out with {left} message(s) not acknowledged; they stay queued")
            return EXIT_TIMEOUT
        failed = [m for m in done if m.status == SendStatus.FAILED]
        for message in failed:
            code = message.error or 0
            fail(f"message {message.cmid} refused: {describe(code)} ({code})")
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        await client.close()

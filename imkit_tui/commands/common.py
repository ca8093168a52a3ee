"""What the client subcommands share: exit codes, opening a client, printing messages."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core import IMClient, LoginRefused, Message
from imkit_tui.paths import Paths
from imkit_tui.protocol import ProtocolError
from imkit_tui.protocol.tokens import read_claims

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_TIMEOUT = 4


class CommandError(Exception):
    """A failure to report to the user as one line, with the exit code to use."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """The options every client subcommand takes."""
    parser.add_argument(
        "--server", required=True, metavar="URL", help="the server, e.g. ws://127.0.0.1:8765"
    )
    parser.add_argument("--token", required=True, help="your login token (see `imkit token`)")


@contextlib.asynccontextmanager
async def synced_client(
    client: IMClient, *, timeout: float, offline: bool = False
) -> AsyncIterator[IMClient]:
    """Start `client` and wait for its first sync (or, `offline`, only open its store);
    close it afterwards. A refused login or no server in time ends the command."""
    if offline:
        await client.open()
    else:
        await client.start()
    try:
        if not offline:
            try:
                await client.wait_synced(timeout=timeout)
            except LoginRefused as refused:
                raise CommandError(f"login refused: {refused}", EXIT_REFUSED) from None
            except TimeoutError:
                raise CommandError("could not reach the server in time", EXIT_TIMEOUT) from None
        yield client
    finally:
        await client.close()


def make_client(args: argparse.Namespace, device: str) -> IMClient:
    """A client for the server and token in `args`, with its store under the home."""
    try:
        user_id = read_claims(args.token).user_id
    except ProtocolError as exc:
        raise CommandError(f"the token is not valid: {exc.message}", EXIT_REFUSED) from None
    paths = Paths.resolve(args.home)
    return IMClient(
        server_url=args.server,
        token=args.token,
        store_path=paths.account_store(args.server, user_id),
        device=device,
    )


def message_json(message: Message) -> dict[str, Any]:
    """The JSON object printed for a message by `--json`."""
    return {
        "uid": message.uid,
        "seq": message.seq,
        "cmid": message.cmid,
        "sender": message.sender,
        "conversation": {
            "type": message.conv.type,
            "target": message.conv.target,
            "channel": message.conv.channel,
        },
        "type": message.object_name,
        "content": message.content,
        "sent_at": message.sent_at,
        "status": message.status.name.lower(),
    }


def message_line(message: Message) -> str:
    """One readable line for a message: time, sender, summary."""
    when = dt.datetime.fromtimestamp(message.sent_at / 1000).strftime("%Y-%m-%d %H:%M:%S")
    summary = catalogue.summarize(message.object_name, message.content)
    mark = "" if message.seq is not None else f"  ({message.status.name.lower()})"
    return f"{when}  {message.sender}: {summary}{mark}"


def print_message(message: Message, as_json: bool) -> None:
    """Print a message as JSON or as a line, flushing so pipes see it at once."""
    if as_json:
        print(json.dumps(message_json(message), ensure_ascii=False), flush=True)
    else:
        print(message_line(message), flush=True)


def fail(message: str) -> None:
    """Print an error line on stderr."""
    print(f"imkit: {message}", file=sys.stderr, flush=True)

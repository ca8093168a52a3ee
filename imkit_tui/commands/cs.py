"""`imkit cs agent`: serve the customer service from the terminal, as one of its agents.

It connects, prints the desk (who waits, your customers, the agents online) and every
message your customers send, and reads one command a line from standard input until
`quit` or its end:

    take [CUSTOMER]        take CUSTOMER, or the first one waiting
    reply CUSTOMER TEXT    write to your customer
    end CUSTOMER           end the session (the customer is asked to rate it)
    history CUSTOMER       print the conversation with CUSTOMER (what came before too)
    desk                   print the desk again
    left                   print the messages customers left while nobody was online
    quit                   stop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    message_line,
    synced_client,
)
from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.core.events import AgentDeskChanged, MessagesReceived
from imkit_tui.protocol import ConversationType, ConvRef, CsAgentState, describe

REPLY_TIMEOUT = 30.0
"""Seconds a reply may take to be acknowledged."""
HELP = (
    "commands: take [CUSTOMER] · reply CUSTOMER TEXT · end CUSTOMER · history CUSTOMER"
    " · desk · left · quit"
)


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit cs` and its `agent` command."""
    parser = subparsers.add_parser(
        "cs", description="Customer service: serve the server's customer service."
    )
    commands = parser.add_subparsers(dest="cs_command", required=True, metavar="COMMAND")
    agent = commands.add_parser(
        "agent",
        help="serve customers from the terminal: take, reply, end",
        description="Serve customers as an agent: prints the desk and your customers' "
        "messages, and reads commands from standard input, one a line. " + HELP,
    )
    add_client_options(agent)
    agent.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="give up after SECONDS without the server (default 30)",
    )
    agent.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until `quit` or the end of standard input."""
    client = make_client(args, device="cli-cs-agent")
    return asyncio.run(_serve(client, args.timeout))


def customer_conv(customer: str) -> ConvRef:
    """How an agent sees `customer`'s conversation."""
    return ConvRef(type=ConversationType.CUSTOMER_SERVICE, target=customer)


def desk_line(desk: CsAgentState) -> str:
    """The desk on one line."""
    waiting = ", ".join(desk.waiting) or "nobody"
    mine = ", ".join(desk.mine) or "nobody"
    online = ", ".join(desk.online) or "nobody"
    return f"desk: waiting {waiting} · yours {mine} · online {online}"


async def _serve(client: IMClient, timeout: float) -> int:
    async with synced_client(client, timeout=timeout) as ready:
        info = await ready.customer_service.info()
        if not info.account:
            raise CommandError("this server has no customer service", EXIT_FAILED)
        if not info.agent:
            raise CommandError(f"you are not an agent of {info.account}", EXIT_FAILED)
        _say(f"serving {info.name or info.account} as {ready.user_id} · {HELP}")
        _say(desk_line(info))
        watcher = asyncio.create_task(_watch(ready))
        try:
            await _read_commands(ready)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    return EXIT_OK


async def _watch(client: IMClient) -> None:
    """Print the desk as it changes and every customer's message."""
    with client.subscribe() as events:
        async for event in events:
            if isinstance(event, AgentDeskChanged):
                _say(desk_line(event.desk))
            elif (
                isinstance(event, MessagesReceived)
                and event.conv.type == ConversationType.CUSTOMER_SERVICE
            ):
                for message in event.messages:
                    if message.sender != client.user_id:
                        _say(f"[{event.conv.target}] {message_line(message)}")


async def _read_commands(client: IMClient) -> None:
    """Run each command read from standard input until `quit` or its end."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        words = line.strip().split(maxsplit=2)
        if not words:
            continue
        if words[0] in ("quit", "exit"):
            return
        action = _action(client, words)
        if action is None:
            fail(f"not a command: {line.strip()!r} ({HELP})")
            continue
        try:
            await action()
        except RequestFailed as exc:
            fail(f"refused: {exc.message}")
        except NotConnected:
            fail("not connected: try again when the server is back")
        except TimeoutError:
            fail("the server did not answer in time")


def _action(client: IMClient, words: list[str]) -> Callable[[], Awaitable[None]] | None:
    """What a command line asks for, or None when it is not a command."""
    service = client.customer_service
    verb, rest = words[0], words[1:]

    async def show(desk: Awaitable[CsAgentState]) -> None:
        _say(desk_line(await desk))

    if verb == "take" and len(rest) <= 1:
        return lambda: show(service.take(rest[0] if rest else ""))
    if verb == "end" and len(rest) == 1:
        return lambda: show(service.end(rest[0]))
    if verb == "desk" and not rest:
        return lambda: show(service.view())
    if verb == "left" and not rest:
        return lambda: _print_left(client)
    if verb == "reply" and len(rest) == 2:
        return lambda: _reply(client, rest[0], rest[1])
    if verb == "history" and len(rest) == 1:
        return lambda: _history(client, rest[0])
    return None


async def _reply(client: IMClient, customer: str, text: str) -> None:
    message = await client.send_text(customer_conv(customer), text)
    sent = await client.wait_sent([message.id], timeout=REPLY_TIMEOUT)
    if sent and sent[0].seq is None:
        fail(f"not sent to {customer}: error {sent[0].error} ({describe(sent[0].error or 0)})")
    else:
        _say(f"sent to {customer}")


async def _history(client: IMClient, customer: str) -> None:
    for message in await client.messages(customer_conv(customer), limit=100):
        _say(f"[{customer}] {message_line(message)}")


async def _print_left(client: IMClient) -> None:
    desk = await client.customer_service.left()
    if not desk.left:
        _say("no messages left")
    for item in desk.left:
        fields = " · ".join(f"{k}: {v}" for k, v in item.fields.items())
        _say(f"left by {item.customer}: {fields}")


def _say(line: str) -> None:
    print(line, flush=True)

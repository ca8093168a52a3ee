"""`imkit tail`: print incoming messages as they arrive, until interrupted; with
`--chatroom ROOM`, join the room and print its messages (its latest first) instead."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    print_message,
    synced_client,
)
from imkit_tui.core import (
    ConnectionChanged,
    ConnectionState,
    IMClient,
    MessagesReceived,
    RequestFailed,
    SyncCompleted,
)
from imkit_tui.core.client import CURSOR_KEY
from imkit_tui.core.events import RoomChanged, RoomMessagesReceived
from imkit_tui.protocol import DEFAULT_JOIN_HISTORY, MAX_JOIN_HISTORY, describe


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit tail`."""
    parser = subparsers.add_parser(
        "tail",
        description="Print messages as they arrive (including those that arrived while no "
        "imkit was running for this user), until interrupted.",
    )
    add_client_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    parser.add_argument(
        "--chatroom",
        metavar="ROOM",
        help="join the chatroom ROOM (it must exist) and print its messages as they come, "
        "its latest first; joined again after a reconnect, left on exit",
    )
    parser.add_argument(
        "--recent",
        type=int,
        default=DEFAULT_JOIN_HISTORY,
        metavar="N",
        help=f"with --chatroom: the latest messages printed first (default "
        f"{DEFAULT_JOIN_HISTORY}, at most {MAX_JOIN_HISTORY}; 0 none)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print until SIGINT or SIGTERM."""
    client = make_client(args, device="cli-tail")
    if args.chatroom:
        return asyncio.run(_tail_room(client, args))
    return asyncio.run(_tail(client, args.json))


async def _tail(client: IMClient, as_json: bool) -> int:
    await client.open()
    # On a store that never synced, the first sync brings old history: not "incoming".
    first_run = not await client.store.meta.get(CURSOR_KEY)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    events = client.subscribe()
    await client.start()
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            getter = asyncio.ensure_future(events.next())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            event = getter.result()
            if isinstance(event, SyncCompleted):
                first_run = False
            elif isinstance(event, MessagesReceived) and not first_run:
                for message in event.messages:
                    print_message(message, as_json)
            elif isinstance(event, ConnectionChanged) and event.state == ConnectionState.REFUSED:
                fail(f"login refused: {event.detail} ({event.code})")
                return EXIT_REFUSED
        return EXIT_OK
    finally:
        stopper.cancel()
        events.close()
        await client.close()


async def _tail_room(client: IMClient, args: argparse.Namespace) -> int:
    """Join the room, print its messages until interrupted or out of the room."""
    room = args.chatroom
    recent = max(0, min(args.recent, MAX_JOIN_HISTORY)) or -1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with synced_client(client, timeout=30.0):
        with client.subscribe() as events:
            try:
                await client.chatrooms.join_existing(room, recent=recent)
            except RequestFailed as refused:
                fail(f"cannot join {room}: {describe(refused.code)} ({refused.code})")
                return EXIT_FAILED
            stopper = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    getter = asyncio.ensure_future(events.next())
                    done, _ = await asyncio.wait(
                        {getter, stopper}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter not in done:
                        getter.cancel()
                        break
                    event = getter.result()
                    if isinstance(event, RoomMessagesReceived) and event.room == room:
                        for message in event.messages:
                            print_message(message, args.json)
                    elif isinstance(event, RoomChanged) and event.room == room and event.ended:
                        fail(f"out of {room}: {event.kind.replace('_', ' ')}")
                        return EXIT_FAILED
            finally:
                stopper.cancel()
    return EXIT_OK

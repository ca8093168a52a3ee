"""`imkit tail`: print incoming messages as they arrive, until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from imkit_tui.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Subparsers,
    add_client_options,
    fail,
    make_client,
    print_message,
)
from imkit_tui.core import (
    ConnectionChanged,
    ConnectionState,
    IMClient,
    MessagesReceived,
    SyncCompleted,
)
from imkit_tui.core.client import CURSOR_KEY


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit tail`."""
    parser = subparsers.add_parser(
        "tail",
        description="Print messages as they arrive (including those that arrived while no "
        "imkit was running for this user), until interrupted.",
    )
    add_client_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print until SIGINT or SIGTERM."""
    client = make_client(args, device="cli-tail")
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

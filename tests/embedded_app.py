"""The embedded-server part of `imkit`, headless, as a process tests can start and kill.

`python -m tests.embedded_app HOME USER` does what the app does on start-up
(commands/embedded.py), then prints one JSON object a line: ``ready`` (with ``serving``
and ``url``), ``received`` for each message, ``serving`` when it takes the server over.
Each line of standard input ``{"to": USER, "text": TEXT}`` sends a private text.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from imkit_tui.commands.embedded import EmbeddedHost
from imkit_tui.core import IMClient, MessagesReceived
from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef


def say(**fields: Any) -> None:
    """One JSON line on standard output."""
    print(json.dumps(fields), flush=True)


async def _report(host: EmbeddedHost, client: IMClient) -> None:
    serving = host.serving
    with client.subscribe() as events:
        async for event in events:
            if host.serving and not serving:
                serving = True
                say(event="serving", url=client.server_url)
            if isinstance(event, MessagesReceived):
                for message in event.messages:
                    say(
                        event="received",
                        sender=message.sender,
                        text=message.content.get("content"),
                        sent=message.seq is not None,
                    )


async def _commands(client: IMClient) -> None:
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        order = json.loads(line)
        await client.send_text(ConvRef.private(order["to"]), order["text"])


async def main(home: Path, user: str) -> None:
    """Start like the app, report, obey standard input until it closes."""
    host = EmbeddedHost(Paths.resolve(home), user)
    client = await host.start()
    try:
        await client.wait_synced(timeout=30)
        reporting = asyncio.create_task(_report(host, client))
        say(event="ready", serving=host.serving, url=client.server_url)
        await _commands(client)
        reporting.cancel()
    finally:
        await host.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))

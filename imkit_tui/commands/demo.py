"""The demo workspace of the embedded server: contacts with history, bots that answer,
and a welcome in the system conversation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from imkit_tui import messages as catalogue
from imkit_tui.commands import demo_media
from imkit_tui.core import Direction, IMClient, MessagesReceived
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer
from imkit_tui.server.auth import load_or_create_secret

log = logging.getLogger(__name__)

ECHO_BOT = "echo-bot"
DEMO_GROUP = "design"
MARKER = "demo-created"

WELCOME = (
    "Welcome to imkit 👋\n"
    "This is your own chat server, running inside the app. alice and bob have written "
    "to you, the # design group is talking, and echo-bot answers everything you send "
    "it.\n"
    "Keys: ctrl+p every command · ctrl+n new chat · tab move focus · ctrl+q quit."
)

_HISTORY: dict[str, list[str]] = {
    "alice": [
        "Hi! Welcome to imkit 🎉",
        "It is a whole chat app in a terminal: try the palette with ctrl+p.",
        "Drafts stay where you left them, even after a restart.",
    ],
    "bob": ["Did you see the new build? 你好，世界", "Ping me when you are back."],
    ECHO_BOT: ["I repeat whatever you send me. Try it!"],
}


def _client(server: IMServer, user: str, store_dir: Path) -> IMClient:
    secret = load_or_create_secret(server.config.data_dir)
    return IMClient(
        server_url=server.url,
        token=issue_token(secret, user),
        store_path=store_dir / user / "store.db",
        device="demo",
    )


async def create_demo(server: IMServer, user: str, store_dir: Path) -> None:
    """Fill a new embedded server with the demo conversations, once per data dir."""
    marker = server.config.data_dir / MARKER
    if marker.exists():
        return
    await server.send_system(user, catalogue.TEXT, catalogue.text_content(WELCOME))
    await server.create_group(DEMO_GROUP, "Design", "alice", ["bob", user])
    group = ConvRef(type=ConversationType.GROUP, target=DEMO_GROUP)
    chats: list[tuple[str, ConvRef, list[str]]] = [
        (contact, ConvRef.private(user), lines) for contact, lines in _HISTORY.items()
    ]
    chats += [
        ("alice", group, ["New mockups are up 🎨"]),
        ("bob", group, ["Looks great. Ship on Friday?"]),
        ("alice", group, [f"{user}, could you take a look?"]),
    ]
    for contact, conv, lines in chats:
        client = _client(server, contact, store_dir)
        await client.start()
        try:
            await client.wait_synced(timeout=10)
            sent = [await client.send_text(conv, line) for line in lines]
            await client.wait_sent([m.id for m in sent], timeout=10)
        finally:
            await client.close()
    await _send_media(server, user, store_dir, group)
    marker.write_text("1\n")


async def _send_media(server: IMServer, user: str, store_dir: Path, group: ConvRef) -> None:
    """The group gets a picture, a voice note, a file and a place; the user a call summary."""
    folder = server.config.data_dir / "demo-files"
    files = await asyncio.to_thread(demo_media.demo_files, folder)
    senders = {item.sender for item in files} | {m.sender for m in demo_media.demo_messages()}
    clients = {name: _client(server, name, store_dir) for name in sorted(senders)}
    try:
        for client in clients.values():
            await client.start()
            await client.wait_synced(timeout=10)
        queued: dict[str, list[int]] = {name: [] for name in clients}
        for item in files:
            message = await clients[item.sender].send_file(group, item.path, item.kind)
            queued[item.sender].append(message.id)
        for extra in demo_media.demo_messages():
            private = extra.object_name == catalogue.CALL_HANGUP
            conv = ConvRef.private(user) if private else group
            message = await clients[extra.sender].send(conv, extra.object_name, extra.content)
            queued[extra.sender].append(message.id)
        for name, client in clients.items():
            await client.wait_sent(queued[name], timeout=30)
    finally:
        for client in clients.values():
            await client.close()


class EchoBot:
    """A user that answers every message with the same content ("echo: " for text)."""

    def __init__(self, server: IMServer, store_dir: Path, user_id: str = ECHO_BOT) -> None:
        self.client = _client(server, user_id, store_dir)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and start answering."""
        await self.client.start()
        self._task = asyncio.create_task(self._answer(), name="echo-bot")

    async def _answer(self) -> None:
        with self.client.subscribe() as events:
            async for event in events:
                if not isinstance(event, MessagesReceived):
                    continue
                for message in event.messages:
                    if message.direction != Direction.RECEIVED:
                        continue
                    try:
                        await self._reply(message.conv, message.object_name, message.content)
                    except Exception:
                        log.exception("echo-bot could not answer")

    async def _reply(self, conv: ConvRef, object_name: str, content: dict[str, object]) -> None:
        if object_name == catalogue.TEXT:
            text = content.get("content")
            reply = f"echo: {text}" if isinstance(text, str) else "echo"
            await self.client.send_text(conv, reply)
        elif catalogue.lookup(object_name).kind == catalogue.MessageKind.CONTENT:
            await self.client.send(conv, object_name, dict(content))

    async def stop(self) -> None:
        """Stop answering and disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

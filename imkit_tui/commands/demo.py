"""The demo workspace of the embedded server: contacts with history, bots that answer,
a welcome in the system conversation, and a public chatroom (the lobby) where a bot
talks at a steady rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from imkit_tui import messages as catalogue
from imkit_tui.commands import demo_media
from imkit_tui.commands.common import IN_PROCESS_URL
from imkit_tui.core import (
    Direction,
    IMClient,
    MessagesReceived,
    NotConnected,
    RequestFailed,
    SendStatus,
)
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.protocol.ids import uuid_from_key
from imkit_tui.protocol.public_frames import MenuItem
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.chatrooms.settings import ChatroomSettings, PublicRoom
from imkit_tui.server.public_service.accounts import AccountSpec

log = logging.getLogger(__name__)

NEWS_ACCOUNT = AccountSpec(
    type=7,
    id="imkit-news",
    name="imkit news",
    description="What imkit is and what it can do",
    menu=(
        MenuItem(id="about", name="About imkit"),
        MenuItem(
            name="Help",
            kind="group",
            items=[MenuItem(id="keys", name="Keys"), MenuItem(id="server", name="Own server")],
        ),
    ),
)
"""The demo's public service account (its menu's commands go to the app's backend)."""
NEWS_ARTICLE = {
    "articles": [
        {
            "title": "imkit: a whole chat app in your terminal",
            "digest": "Private chats, groups, chatrooms and public accounts, on your own server.",
            "content": (
                "imkit is a terminal chat app and the server it talks to.\n\n"
                "It follows a well-known instant messaging service: private chats and "
                "groups with read receipts and @mentions, chatrooms, files, pictures and "
                "voice notes, recall, search, and public service accounts like this one, "
                "whose articles reach their followers.\n\n"
                "The server keeps every message once, numbers each conversation without "
                "gaps, and lets a device that was away catch up with what changed. The "
                "Server API lets an app's backend make tokens, post messages and run "
                "accounts: try `imkit public --help`.\n\n"
                "Press enter on an article to read it whole; esc comes back."
            ),
        }
    ]
}
"""The article the account posts in the demo."""

ECHO_BOT = "echo-bot"
DEMO_GROUP = "design"
MARKER = "demo-created"
WELCOMED = "demo-welcomed"

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
    """A demo user's client, connected in-process (it lives in the server's process)."""
    secret = load_or_create_secret(server.config.data_dir)
    return IMClient(
        server_url=server.url if server.listening else IN_PROCESS_URL,
        token=issue_token(secret, user),
        store_path=store_dir / user / "store.db",
        device="demo",
        opener=server.connect_in_process,
    )


async def create_demo(server: IMServer, user: str, store_dir: Path) -> None:
    """Fill a new embedded server with the demo conversations, once per data dir.

    Every message is sent in one set order, each acknowledged before the next is
    sent, so the server gives them increasing seqs and times: a fresh demo looks the
    same on every start (demos and screenshots depend on it).
    """
    marker = server.config.data_dir / MARKER
    if marker.exists():
        return
    welcomed = server.config.data_dir / WELCOMED
    if not welcomed.exists():  # a seeding cut short already sent it
        await server.send_system(user, catalogue.TEXT, catalogue.text_content(WELCOME))
        welcomed.write_text("1\n")
    await server.create_group(DEMO_GROUP, "Design", "alice", ["bob", user])
    # Before the contacts write: the conversations the demo opens stay where they were.
    await _public_account(server, user)
    group = ConvRef(type=ConversationType.GROUP, target=DEMO_GROUP)
    folder = server.config.data_dir / "demo-files"
    files = await asyncio.to_thread(demo_media.demo_files, folder)
    steps = demo_steps(user, group, files)
    clients = {name: _client(server, name, store_dir) for name in sorted({s[0] for s in steps})}
    try:
        for client in clients.values():
            await client.start()
            await client.wait_synced(timeout=10)
        for index, (sender, conv, what) in enumerate(steps):
            client = clients[sender]
            # The same ids on every attempt: seeding cut short (the app quit while it
            # ran) and started again sends nothing twice.
            cmid = uuid_from_key(MARKER, index)
            if isinstance(what, str):
                message = await client.send_text(conv, what, cmid=cmid)
            elif isinstance(what, demo_media.DemoFile):
                message = await client.files.send(conv, what.path, what.kind, cmid=cmid)
            else:
                message = await client.send(conv, what.object_name, what.content, cmid=cmid)
            await client.wait_sent([message.id], timeout=30)
            # In-process a round trip can take less than a millisecond: the next
            # message must still get a later time than this one.
            await asyncio.sleep(0.002)
    finally:
        for client in clients.values():
            await client.close()
    marker.write_text("1\n")


async def _public_account(server: IMServer, user: str) -> None:
    """The imkit public service account, followed by `user`, with its article about
    imkit (posted once, whatever restarts cut the seeding short)."""
    from imkit_tui.protocol.clock import now_ms
    from imkit_tui.server.handlers.public_service import post_to_followers
    from imkit_tui.server.public_service.service import save_account

    store = server.require_store()
    await save_account(store, NEWS_ACCOUNT)
    await store.public.follow(user, NEWS_ACCOUNT.type, NEWS_ACCOUNT.id, now_ms())
    posted = server.config.data_dir / "demo-article-posted"
    account = await store.public.get(NEWS_ACCOUNT.type, NEWS_ACCOUNT.id)
    if account is not None and not posted.exists():
        await post_to_followers(server, account, catalogue.PS_ARTICLE, NEWS_ARTICLE)
        posted.write_text("1\n")


DemoStep = tuple[str, ConvRef, str | demo_media.DemoFile | demo_media.DemoMessage]
"""Who sends what where: a text, a file or a message sent as it is."""


def demo_steps(user: str, group: ConvRef, files: list[demo_media.DemoFile]) -> list[DemoStep]:
    """The demo's messages in the order they are sent: the private chats, then the group
    talking, its picture, voice note, file and place; the call summary last."""
    steps: list[DemoStep] = [
        (contact, ConvRef.private(user), line)
        for contact, lines in _HISTORY.items()
        for line in lines
    ]
    steps += [
        ("alice", group, "New mockups are up 🎨"),
        ("bob", group, "Looks great. Ship on Friday?"),
        ("alice", group, f"{user}, could you take a look?"),
    ]
    steps += [(item.sender, group, item) for item in files]
    for extra in demo_media.demo_messages():
        private = extra.object_name == catalogue.CALL_HANGUP
        steps.append((extra.sender, ConvRef.private(user) if private else group, extra))
    return steps


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
        await _stop_bot(self._task, self.client)


async def _stop_bot(task: asyncio.Task[None] | None, client: IMClient) -> None:
    """Stop a bot's task, then its client."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await client.close()


DEMO_ROOM = "lobby"
"""The demo's public chatroom."""
DEMO_ROOM_NAME = "Lobby"
ROOM_BOT = "lobby-bot"
ROOM_BOT_EVERY = 1.5
"""Seconds between two lines of the lobby's bot."""

_ROOM_LINES = (
    "Welcome to the lobby: a live chatroom. Only those in it now see what is said.",
    "Leave with escape; your copy of the room goes with you.",
    "Members and the room's attributes are on the right.",
    "Try ctrl+r on the main screen to list the rooms, or join one by id.",
    "A room keeps nothing for people who are away: it is live.",
    "大家好！This line is number {count}.",
)


def demo_chatrooms() -> ChatroomSettings:
    """The embedded server's chatrooms: the lobby is public (listed, kept alive)."""
    return ChatroomSettings(public_rooms=(PublicRoom(DEMO_ROOM, DEMO_ROOM_NAME),))


class RoomBot:
    """A user that talks in the demo's public room at a steady rate, joining it again
    whenever it is out of it (a reconnect, a restart of the room)."""

    def __init__(
        self,
        server: IMServer,
        store_dir: Path,
        *,
        room: str = DEMO_ROOM,
        every: float = ROOM_BOT_EVERY,
        user_id: str = ROOM_BOT,
    ) -> None:
        self.client = _client(server, user_id, store_dir)
        self.room = room
        self.every = every
        self.said = 0
        """How many lines the room took from it."""
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and start talking."""
        await self.client.start()
        self._task = asyncio.create_task(self._talk(), name="room-bot")

    async def _talk(self) -> None:
        rooms = self.client.chatrooms
        while True:
            try:
                if not rooms.is_joined(self.room):
                    await self.client.wait_synced()
                    await rooms.join(self.room, recent=-1, name=DEMO_ROOM_NAME)
                line = _ROOM_LINES[self.said % len(_ROOM_LINES)].format(count=self.said + 1)
                sent = await rooms.send_text(self.room, line)
                self.said += sent.status == SendStatus.SENT
            except (NotConnected, RequestFailed, TimeoutError) as exc:
                log.debug("the lobby's bot could not speak: %r", exc)
            except Exception:
                log.exception("the lobby's bot failed")
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        """Stop talking and disconnect (out of the room)."""
        await _stop_bot(self._task, self.client)


class DemoBots:
    """The demo's bots, started and stopped together: echo-bot and the lobby's talker."""

    def __init__(self, server: IMServer, store_dir: Path) -> None:
        self.echo = EchoBot(server, store_dir)
        self.lobby = RoomBot(server, store_dir)

    async def start(self) -> None:
        """Start both."""
        await self.echo.start()
        await self.lobby.start()

    async def stop(self) -> None:
        """Stop both."""
        await self.lobby.stop()
        await self.echo.stop()

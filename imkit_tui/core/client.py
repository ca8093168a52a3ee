"""IMClient: the client core's facade (the IMLib equivalent).

It owns the local store, the connection, the outbox and the sync. Everything a UI or a
script needs goes through here: send, read conversations and pages of messages, and
subscribe to typed events. Each feature is a service attribute built with one
:class:`~imkit_tui.core.context.ClientContext`: `client.groups`, `client.files`,
`client.history`, `client.search`, `client.privacy`, `client.receipts`,
`client.mentions`, `client.chatrooms`, `client.profiles`, `client.ultra`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core.backoff import Backoff
from imkit_tui.core.chatrooms import Chatrooms
from imkit_tui.core.connection import (
    Connection,
    LoginRefused,
    NotConnected,
    Opener,
    RequestFailed,
    device_id,
)
from imkit_tui.core.customer_service import CustomerService, is_service_signal
from imkit_tui.core.engine import UltraWork
from imkit_tui.core.engine.session import PushFrame
from imkit_tui.core.events import (
    ConnectionChanged,
    ConnectionState,
    ConversationUpdated,
    EventBus,
    MessageQueued,
    MessageUpdated,
    NoticeReceived,
    Subscription,
    SyncCompleted,
)
from imkit_tui.core.files import Files
from imkit_tui.core.group_receipts import Receipts, receipts_event
from imkit_tui.core.groups import Groups
from imkit_tui.core.history import History
from imkit_tui.core.inbound import CURSOR_KEY as CURSOR_KEY
from imkit_tui.core.inbound import Acked, Inbound, InboundHooks, SyncAll
from imkit_tui.core.mentions import Mentions
from imkit_tui.core.models import Conversation, Message, SendStatus
from imkit_tui.core.outbox import Outbox
from imkit_tui.core.privacy import Privacy
from imkit_tui.core.profiles import Profiles
from imkit_tui.core.public_services import PublicServices
from imkit_tui.core.search import Search
from imkit_tui.core.state_sync import StateSync
from imkit_tui.core.store import LocalStore
from imkit_tui.core.transfer import Transfers
from imkit_tui.core.ultra import Ultra
from imkit_tui.core.ultra_rows import is_ultra_row
from imkit_tui.protocol import (
    CONTENT_TOO_DEEP,
    ChatroomEvent,
    ConversationType,
    ConversationUpdate,
    ConvRef,
    CsAgentState,
    MessageRecord,
    Notice,
    PrivacyState,
    Push,
    PushUrlState,
    ReceiptState,
    SendAck,
    SendMessage,
    SetPushUrl,
    UltraDeleted,
    UltraInfo,
    UltraUpdate,
    Welcome,
    depth_within,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import read_claims

log = logging.getLogger(__name__)

#: Seconds between looks at the store while `wait_sent` hears nothing.
STORE_LOOK = 0.5

#: How many request timeouts a service waits for its ultra group work to be applied.
APPLY_WAITS = 4


class IMClient:
    """A user's client: local store plus a connection that keeps it in step with the server.

    `user_id` comes from the token. Call `start()` to open the store and begin
    connecting, `close()` when done. Writes to the outbox happen before any attempt to
    send, so a message survives a crash of this process and is sent exactly once.
    """

    def __init__(
        self,
        *,
        server_url: str,
        token: str,
        store_path: Path | str,
        device: str = "imkit",
        backoff: Backoff | None = None,
        request_timeout: float = 15.0,
        media_dir: Path | None = None,
        opener: Opener | None = None,
    ) -> None:
        self.server_url = server_url
        self.user_id = read_claims(token).user_id
        self.events = EventBus()
        self.state = ConnectionState.OFFLINE
        self._store_path = store_path
        self._store: LocalStore | None = None
        self._request_timeout = request_timeout
        self._backoff = backoff or Backoff()
        self._connection = Connection(
            server_url,
            token,
            device=device_id(device),
            on_ready=self._on_ready,
            on_push=self._on_push,
            on_state=self._on_state,
            backoff=self._backoff,
            opener=opener,
        )
        self.transfers = Transfers(
            self._connection, media_dir or _media_dir(store_path), request_timeout
        )
        """Uploads and downloads of message files; downloads are kept in its cache."""
        self._synced = asyncio.Event()
        self._stopped = asyncio.Event()
        self._refused_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._state_sync = StateSync(
            store=lambda: self.store,
            connection=self._connection,
            events=self.events,
            backoff=self._backoff,
            timeout=request_timeout,
            synced=self._synced,
            stopped=self._stopped,
        )
        self._inbound = Inbound(
            store=lambda: self.store,
            connection=self._connection,
            events=self.events,
            timeout=request_timeout,
            hooks=InboundHooks(
                synced=self._synced,
                on_synced=self._on_synced,
                on_receipts_asked=self._state_sync.wakeup.set,
            ),
        )
        self._outbox = Outbox(
            store=lambda: self.store,
            connection=self._connection,
            transfers=self.transfers,
            events=self.events,
            backoff=self._backoff,
            timeout=request_timeout,
            synced=self._synced,
            stopped=self._stopped,
            inbound=self._inbound.put,
        )
        context = _Context(self)
        self.groups = Groups(context)
        """Groups: create, invite, kick, quit, dismiss, rename, mute, members, info."""
        self.files = Files(context)
        """File and location messages, forwards, downloads, play state."""
        self.history = History(context)
        """Older pages from the cloud; recall, delete, clear, remove a conversation."""
        self.search = Search(context)
        """Searching the stored messages, and a found message in its context."""
        self.privacy = Privacy(context)
        """Blocking, the whitelist and whitelist mode."""
        self.receipts = Receipts(context)
        """Group read receipts: ask for them, read who has read."""
        self.mentions = Mentions(context)
        """Unread @mentions of this user."""
        self.public = PublicServices(context)
        """Public service accounts: search, follow, unfollow, menus, clicks."""
        self.groups.more_names.append(self.public.name_unknown)
        self.profiles = Profiles(context)
        """People's display names and portraits, cached and read lazily."""
        self.chatrooms = Chatrooms(context)
        """Live rooms: join (again after each reconnect), leave, read, attributes,
        and their messages, held only while in them."""
        self.ultra = Ultra(context)
        """Ultra groups: channels, levels, DND, edits, deleting by time, their sync."""
        self.customer_service = CustomerService(context)
        """Customer service: as a customer (open, a person, rate, leave a message) and
        as an agent (the desk: take, end)."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def store(self) -> LocalStore:
        """The local store (open after `open()` or `start()`)."""
        if self._store is None:
            raise RuntimeError("the client is not open")
        return self._store

    @property
    def refused(self) -> LoginRefused | None:
        """Why the server refused the login for good, if it did."""
        return self._connection.refused

    @property
    def connection_error(self) -> str | None:
        """Why the last attempt to connect failed ("cannot reach ws://…: connection
        refused"), or None once connected."""
        return self._connection.error

    async def open(self) -> None:
        """Open the local store without connecting (offline use)."""
        if self._store is None:
            self._store = await LocalStore.open(self._store_path, self.user_id)

    async def start(self) -> None:
        """Open the store and connect in the background, reconnecting until closed."""
        await self.open()
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._inbound.run(), name="client-inbound"),
                asyncio.create_task(self._outbox.run(), name="client-outbox"),
                asyncio.create_task(self._state_sync.run(), name="client-state-sync"),
            ]
            self._connection.start()

    async def close(self) -> None:
        """Disconnect, finish pending store writes and close the store."""
        self._stopped.set()
        await self.chatrooms.stop()
        await self._connection.close()
        await self.groups.stop()
        await self.profiles.stop()
        await self.ultra.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._store is not None:
            await self._store.close()
            self._store = None

    @property
    def connected_url(self) -> str:
        """The server address in use (of those `server_url` lists), or tried next."""
        return self._connection.url

    def move_to(self, server_url: str, opener: Opener | None = None) -> None:
        """Talk to the server at `server_url` (through `opener` when given: an
        in-process server) from now on, reconnecting at once (the embedded server of a
        home was taken over by another process, maybe on another port, or by this one).
        The store stays the same."""
        self.server_url = server_url
        self._connection.move_to(server_url, opener)

    async def __aenter__(self) -> IMClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def subscribe(self) -> Subscription:
        """Receive every event from now on (see `imkit_tui.core.events`)."""
        return self.events.subscribe()

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait until connected and the post-connect sync is done.

        Raises LoginRefused if the server refused the login, TimeoutError on timeout.
        """
        refused = asyncio.ensure_future(self._refused_event.wait())
        synced = asyncio.ensure_future(self._synced.wait())
        try:
            done, _ = await asyncio.wait(
                {refused, synced}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            refused.cancel()
            synced.cancel()
        if self.refused is not None:
            raise self.refused
        if not done:
            raise TimeoutError("not connected and synced in time")

    # ------------------------------------------------------------------ reading

    async def conversations(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """The conversation list, in the service's order."""
        return await self.store.conversations.page(limit, offset)

    async def messages(
        self, conv: ConvRef, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """A page of messages from the local store, oldest first."""
        return await self.store.messages.page(conv, before_seq=before_seq, limit=limit)

    # ------------------------------------------------------------------ sending

    async def send(
        self,
        conv: ConvRef,
        object_name: str,
        content: dict[str, Any],
        *,
        cmid: str | None = None,
        to: Sequence[str] = (),
    ) -> Message:
        """Queue a message: written to the outbox, then sent (and retried) in order.

        Returns the stored message (status SENDING), also published as MessageQueued;
        a MessageUpdated event follows when the server acknowledges it or refuses it.
        Give `cmid` to make the call idempotent. `to` makes a group message targeted:
        only those members receive it. Raises ValueError, and keeps nothing, for content
        nested deeper than the protocol allows.
        """
        if not catalogue.lookup(object_name).stored:
            raise ValueError(f"{object_name} is a status message: use send_status()")
        if conv.type == ConversationType.CHATROOM:
            raise ValueError("a chatroom is live: send with client.chatrooms.send()")
        if not depth_within(content):  # it would break every encoder after this one
            raise ValueError(CONTENT_TOO_DEEP)
        message = await self.store.outbox.add(
            conv, cmid or new_uuid7(), object_name, content, now_ms(), to
        )
        if message.status == SendStatus.SENDING:
            self._outbox.queued(message)
        self.events.publish(MessageQueued(message))
        return message

    async def send_text(
        self,
        conv: ConvRef,
        text: str,
        *,
        mentioned: Sequence[str] = (),
        mention_all: bool = False,
        cmid: str | None = None,
        to: Sequence[str] = (),
    ) -> Message:
        """Queue a text message (RC:TxtMsg); `mentioned` user ids, or with `mention_all`
        every member, are @mentioned in its ``mentionedInfo``, as RongCloud does; `to`
        targets it at those group members."""
        content = catalogue.text_content(text)
        info = catalogue.mention_info(mentioned, everyone=mention_all)
        if info:
            content["mentionedInfo"] = info
        return await self.send(conv, catalogue.TEXT, content, cmid=cmid, to=to)

    async def send_status(self, conv: ConvRef, object_name: str, content: dict[str, Any]) -> bool:
        """Send a status message (typing, …) if connected: live only, never stored or
        retried. Returns False when offline or refused."""
        try:
            await self._connection.request(
                SendMessage(conv=conv, object_name=object_name, content=content, cmid=new_uuid7()),
                SendAck,
                self._request_timeout,
            )
        except (NotConnected, RequestFailed, TimeoutError):
            return False
        return True

    async def wait_sent(
        self, message_ids: Iterable[int], timeout: float | None = None
    ) -> list[Message]:
        """Wait until each message has left the outbox (sent or failed); return them.

        Raises LoginRefused if the login is refused, TimeoutError if `timeout` passes.
        """
        ids = list(message_ids)
        with self.subscribe() as events:
            # Read after subscribing, so no update can slip between the two.
            final = {m.id: m for m in await self.store.messages.by_ids(ids)}
            waiting = {i for i, m in final.items() if m.status == SendStatus.SENDING}
            async with asyncio.timeout(timeout):
                while waiting:
                    if self.refused is not None:
                        raise self.refused
                    try:
                        async with asyncio.timeout(STORE_LOOK):
                            event = await events.next()
                    except TimeoutError:
                        # Another process of this user may have sent them (its outbox
                        # took them over) or confirmed them: the store knows.
                        for message in await self.store.messages.by_ids(sorted(waiting)):
                            if message.status != SendStatus.SENDING:
                                final[message.id] = message
                                waiting.discard(message.id)
                        continue
                    if (
                        isinstance(event, MessageUpdated)
                        and event.message.id in waiting
                        and event.message.status != SendStatus.SENDING
                    ):
                        final[event.message.id] = event.message
                        waiting.discard(event.message.id)
        return [final[i] for i in ids if i in final]

    # ------------------------------------------------------------------ receiving

    def _on_state(self, state: ConnectionState, detail: str, code: int | None) -> None:
        if state != ConnectionState.CONNECTED:
            self._synced.clear()
        if not self._connection.is_open:
            self.chatrooms.disconnected()  # the service's rule: out of every room
        if state == ConnectionState.REFUSED:
            self._refused_event.set()
        if state == self.state and not detail:
            return
        self.state = state
        self.events.publish(ConnectionChanged(state, detail, code))

    async def _on_ready(self, welcome: Welcome) -> None:
        """Logged in: sync first (pushes wait in the queue behind it), then go live."""
        self._on_state(ConnectionState.SYNCING, "", None)
        self._inbound.put(SyncAll())
        self.chatrooms.logged_in()  # the rooms still wanted, joined again

    def _on_push(self, push: PushFrame) -> None:
        if isinstance(push, CsAgentState):
            self.customer_service.desk_pushed(push)
            return
        if isinstance(push, Push) and is_service_signal(push.message):
            self.customer_service.pushed(push.message)
            return
        if isinstance(push, Notice):
            self.events.publish(NoticeReceived(push.title, push.body))
            return
        if isinstance(push, Push) and push.message.conv.type == ConversationType.CHATROOM:
            self.chatrooms.pushed(push.message)  # live only: never the conversations'
            return
        if isinstance(push, ChatroomEvent):
            self.chatrooms.event(push)
            return
        if isinstance(push, UltraInfo | UltraUpdate | UltraDeleted):
            self.ultra.pushed(push)  # applied in order with the pushed messages
            return
        if isinstance(push, PrivacyState):
            self.privacy.pushed(push)  # applied in arrival order (see core/privacy.py)
            return
        if isinstance(push, ReceiptState):
            self.events.publish(receipts_event(push))
            return
        if isinstance(push, Push) and not push.message.seq and self.profiles.pushed(push.message):
            return  # RC:UIUMsg: someone's new name or portrait (core/profiles.py)
        self._inbound.put(push)

    def _on_synced(self, changed: int) -> None:
        """The post-connect sync is done: go live."""
        self._synced.set()
        self._outbox.look_again()
        self._state_sync.wakeup.set()
        self._on_state(ConnectionState.CONNECTED, "", None)
        self.events.publish(SyncCompleted(changed))
        self.groups.name_in_background()
        self.profiles.resume()
        self.ultra.sync_in_background()

    def _note_acked(self, conv: ConvRef, seq: int) -> None:
        """A recall got `seq`: the same road as an own message's ack (the inbound work)."""
        self._inbound.put(Acked(conv, seq))

    async def mark_read(self, conv: ConvRef) -> Conversation:
        """Mark everything received in `conv` as read, here and (when connected, else
        after the next sync) on the server: the user's other devices follow, and in a
        private chat the peer sees a read receipt. Returns the new list row."""
        if is_ultra_row(conv):  # the whole ultra group: each of its channels
            for channel in await self.store.ultra.channels(conv.target):
                await self.store.state.mark_read(channel.ref)
            self._state_sync.wakeup.set()
            row = await self.store.conversations.get(conv)
            return row or Conversation(conv, 0, "", "", 0, False, False, "", 0)
        row = await self.store.state.mark_read(conv)
        self._state_sync.wakeup.set()
        return row

    async def change_settings(
        self,
        conv: ConvRef,
        *,
        muted: bool | None = None,
        pinned: bool | None = None,
        marked_unread: bool | None = None,
    ) -> Conversation:
        """Set do-not-disturb, pin or "mark as unread" of a conversation, on every device
        of the user; fields left out stay. Applied here at once; returns the new row."""
        row = await self.store.state.change_settings(
            conv, muted=muted, pinned=pinned, marked_unread=marked_unread
        )
        self.events.publish(ConversationUpdated(row))
        self._state_sync.wakeup.set()
        return row

    async def conversation(self, conv: ConvRef) -> Conversation | None:
        """One conversation's list row, if it is stored."""
        return await self.store.conversations.get(conv)

    async def total_unread(self) -> int:
        """Unread messages over every conversation that is not muted."""
        return await self.store.conversations.total_unread()

    async def set_draft(self, conv: ConvRef, text: str) -> None:
        """Keep the unsent text of a conversation (empty text drops it)."""
        await self.store.conversations.set_draft(conv, text, now_ms())

    async def push_url(self, url: str | None = None) -> PushUrlState:
        """Set where this user's offline pushes go, an Apprise URL ("" removes it), or
        with None only read it; the answer also says whether the server sends pushes.
        NotConnected offline; RequestFailed when the server refuses the URL."""
        frame = SetPushUrl(url=url)
        return await self._connection.request(frame, PushUrlState, self._request_timeout)

    async def retry(self, message_id: int) -> Message | None:
        """Send a failed message again, under its original client id."""
        message = await self.store.outbox.requeue(message_id, now_ms())
        if message is not None and message.status == SendStatus.SENDING:
            self.events.publish(MessageUpdated(message))
            self._outbox.look_again()
        return message


class _Context:
    """The context the client's services are built with (core/context.py)."""

    def __init__(self, client: IMClient) -> None:
        self._client = client
        self.queue_ultra = client._inbound.put
        self.user_id = client.user_id
        self.events = client.events
        self.connection = client._connection
        self.transfers = client.transfers
        self.timeout = client._request_timeout
        self.send = client.send
        self.note_acked = client._note_acked

    @property
    def store(self) -> LocalStore:
        """The client's store."""
        return self._client.store

    async def apply_state_update(self, update: ConversationUpdate) -> Conversation:
        """Apply a conversation's new state as the server answered it."""
        return await self._client._inbound.apply_state_update(update)

    async def apply_ultra(self, work: UltraWork) -> None:
        """Apply ultra group work in the inbound task; return once it is applied."""
        applied = asyncio.Event()
        self._client._inbound.put(dataclasses.replace(work, done=applied.set))
        # Behind a long sync it may wait a while; not forever (a client closing).
        async with asyncio.timeout(self.timeout * APPLY_WAITS):
            await applied.wait()

    async def store_records(self, conv: ConvRef, records: list[MessageRecord]) -> None:
        """Store records the server sent for `conv`."""
        inbound = self._client._inbound
        await inbound.store_records(conv, records, await inbound.tracker(conv))


def _media_dir(store_path: Path | str) -> Path:
    """Downloads live beside the store, in a ``media`` folder."""
    return Path(store_path).parent / "media"

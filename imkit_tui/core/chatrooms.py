"""`client.chatrooms`: live rooms: join, leave, read, attributes, and their messages.

A chatroom keeps nothing for members who are offline, and neither does this client: a
room's messages are held (``store.chatrooms``) from joining it to leaving it, never in
the conversation list, the unread counts or search. The rule of the service holds here
too: a room is left when the connection drops (its messages go; ``RoomChanged``
"disconnected"), and joined again after the next login while the app still wants it
("rejoined", with as many recent messages as the first join asked for). A room the
server ends for this user (destroyed, kicked, banned, left after being away) is not
joined again. Which rooms are wanted and joined is decided sans I/O by
:class:`~imkit_tui.core.engine.rooms.RoomPlan`; this module does the requests and the
store's work, in order (one lock), and publishes ``RoomMessagesReceived``,
``RoomMessageUpdated`` and ``RoomChanged``.

Pushed messages are held per room and stored in one transaction per burst, so a busy
room costs one write and one event per burst, not per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from imkit_tui import messages as catalogue
from imkit_tui.core.chatroom_store import room_ref
from imkit_tui.core.connection import NotConnected, RequestFailed
from imkit_tui.core.context import ClientContext
from imkit_tui.core.engine.rooms import RoomPlan, Wanted
from imkit_tui.core.events import RoomChanged, RoomMessagesReceived, RoomMessageUpdated
from imkit_tui.core.models import Message
from imkit_tui.protocol import (
    DEFAULT_JOIN_HISTORY,
    KV_NOTICE,
    MAX_ROOM_MEMBERS_LISTED,
    AttrSet,
    ChatroomAttr,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomEvent,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
    ChatroomSummary,
    ErrorCode,
    ErrorFrame,
    Frame,
    MessageRecord,
    PullReply,
    PullRequest,
    SendAck,
    SendMessage,
    ServerFrame,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7

log = logging.getLogger(__name__)

F = TypeVar("F", bound=ServerFrame)


@dataclass(frozen=True, slots=True)
class Room:
    """A chatroom: id, name, creation time, the exact member count, and whether the
    whole room is muted (known from a query)."""

    room: str
    name: str
    created_at: int
    member_count: int
    all_muted: bool = False

    @classmethod
    def of(cls, summary: ChatroomSummary, all_muted: bool = False) -> Room:
        """A Room from the server's summary of it."""
        return cls(summary.room, summary.name, summary.created_at, summary.member_count, all_muted)


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a room and when they joined it (ms)."""

    user: str
    joined_at: int


@dataclass(frozen=True, slots=True)
class Attribute:
    """A room attribute: key, value, who set it and when, and whether it goes when
    its setter leaves (`auto_delete`)."""

    key: str
    value: str
    setter: str
    set_at: int
    auto_delete: bool = False

    @classmethod
    def of(cls, attr: ChatroomAttr) -> Attribute:
        """An Attribute from the server's."""
        return cls(attr.key, attr.value, attr.setter, attr.set_at, attr.auto_delete)


class Chatrooms:
    """Chatroom requests, the rooms this client is in, and their messages."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._plan = RoomPlan()
        self._lock = asyncio.Lock()
        """Joins, leaves, clears and stored bursts, one at a time and in order."""
        self._inbox: dict[str, list[MessageRecord]] = {}
        self._arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._storing: asyncio.Task[None] | None = None
        self._no_history: set[str] = set()
        """Rooms whose server keeps no cloud history (23414): not asked again."""

    # ------------------------------------------------------------------ reading

    @property
    def joined(self) -> list[str]:
        """The rooms this client is in now."""
        return self._plan.joined

    @property
    def wanted(self) -> list[str]:
        """The rooms the app wants to be in (joined again after a reconnect)."""
        return self._plan.wanted

    def is_joined(self, room: str) -> bool:
        """Whether this client is in `room` now."""
        return self._plan.is_joined(room)

    async def messages(
        self, room: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """Messages of a joined room held here, oldest first (the newest, or those
        below `before_seq`); none for a room this client is not in."""
        return await self._context.store.chatrooms.page(room, before_seq=before_seq, limit=limit)

    async def older(self, room: str, before_seq: int, limit: int = 50) -> list[Message]:
        """Up to `limit` messages of a joined room below `before_seq`, oldest first:
        those held here, completed from the room's cloud history when the server keeps
        one (what it brings is held while the room is joined, then goes with it)."""
        store = self._context.store.chatrooms
        local = await store.page(room, before_seq=before_seq, limit=limit)
        if len(local) >= limit or before_seq <= 1 or room in self._no_history:
            return local
        if not self._plan.is_joined(room):
            return local
        pull = PullRequest(conv=room_ref(room), before_seq=before_seq, limit=limit)
        try:
            reply = await self._request(pull, PullReply)
        except RequestFailed as failure:
            if failure.code == ErrorCode.CHATROOM_HISTORY_OFF:
                self._no_history.add(room)
            return local
        except (NotConnected, TimeoutError):
            return local
        async with self._lock:
            if not self._plan.is_joined(room):
                return local
            await store.add(room, reply.messages)
        return await store.page(room, before_seq=before_seq, limit=limit)

    async def public(self) -> list[Room]:
        """The public rooms the server offers."""
        answer = await self._request(ChatroomList(), ChatroomDirectory)
        return [Room.of(summary) for summary in answer.rooms]

    async def info(self, room: str) -> Room:
        """A room as it is now (any user may ask)."""
        answer = await self._request(ChatroomQuery(room=room), ChatroomInfo)
        return Room.of(answer.info, answer.all_muted)

    async def members(
        self, room: str, limit: int = MAX_ROOM_MEMBERS_LISTED, *, latest_first: bool = False
    ) -> tuple[Room, list[Member]]:
        """A room and up to `limit` (at most 500) of its members, by join time: the
        earliest first, or with `latest_first` the latest first."""
        query = ChatroomQuery(
            room=room,
            members=max(0, min(limit, MAX_ROOM_MEMBERS_LISTED)),
            order="desc" if latest_first else "asc",
        )
        answer = await self._request(query, ChatroomInfo)
        members = [Member(m.user, m.joined_at) for m in answer.members]
        return Room.of(answer.info, answer.all_muted), members

    # ------------------------------------------------------------------ joining

    async def join(self, room: str, *, recent: int = DEFAULT_JOIN_HISTORY, name: str = "") -> Room:
        """Join `room`, creating it when there is none (named `name`); the `recent`
        latest messages (-1 none, at most 50) are held and published first. The room
        is joined again after every reconnect until :meth:`leave`."""
        return await self._join(Wanted(room, recent), name)

    async def join_existing(self, room: str, *, recent: int = DEFAULT_JOIN_HISTORY) -> Room:
        """Join `room` only if it exists (23410 otherwise), as :meth:`join`."""
        return await self._join(Wanted(room, recent, existing=True), "")

    async def _join(self, wanted: Wanted, name: str) -> Room:
        self._start_storing()
        self._plan.want(wanted.room, wanted.recent, existing=wanted.existing)
        async with self._lock:
            try:
                joined = await self._request(_join_frame(wanted, name), ChatroomJoined)
            except BaseException:
                self._plan.drop(wanted.room)
                self._inbox.pop(wanted.room, None)
                raise
            await self._joined(wanted.room, joined, "joined")
        return Room.of(joined.info)

    async def _joined(self, room: str, answer: ChatroomJoined, kind: str) -> None:
        """Hold what a join brought, then count the room joined (under the lock)."""
        if not self._plan.was_joined(room):
            return  # left while the answer was on its way
        store = self._context.store.chatrooms
        added = await store.add(room, answer.messages)
        events = self._context.events
        events.publish(
            RoomChanged(
                room, "joined" if kind == "joined" else "rejoined", answer.info.member_count
            )
        )
        if added:
            events.publish(RoomMessagesReceived(room, tuple(added)))
        self._arrived.set()  # pushes that came with the answer

    async def leave(self, room: str) -> None:
        """Leave `room`: its messages held here go at once; the server is told when
        connected (offline, the room was left already), and takes the user out of it
        (every device of theirs: membership is the user's). Not joined again."""
        self._plan.drop(room)
        self._inbox.pop(room, None)
        async with self._lock:
            await self._context.store.chatrooms.clear(room)
        with contextlib.suppress(NotConnected, TimeoutError):
            try:
                await self._request(ChatroomLeave(room=room), ChatroomInfo)
            except RequestFailed as failure:
                if failure.code != ErrorCode.CHATROOM_NOT_FOUND:
                    raise
        self._context.events.publish(RoomChanged(room, "left"))

    # ------------------------------------------------------------------ attributes

    async def set_attributes(
        self,
        room: str,
        values: Mapping[str, str],
        *,
        auto_delete: bool = False,
        overwrite: bool = False,
    ) -> list[Attribute]:
        """Set attributes of a room this user is in (all or, when one is refused,
        none): `overwrite` replaces keys that exist, whoever set them; `auto_delete`
        removes them when this user leaves. Each change posts a notice to the room."""
        items = [
            AttrSet(key=key, value=value, auto_delete=auto_delete, overwrite=overwrite)
            for key, value in values.items()
        ]
        answer = await self._request(
            ChatroomAttrs(room=room, op="set", set=items), ChatroomAttrState
        )
        return [Attribute.of(attr) for attr in answer.attrs]

    async def remove_attributes(
        self, room: str, keys: Sequence[str], *, force: bool = False
    ) -> None:
        """Remove attributes of a room this user is in; `force` removes keys others set."""
        frame = ChatroomAttrs(room=room, op="remove", keys=list(keys), force=force)
        await self._request(frame, ChatroomAttrState)

    async def attributes(self, room: str, keys: Iterable[str] = ()) -> list[Attribute]:
        """The attributes of a room this user is in (those named by `keys`, or all)."""
        frame = ChatroomAttrs(room=room, op="list", keys=list(keys))
        answer = await self._request(frame, ChatroomAttrState)
        return [Attribute.of(attr) for attr in answer.attrs]

    # ------------------------------------------------------------------ sending

    async def send(
        self, room: str, object_name: str, content: dict[str, Any], *, cmid: str | None = None
    ) -> Message:
        """Send a message to a joined room; return it as the server took it (SENT) or
        refused it (FAILED with the code: muted 23408, dropped under load 90020…).
        Published as RoomMessagesReceived (SENDING) first, RoomMessageUpdated after.
        Nothing is retried: a room is live."""
        if not self._plan.is_joined(room):
            raise RequestFailed(
                ErrorFrame(code=ErrorCode.NOT_IN_CHATROOM, message=f"not in chatroom {room}")
            )
        context = self._context
        store = context.store.chatrooms
        cmid = cmid or new_uuid7()
        message = await store.add_own(room, cmid, object_name, content, now_ms())
        context.events.publish(RoomMessagesReceived(room, (message,)))
        frame = SendMessage(
            conv=room_ref(room), object_name=object_name, content=content, cmid=cmid
        )
        try:
            ack = await self._request(frame, SendAck)
        except RequestFailed as failure:
            final = await store.failed(message.id, failure.code)
        except (NotConnected, TimeoutError):
            final = await store.failed(message.id, None)
        else:
            record = MessageRecord(
                uid=ack.uid,
                conv=ack.conv,
                seq=ack.seq,
                sender=context.user_id,
                object_name=object_name,
                content=content if ack.content is None else ack.content,
                cmid=cmid,
                sent_at=ack.sent_at,
            )
            final = await store.confirm(room, record)
        if final is None:  # the room was left meanwhile: the message went with it
            return message
        context.events.publish(RoomMessageUpdated(final))
        return final

    async def send_text(self, room: str, text: str) -> Message:
        """Send a text message (RC:TxtMsg) to a joined room (see :meth:`send`)."""
        return await self.send(room, catalogue.TEXT, catalogue.text_content(text))

    # ------------------------------------------------------------------ from the client

    def pushed(self, record: MessageRecord) -> None:
        """A room's message arrived: held with the rest of its burst (dropped when the
        room is neither joined nor being joined)."""
        room = record.conv.target
        if room not in self._plan.wanted:
            return
        self._inbox.setdefault(room, []).append(record)
        self._arrived.set()

    def event(self, event: ChatroomEvent) -> None:
        """The server said something about a room, or about this user in it."""
        change = RoomChanged(event.room, event.kind, until=event.until, user=event.user)
        if change.ended and self._plan.ended(event.room):
            self._inbox.pop(event.room, None)
            self._background(self._cleared(change))
        else:
            self._context.events.publish(change)

    def disconnected(self) -> None:
        """The connection dropped: every room is left (joined again after the next
        login); their messages go."""
        for room in self._plan.disconnected():
            self._inbox.pop(room, None)
            self._background(self._cleared(RoomChanged(room, "disconnected")))

    def logged_in(self) -> None:
        """Logged in (again): join the rooms still wanted."""
        if self._plan.to_rejoin():
            self._background(self._rejoin())

    async def stop(self) -> None:
        """The client is closing: out of every room here, their messages gone. The
        server is not asked to take the user out: membership is the user's, not this
        device's, so another process of the user (the app beside `imkit tail
        --chatroom`) stays in; once no device of the user is online, the service's
        auto-exit takes them out."""
        rooms = self._plan.joined
        for room in self._plan.wanted:
            self._plan.drop(room)
        self._inbox.clear()
        tasks = [*self._tasks, *([self._storing] if self._storing else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._storing = None
        for room in rooms:
            with contextlib.suppress(RuntimeError):
                await self._context.store.chatrooms.clear(room)

    # ------------------------------------------------------------------ internals

    async def _request(self, frame: Frame, expect: type[F]) -> F:
        context = self._context
        return await context.connection.request(frame, expect, context.timeout)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work, name="client-chatrooms")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cleared(self, change: RoomChanged) -> None:
        """Delete the messages of a room this client is out of, then say so."""
        async with self._lock:
            if not self._plan.is_joined(change.room):
                await self._context.store.chatrooms.clear(change.room)
        self._context.events.publish(change)

    async def _rejoin(self) -> None:
        for wanted in self._plan.to_rejoin():
            async with self._lock:
                if wanted.room not in self._plan.wanted or self._plan.is_joined(wanted.room):
                    continue
                try:
                    joined = await self._request(_join_frame(wanted, ""), ChatroomJoined)
                except (NotConnected, TimeoutError):
                    return  # the next login tries again
                except RequestFailed as failure:
                    self._plan.ended(wanted.room)
                    self._inbox.pop(wanted.room, None)
                    change = RoomChanged(wanted.room, "rejoin_failed", code=failure.code)
                    self._context.events.publish(change)
                    continue
                await self._joined(wanted.room, joined, "rejoined")

    def _start_storing(self) -> None:
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_pushes(), name="client-room-pushes")

    async def _store_pushes(self) -> None:
        """Hold pushed messages, a burst per room in one transaction, until stopped."""
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            async with self._lock:
                for room in [r for r in self._inbox if self._plan.is_joined(r)]:
                    records = self._inbox.pop(room)
                    try:
                        added = await self._context.store.chatrooms.add(room, records)
                    except Exception:  # one bad burst must not stop the room
                        log.exception("could not hold the messages of chatroom %s", room)
                        continue
                    if added:
                        self._context.events.publish(RoomMessagesReceived(room, tuple(added)))
                    if any(m.object_name == KV_NOTICE for m in added):
                        self._context.events.publish(RoomChanged(room, "attributes"))


def _join_frame(wanted: Wanted, name: str) -> ChatroomJoin:
    return ChatroomJoin(
        room=wanted.room, create=not wanted.existing, history=wanted.recent, name=name
    )

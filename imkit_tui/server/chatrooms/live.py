"""The chatroom service wired to the running server: its consequences reach devices
through the fan-out, the app's backend through the hooks, and the cloud history through
the store. Thin: every decision is the service's (service.py).

`clock` gives the time in ms (tests set a fake one); `sweep()` applies what time did.

With several nodes (a PostgreSQL store), every change goes through :meth:`ChatroomLive.act`
into the chatroom log (`log`, pg/act_log.py): each node runs every act on its own copy of
the rooms, in the log's order, and delivers to its own devices only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any, Protocol

from imkit_tui.protocol import MessageRecord
from imkit_tui.protocol.chatroom_frames import ChatroomEvent
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.chatrooms.acts import ACTS
from imkit_tui.server.chatrooms.replica_state import full_restore, full_snapshot
from imkit_tui.server.chatrooms.rooms import Room
from imkit_tui.server.chatrooms.service import ChatroomService, RoomStatus
from imkit_tui.server.chatrooms.settings import ChatroomSettings
from imkit_tui.server.chatrooms.snapshot import restore, snapshot
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.hooks import ServerHooks
from imkit_tui.server.node_presence import Presence
from imkit_tui.server.replica import Script, SharedLog
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import ChatroomHistory, Store

log = logging.getLogger(__name__)


class Outlets(Protocol):
    """The server's parts chatrooms reach out through (IMServer is one)."""

    @property
    def fanout(self) -> Fanout:
        """Delivery to devices."""
        ...

    @property
    def hooks(self) -> ServerHooks:
        """The app's backend."""
        ...

    def require_store(self) -> Store:
        """The open store."""
        ...


class ChatroomLive:
    """The chatrooms of a running server: the service, and the sink it reports to."""

    def __init__(
        self,
        settings: ChatroomSettings,
        outlets: Outlets,
        online: Callable[[str], bool],
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.clock = clock
        """The time in ms (replaceable: tests set a fake clock)."""
        self._outlets = outlets
        self._writes: set[asyncio.Task[None]] = set()
        self._saved: dict[str, Any] = {}
        self._online = online
        self.service: ChatroomService = ChatroomService(settings, self, self.is_online)
        """Rooms, members and rules."""
        self.log: SharedLog | None = None
        """The chatroom log shared with the other nodes (None: this node alone)."""
        self.presence = Presence()
        """With a log: the nodes each user has devices on."""
        self.fanout_here: Fanout | None = None
        """With a log: delivery to this node's devices only (each node delivers its own)."""
        self._script: Script | None = None
        self._held: list[Callable[[], Any]] | None = None
        self._quiet = False
        self._at = 0

    def is_online(self, user: str) -> bool:
        """Whether `user` has a device online (on any node, with a log)."""
        return self._online(user) if self.log is None else user in self.presence

    # ------------------------------------------------------------------ as a replica

    def renew(self) -> None:
        """Start from no rooms at all (before a log's snapshot is loaded)."""
        self.service = ChatroomService(self.settings, self, self.is_online)
        self.presence = Presence()

    def snapshot(self, at_ms: int) -> dict[str, Any]:
        """The whole state (replica_state.py)."""
        return full_snapshot(self, at_ms)

    def restore(self, saved: dict[str, Any], at_ms: int) -> None:
        """Bring back a :meth:`snapshot` (nothing reported: nothing changed)."""
        self._quiet = True
        try:
            full_restore(self, saved, at_ms)
        finally:
            self._quiet = False

    def nodes(self) -> set[str]:
        """The nodes some user is online on."""
        return self.presence.nodes()

    def due(self, at_ms: int) -> list[tuple[str, list[Any]]]:
        """Away members whose time is up leave, idle rooms go: one act, or none."""
        exits = [list(pair) for pair in self.service.due_exits(at_ms)]
        idle = self.service.idle_rooms(at_ms)
        return [("expire", [exits, idle])] if exits or idle else []

    def lift(self) -> None:
        """Mutes and bans that ended are lifted (this node's devices told so)."""
        self.service.lift_marks(self.clock())

    def carry(self, result: Any) -> None:
        """Nothing: what chatroom acts do reaches devices through the sink."""

    # ------------------------------------------------------------------ acts

    async def act(self, name: str, *args: Any, skip: Session | None = None) -> Any:
        """Run act `name` (acts.py) with JSON-ready `args`: here at once, or through
        the log with other nodes; its result. `skip`: the requesting device."""
        if self.log is None:
            return ACTS[name](self, self.clock(), skip, *args)
        return await self.log.run(name, list(args), skip)

    async def caught_up(self) -> None:
        """With a log: every act any node committed so far is applied here (a read made
        next sees them all)."""
        if self.log is not None:
            await self.log.catch_up()

    def apply(
        self, name: str, args: list[Any], at_ms: int, script: Script, skip: Session | None
    ) -> Any:
        """Run act `name` at `at_ms` under `script` (recording or replaying)."""
        self._script, self._at = script, at_ms
        try:
            return ACTS[name](self, at_ms, skip, *args)
        finally:
            self._script = None

    @property
    def replaying(self) -> bool:
        """Whether an act another node ran is being repeated here."""
        return self._script is not None and self._script.replaying

    async def user_online(self, user: str) -> None:
        """A device of `user` is logging in here (with a log: once the act is logged)."""
        if self.log is None:
            self.service.user_online(user)
        else:
            await self.log.run("online", [user, self.log.node], None)

    async def user_offline(self, user: str) -> None:
        """The last device of `user` here went."""
        if self.log is None:
            self.service.user_offline(user)
        else:
            await self.log.run("offline", [user, self.log.node], None)

    @property
    def settings(self) -> ChatroomSettings:
        """How chatrooms are run."""
        return self.service.settings

    async def open(self) -> None:
        """Bring back the kept settings (with a log: the rooms as the log has them),
        and create the public rooms (numbering on from their kept history)."""
        if self.log is not None:
            await self.log.start()
        else:
            saved = await self._outlets.require_store().chatroom_state.load()
            restore(self.service, saved, self.clock())
            self._saved = snapshot(self.service, self.clock())
        for public in self.settings.public_rooms:
            if public.room not in self.service.rooms:
                seq = await self.last_seq(public.room)
                await self.act("create", public.room, public.name or public.room, seq)

    async def last_seq(self, room_id: str) -> int:
        """The last seq `room_id`'s kept history holds (0 when none is kept)."""
        if not self.settings.history:
            return 0
        return await self._outlets.require_store().chatrooms.last_seq(room_id)

    def history(self) -> ChatroomHistory:
        """The rooms' cloud history in the store."""
        return self._outlets.require_store().chatrooms

    # ------------------------------------------------------------------ the sink

    def event(self, user: str, frame: ChatroomEvent) -> None:
        """Push a room event to `user`'s devices online."""
        self.effect(partial(self._here().tell, user, frame))

    def status(self, room: str, status: RoomStatus, users: Sequence[str], at_ms: int) -> None:
        """Report a room change to the app's backend (chatroom status sync): once, by
        the node that ran the act first (none while a log's snapshot is restored)."""
        if self._quiet or self.replaying:
            return
        self._outlets.hooks.chatroom_status(room, int(status), list(users), at_ms)

    def notice(
        self,
        room: Room,
        sender: str,
        object_name: str,
        content: dict[str, Any],
        skip: Session | None = None,
    ) -> MessageRecord:
        """Post a stored message the server makes into `room` from `sender` (a notice of
        an attribute change, a message from the app, a recall's command), to every member
        but the device `skip`; the message."""
        record = self.record(room, sender, object_name, content, "", stored=True)
        self.publish(room, record, skip)
        return record

    # ------------------------------------------------------------------ messages

    def record(
        self,
        room: Room,
        sender: str,
        object_name: str,
        content: dict[str, Any],
        cmid: str,
        *,
        stored: bool,
    ) -> MessageRecord:
        """A new message of `room` (with the room's next seq when `stored`; 0 for a
        status message). `cmid` "": the message's own id."""
        script = self._script
        if script is None:
            sent_at = self.clock()
            uid = new_uuid7(sent_at)
        else:
            sent_at = self._at
            uid = script.uid(sent_at)
        return MessageRecord(
            uid=uid,
            conv=room.conv,
            seq=self.service.next_seq(room) if stored else 0,
            sender=sender,
            object_name=object_name,
            content=content,
            cmid=cmid or uid,
            sent_at=sent_at,
        )

    def publish(self, room: Room, record: MessageRecord, skip: Session | None) -> None:
        """Deliver `record` to `room`'s members online (`skip`: the sending device), or,
        while distribution is stopped, only to the app's backend; keep it as history
        when configured."""
        route = room.route()
        script = self._script
        if script is None:
            if room.distributing:
                self._outlets.fanout.deliver(route, record, skip)
            else:
                self._outlets.hooks.message_stored(record, route, from_device=skip is not None)
            if record.seq and self.settings.history:
                self.write(self.history().append(room.id, record))
            self.service.posted(room, record, record.sent_at)
            return
        if room.distributing:
            self.effect(partial(self._here().deliver, route, record, skip))
        if not script.replaying:
            # Each node delivers to its own devices, through its local fan-out, which does
            # not tell the hooks: the node that decided the act tells them, once.
            hooks = self._outlets.hooks
            self.effect(partial(hooks.message_stored, record, route, from_device=skip is not None))
        if record.seq and self.settings.history and not script.replaying:
            self.effect(lambda: self.write(self.history().append(room.id, record)))
        self.service.posted(room, record, record.sent_at, script.exits)

    def _here(self) -> Fanout:
        return self.fanout_here or self._outlets.fanout

    def effect(self, work: Callable[[], Any]) -> None:
        """Do `work` (a delivery, a history write) now, or, while held, once the acts
        that caused it are committed."""
        if self._held is None:
            work()
        else:
            self._held.append(work)

    def hold(self) -> None:
        """Hold every effect until :meth:`release` (the acts are not committed yet)."""
        self._held = []

    def release(self, committed: bool) -> None:
        """Do the effects held (`committed`), or forget them (the acts were not)."""
        held, self._held = self._held or [], None
        for work in held if committed else ():
            try:
                work()
            except Exception:
                log.exception("a chatroom delivery failed")

    def write(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a history write beside the caller (queued in call order)."""
        task = asyncio.create_task(self._logged(work))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("keeping chatroom history failed")

    # ------------------------------------------------------------------ time

    def sweep(self) -> None:
        """Apply what time did: away members leave, ended mutes and bans are lifted,
        idle rooms are destroyed."""
        self.service.sweep(self.clock())

    async def prune(self) -> int:
        """Forget history older than it is kept for; how many messages went."""
        if not self.settings.history:
            return 0
        cutoff = self.clock() - self.settings.history_ms
        return await self._outlets.require_store().chatrooms.prune(cutoff)

    async def save(self) -> None:
        """Keep the settings (rooms, lists, marks) when they changed since last kept
        (with a log, the log keeps them)."""
        if self.log is not None:
            return
        now = snapshot(self.service, self.clock())
        if now != self._saved:
            await self._outlets.require_store().chatroom_state.save(now)
            self._saved = now

    async def run(self) -> None:
        """Sweep, and keep what changed, every `sweep_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.settings.sweep_seconds)
            try:
                if self.log is not None:
                    await self.log.tick()
                else:
                    self.sweep()
                await self.save()
            except Exception:
                log.exception("the chatroom sweep failed")

    async def close(self) -> None:
        """Let the history writes under way finish, and keep the settings."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self.log is not None:
            await self.log.close()
        try:
            await self.save()
        except Exception:
            log.exception("keeping the chatrooms' settings failed")

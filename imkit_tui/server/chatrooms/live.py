"""The chatroom service wired to the running server: its consequences reach devices
through the fan-out, the app's backend through the hooks, and the cloud history through
the store. Thin: every decision is the service's (service.py).

`clock` gives the time in ms (tests set a fake one); `sweep()` applies what time did.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from imkit_tui.protocol import MessageRecord
from imkit_tui.protocol.chatroom_frames import ChatroomEvent
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.chatrooms.rooms import Room
from imkit_tui.server.chatrooms.service import ChatroomService, RoomStatus
from imkit_tui.server.chatrooms.settings import ChatroomSettings
from imkit_tui.server.chatrooms.snapshot import restore, snapshot
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.hooks import ServerHooks
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store

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
        self.service = ChatroomService(settings, self, online)
        """Rooms, members and rules."""

    @property
    def settings(self) -> ChatroomSettings:
        """How chatrooms are run."""
        return self.service.settings

    async def open(self) -> None:
        """Bring back the kept settings, and create the public rooms (numbering on
        from their kept history)."""
        saved = await self._outlets.require_store().chatroom_state.load()
        restore(self.service, saved, self.clock())
        self._saved = snapshot(self.service, self.clock())
        for public in self.settings.public_rooms:
            seq = await self.last_seq(public.room)
            self.service.create(public.room, public.name or public.room, self.clock(), seq)

    async def last_seq(self, room_id: str) -> int:
        """The last seq `room_id`'s kept history holds (0 when none is kept)."""
        if not self.settings.history:
            return 0
        return await self._outlets.require_store().chatrooms.last_seq(room_id)

    # ------------------------------------------------------------------ the sink

    def event(self, user: str, frame: ChatroomEvent) -> None:
        """Push a room event to `user`'s devices online."""
        self._outlets.fanout.tell(user, frame)

    def status(self, room: str, status: RoomStatus, users: Sequence[str], at_ms: int) -> None:
        """Report a room change to the app's backend (chatroom status sync)."""
        self._outlets.hooks.chatroom_status(room, int(status), list(users), at_ms)

    def notice(self, room: Room, sender: str, object_name: str, content: dict[str, Any]) -> None:
        """Post a notice (an attribute change) into `room` from `sender`."""
        record = self.record(room, sender, object_name, content, new_uuid7(), stored=True)
        self.publish(room, record, None)

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
        status message)."""
        sent_at = self.clock()
        return MessageRecord(
            uid=new_uuid7(sent_at),
            conv=room.conv,
            seq=self.service.next_seq(room) if stored else 0,
            sender=sender,
            object_name=object_name,
            content=content,
            cmid=cmid,
            sent_at=sent_at,
        )

    def publish(self, room: Room, record: MessageRecord, skip: Session | None) -> None:
        """Deliver `record` to `room`'s members online (`skip`: the sending device), or,
        while distribution is stopped, only to the app's backend; keep it as history
        when configured."""
        route = room.route()
        if room.distributing:
            self._outlets.fanout.deliver(route, record, skip)
        else:
            self._outlets.hooks.message_stored(record, route, from_device=skip is not None)
        if record.seq and self.settings.history:
            self.write(self._outlets.require_store().chatrooms.append(room.id, record))
        self.service.posted(room, record, record.sent_at)

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
        """Keep the settings (rooms, lists, marks) when they changed since last kept."""
        now = snapshot(self.service, self.clock())
        if now != self._saved:
            await self._outlets.require_store().chatroom_state.save(now)
            self._saved = now

    async def run(self) -> None:
        """Sweep, and keep what changed, every `sweep_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.settings.sweep_seconds)
            try:
                self.sweep()
                await self.save()
            except Exception:
                log.exception("the chatroom sweep failed")

    async def close(self) -> None:
        """Let the history writes under way finish, and keep the settings."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        try:
            await self.save()
        except Exception:
            log.exception("keeping the chatrooms' settings failed")

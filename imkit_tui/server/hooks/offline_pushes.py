"""Offline pushes of stored messages: the node that stores a message notes a push for
each receiver with no device online and a push URL (muted conversations and ultra
group levels decide too); the push board (push_board.py) coalesces them, and when one
is due it is queued, unless the user came online meanwhile on any node."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from imkit_tui import messages
from imkit_tui.protocol import ConversationType, MessageRecord
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.deliverers import PUSH
from imkit_tui.server.hooks.push_board import Notice, PushBoard
from imkit_tui.server.hooks.sender import stopped
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.routing import Route
from imkit_tui.server.ultra.pushes import push_receivers

if TYPE_CHECKING:
    from imkit_tui.server.app import IMServer

log = logging.getLogger(__name__)

Online = Callable[[Sequence[str]], Awaitable[set[str]]]
"""Those of the users given with a device online (on any node)."""


class OfflinePushes:
    """The pushes of `server`'s messages per `config`: to `push_url(user)`, queued with
    `enqueue(lane, kind, body)`, once `online` says the user is still away; `wake` is
    called when a push was noted (its time is the board's `next_due`)."""

    def __init__(
        self,
        server: IMServer,
        config: HooksConfig,
        push_url: Callable[[str], str],
        online: Online,
        enqueue: Callable[[str, str, str], None],
        wake: Callable[[], None],
    ) -> None:
        self._server = server
        self._config = config
        self._push_url = push_url
        self._online = online
        self._enqueue = enqueue
        self._wake = wake
        self.board = PushBoard(
            int(config.push_coalesce_seconds * 1000), int(config.push_interval_seconds * 1000)
        )
        """The pushes waiting, per user."""
        self._work: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        """Stop deciding (what is not noted yet is not pushed)."""
        await stopped(t for t in (self._worker,) if t is not None)

    def message_stored(self, record: MessageRecord, route: Route) -> None:
        """Note the pushes a stored message makes (decided in the background)."""
        if not self._config.pushes:
            return
        if route.conv_type == ConversationType.ULTRA_GROUP:
            # The members online are the route; those to push to are read beside it.
            self._later(partial(self._note_ultra_pushes, record))
            return
        offline = self._receivers(record, route)
        if offline:
            self._later(partial(self._note_pushes, record, route, offline))

    async def due(self, now: int) -> None:
        """Queue the pushes due at `now` to users still away."""
        notices = self.board.due(now)
        if not notices:
            return
        online = await self._online([n.user_id for n in notices])
        for notice in notices:
            if notice.user_id not in online:
                await self._send(notice)

    def _later(self, work: Callable[[], Awaitable[None]]) -> None:
        """Decide in the background, one message after the other (the last message
        noted is the one a coalesced push shows)."""
        self._work.put_nowait(work)
        if self._worker is None:
            self._worker = asyncio.create_task(self._decide(), name="hooks-pushes")

    async def _decide(self) -> None:
        while True:
            work = await self._work.get()
            await work()

    def _receivers(self, record: MessageRecord, route: Route) -> list[str]:
        kind = messages.lookup(record.object_name)
        if not (kind.pushed and kind.counted):
            return []
        return [
            user
            for user, _seen in route.deliveries
            if user != record.sender
            and self._push_url(user)
            and self._server.online_devices(user) == 0
        ]

    async def _note_pushes(self, record: MessageRecord, route: Route, users: list[str]) -> None:
        try:
            await self._note_each(record, route, users)
        except Exception:
            log.exception("deciding the pushes of %s failed", record.uid)

    async def _note_each(self, record: MessageRecord, route: Route, users: list[str]) -> None:
        from imkit_tui.server.operator import Operator

        operator = Operator(self._server)
        summary = messages.summarize(record.object_name, record.content)
        group = route.conv_type == ConversationType.GROUP
        seen = dict(route.deliveries)
        for user in users:
            if await operator.muted(user, seen[user]):
                if not (group and self._config.push_mentions_under_dnd):
                    continue
                if not messages.mentions_user(record.content, user):
                    continue
            title, body = (
                (seen[user].target, f"{record.sender}: {summary}")
                if group
                else (record.sender, summary)
            )
            self.board.note(user, self._push_url(user), title, body, now_ms(), record.uid)
        self._wake()

    async def _note_ultra_pushes(self, record: MessageRecord) -> None:
        """Note the pushes of an ultra group's message, as its members' levels decide
        (server/ultra/pushes.py)."""
        store = self._server.store
        if store is None:
            return
        try:
            users = await push_receivers(
                store.ultra,
                record,
                online=lambda user: self._server.online_devices(user) > 0,
                reachable=lambda user: bool(self._push_url(user)),
            )
        except Exception:
            log.exception("deciding the pushes of %s failed", record.uid)
            return
        where = record.conv.target + (f" #{record.conv.channel}" if record.conv.channel else "")
        body = f"{record.sender}: {messages.summarize(record.object_name, record.content)}"
        for user in users:
            self.board.note(user, self._push_url(user), where, body, now_ms(), record.uid)
        self._wake()

    async def _send(self, notice: Notice) -> None:
        """Queue `notice`, with its message's pushContent when the sender gave one."""
        store = self._server.store
        if notice.uid and store is not None:
            given = await store.pushes.get(notice.uid)
            notice = notice.given_text(given[0] if given else "")
        body = {"url": notice.url, "title": notice.title, "body": notice.body}
        self._enqueue(f"push:{notice.user_id}", PUSH, json.dumps(body))

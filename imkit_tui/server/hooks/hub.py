"""The hooks of a running server: what the server reports becomes entries of the
outgoing queue (routing, status, pushes), sent by the sender (sender.py). On SQLite
this node writes and sends the queue (queues.py); on PostgreSQL every node writes it,
one node sends it, and who is online is every node's truth (nodes.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from imkit_tui.protocol import (
    ConvRef,
    ErrorCode,
    MessageRecord,
    ProtocolError,
    SendMessage,
)
from imkit_tui.protocol import Notice as NoticeFrame
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.public_frames import PUBLIC_TYPES
from imkit_tui.server.hooks import pushes_off
from imkit_tui.server.hooks.deliverers import PUSH, ROOM_STATUS, ROUTING_KINDS, STATUS, Deliverers
from imkit_tui.server.hooks.forms import (
    chatroom_status_item,
    routing_values,
    status_item,
    values_of,
)
from imkit_tui.server.hooks.moderation import Moderation
from imkit_tui.server.hooks.offline_pushes import OfflinePushes
from imkit_tui.server.hooks.plan import Plan, RetryPolicy
from imkit_tui.server.hooks.queues import LocalQueue, Outgoing
from imkit_tui.server.hooks.routed_batch import RoutedBatch
from imkit_tui.server.hooks.router import RoutedRows, Router
from imkit_tui.server.hooks.routing_row import KeptRows
from imkit_tui.server.hooks.rows import OutboxRows
from imkit_tui.server.hooks.sender import HttpPoster, Sender, SentRows, stopped, woken_or_after
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.status import StatusBoard
from imkit_tui.server.routing import Route
from imkit_tui.server.store import ServerStore
from imkit_tui.server.store_records import NewMessage, StoredMessage

if TYPE_CHECKING:
    from imkit_tui.server.app import IMServer
    from imkit_tui.server.hooks.nodes import NodeHooks
    from imkit_tui.server.hooks.pg_rows import PgOutboxRows
    from imkit_tui.server.session import Session

log = logging.getLogger(__name__)

NORMAL_CLOSE = 1000

NOTIFY_PAGE = 500
"""Users asked about at once when a notification goes to many."""


def speaks(url: str) -> bool:
    """Whether Apprise understands the push URL `url`."""
    import apprise

    return bool(apprise.Apprise().add(url))


class BackendHooks:
    """The hooks of `server` (started) configured by `config`, signing with the app's
    `app_key` and `secret`. `await start()` before use, `await stop()` before the
    server stops."""

    def __init__(self, server: IMServer, config: HooksConfig, app_key: str, secret: str) -> None:
        store = server.store
        if store is None:
            raise RuntimeError("the server is not started")
        self._server = server
        self._config = config
        self._poster = HttpPoster(app_key, secret, config.timeout_seconds)
        # The callback's questions keep connections of their own: pipelined behind
        # routed messages, a held send would wait for their answers first.
        self._asker = HttpPoster(app_key, secret, config.timeout_seconds)
        self._deliverers = Deliverers(config, self._poster)
        self._push_urls: dict[str, str] = {}
        self._nodes: NodeHooks | None = None
        self.sender: Outgoing
        """The outgoing queue and its figures."""
        if isinstance(store, ServerStore):
            rows = OutboxRows(store._writer, store._reader, elsewhere=ROUTING_KINDS)
            sender = self._make_sender(rows)
            router = batch = None
            if config.routing_url:
                router = Router(str(store._db.path), rows, config, app_key, secret)
                batch = RoutedBatch(store._writer, sender.take_id, router.written)
            self.sender = LocalQueue(sender, rows, router, batch)
            self._urls: OutboxRows | PgOutboxRows = rows
            self._kept = KeptRows(batch.gathered if batch is not None else None)
            self._router = router
        else:
            from imkit_tui.server.hooks.nodes import NodeHooks
            from imkit_tui.server.hooks.pg_routed_batch import PgRoutedBatch

            def make_router(rows: RoutedRows) -> Router:
                return Router(server.config.store_url, rows, config, app_key, secret)

            self._nodes = NodeHooks(
                store,
                server.config.store_url,
                self._make_sender,
                server.online_devices,
                server.local_users,
                int(config.status_coalesce_seconds * 1000),
                STATUS,
                bool(config.status_url),
                self._push_urls,
                make_router if config.routing_url else None,
            )
            self._urls = self._nodes.rows
            self.sender = self._nodes.queue
            self._router = None
            pg_batch = None
            if config.routing_url:
                queue = self._nodes.queue
                pg_batch = PgRoutedBatch(
                    store._writer, self._nodes.rows, queue.written, lambda: queue.router is not None
                )
            self._kept = KeptRows(pg_batch.gathered if pg_batch is not None else None)
        self.moderation = Moderation(config, self._asker)
        """The message callback (moderation.py)."""
        self._status = StatusBoard(int(config.status_coalesce_seconds * 1000))
        self._wake = asyncio.Event()
        self._pushes = OfflinePushes(
            server, config, self.push_url, self.online, self.sender.enqueue, self._wake.set
        )
        self._ticker: asyncio.Task[None] | None = None

    def _make_sender(self, rows: SentRows) -> Sender:
        config = self._config
        plan = Plan(
            config.queue_limit,
            config.when_full,
            RetryPolicy(config.retry_base_ms, config.retry_max_ms),
            random.Random(),
        )
        return Sender(plan, rows, self._deliverers.by_kind(), config.concurrency)

    @property
    def router(self) -> Router | None:
        """The router process this node runs, and its figures (None: routing is off,
        or, on PostgreSQL, another node sends the queue now)."""
        if self._nodes is not None:
            return self._nodes.queue.router
        return self._router

    @property
    def config(self) -> HooksConfig:
        """What the hooks were configured with."""
        return self._config

    async def start(self) -> None:
        """Load the kept queue and push URLs; start sending."""
        self._push_urls.update(await self._urls.push_urls())
        await self._poster.start()
        await self._asker.start()
        if self._nodes is not None:
            await self._nodes.start()
        else:
            await self.sender.start()
        self._ticker = asyncio.create_task(self._tick(), name="hooks-ticker")

    async def stop(self) -> None:
        """Stop sending; what waits stays on disk, and what is stored from now on keeps
        its routing row for the next start."""
        await stopped(t for t in (self._ticker,) if t is not None)
        await self._pushes.stop()
        if self._nodes is not None:
            await self._nodes.stop()
        else:
            await self.sender.stop()
        await self._poster.close()
        await self._asker.close()

    # ------------------------------------------------------------------ events

    def routed(
        self, message: NewMessage, route: Route, conv: ConvRef, *, from_device: bool
    ) -> NewMessage:
        """`message` with its routing row written in its own transaction, when routed
        (queued once it is committed, when the fan-out tells of it: :meth:`message_stored`)."""
        if not self._config.routes(route.conv_type, message.object_name):
            return message
        values_of = partial(_routing_values, message, route, conv, from_device)
        return message.with_also(self._kept.step(route.conv_key, values_of))

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """Route a stored message (its row was committed with it, or is written now),
        and note the pushes it makes."""
        if record.seq == 0:
            # Status messages: not stored, not routed, not pushed; but what a follower
            # sends a public service account (a menu command, text) is for its backend.
            if route.conv_type in PUBLIC_TYPES and self._config.routes(
                route.conv_type, record.object_name
            ):
                self.sender.route(
                    route.conv_key, routing_values(record, route, from_device=from_device)
                )
            return
        if not self._kept.committed(record.uid) and self._config.routes(
            route.conv_type, record.object_name
        ):
            self.sender.route(
                route.conv_key, routing_values(record, route, from_device=from_device)
            )
        self._pushes.message_stored(record, route)

    async def moderate(
        self, sender: str, frame: SendMessage, route: Route, content_json: str | None = None
    ) -> None:
        """Hold a matching send for the message callback (moderation.py)."""
        await self.moderation.moderate(sender, frame, route, content_json)

    def device_online(self, session: Session) -> None:
        """Mark the user for a status report; what waits to be pushed to them is dropped."""
        self._device_changed(session, logout=False)
        self._pushes.board.forget(session.user_id)

    def device_offline(self, session: Session) -> None:
        """Mark the user for a status report (a device that closed its connection
        itself logged out; one whose connection was lost went offline)."""
        received = session.ws.protocol.close_rcvd
        logout = received is not None and received.code == NORMAL_CLOSE
        self._device_changed(session, logout=logout)

    def _device_changed(self, session: Session, *, logout: bool) -> None:
        user = session.user_id
        if self._nodes is not None:
            self._nodes.device_changed(user, session.device, logout)
        else:
            self._status.mark(user, session.device, now_ms(), logout=logout)
            self._wake.set()

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """Queue a chatroom status report (one lane: the backend gets them in order)."""
        if self._config.chatroom_status_url:
            item = chatroom_status_item(room, status, users, at_ms)
            self.sender.enqueue("chatroom_status", ROOM_STATUS, json.dumps([item]))

    async def online(self, users: Sequence[str]) -> set[str]:
        """Those of `users` with a device connected to any node."""
        if self._nodes is not None:
            return await self._nodes.presence.online(users)
        return {user for user in users if self._server.online_devices(user) > 0}

    async def user_online(self, user_id: str) -> bool | None:
        """Whether a device of `user_id` is connected to any node."""
        return user_id in await self.online([user_id])

    def push_url(self, user_id: str) -> str:
        """Where `user_id`'s pushes go: their own URL, else the operator's ("": none,
        or pushes are off)."""
        if not self._config.pushes:
            return ""
        return self._push_urls.get(user_id) or self._config.push_url

    def own_push_url(self, user_id: str) -> str:
        """The push URL `user_id` set ("" when none)."""
        return self._push_urls.get(user_id, "")

    async def everyone(self) -> list[str]:
        """Every user with a push URL of their own, or every user when the operator's
        URL covers them all."""
        if not self._config.push_url:
            return list(self._push_urls)
        store = self._server.store
        assert store is not None
        users: list[str] = []
        while page := await store.users.ids_after(users[-1] if users else "", 500):
            users.extend(page)
        return users

    async def users_tagged(self, tags: list[str]) -> list[str]:
        """The users with any of `tags`."""
        store = self._server.store
        assert store is not None
        return await store.users.tagged(tags)

    async def user_push_url(
        self, user_id: str, url: str | None, request_id: int
    ) -> tuple[str, bool]:
        """Set `user_id`'s own push URL from their app (None: only read; "": remove);
        their URL and whether pushes are sent."""
        if url is not None:
            url = url.strip()
            if not self._config.pushes:
                raise pushes_off(request_id)
            if url and not speaks(url):
                raise ProtocolError(
                    ErrorCode.INVALID_PARAMETER, "not a push URL Apprise speaks", request_id
                )
            await self.set_push_url(user_id, url)
        return self.own_push_url(user_id), self._config.pushes

    async def set_push_url(self, user_id: str, url: str) -> None:
        """Set (or with "", remove) `user_id`'s own push URL."""
        await self._urls.set_push_url(user_id, url)
        if url:
            self._push_urls[user_id] = url
        else:
            self._push_urls.pop(user_id, None)

    async def notify(self, user_id: str, title: str, body: str) -> bool:
        """Tell `user_id` now, storing nothing: a Notice to each of their devices online
        on any node (the app shows it), else a push to their URL (no coalescing); False
        when neither reaches them."""
        return user_id in await self.notify_each([user_id], title, body)

    async def notify_each(self, users: Sequence[str], title: str, body: str) -> set[str]:
        """:meth:`notify` each of `users` (asking who is online a page at a time); those
        reached."""
        reached: set[str] = set()
        for start in range(0, len(users), NOTIFY_PAGE):
            page = users[start : start + NOTIFY_PAGE]
            online = await self.online(page)
            for user_id in page:
                if user_id in online:
                    notice = NoticeFrame(body=body[:4096], title=title[:256])
                    self._server.fanout.tell(user_id, notice)
                    reached.add(user_id)
                elif url := self.push_url(user_id):
                    push = {"url": url, "title": title, "body": body}
                    self.sender.enqueue(f"push:{user_id}", PUSH, json.dumps(push))
                    reached.add(user_id)
        return reached

    # ------------------------------------------------------------------ timers

    async def _tick(self) -> None:
        """Report statuses (on SQLite; the sending node does on PostgreSQL) and send
        pushes as they come due."""
        while True:
            self._wake.clear()
            now = now_ms()
            try:
                await self._due(now)
            except Exception:
                log.exception("reporting statuses or pushes failed")
            board = self._pushes.board
            dues = [d for d in (self._status.next_due(), board.next_due()) if d is not None]
            wait = max(0.0, (min(dues) - now) / 1000) if dues else None
            await woken_or_after(self._wake, wait)

    async def _due(self, now: int) -> None:
        reports = self._status.due(now, lambda user: self._server.online_devices(user) > 0)
        if reports and self._config.status_url:
            items = [status_item(r.user_id, r.status, r.device, r.at_ms) for r in reports]
            self.sender.enqueue("status", STATUS, json.dumps(items))
        await self._pushes.due(now)


def _routing_values(
    message: NewMessage, route: Route, conv: ConvRef, from_device: bool, stored: StoredMessage
) -> list[str]:
    """The routing values of `message` as stored."""
    audience = message.audience
    return values_of(
        message.sender,
        conv.target,
        route,
        message.object_name,
        message.content_json,
        stored.sent_at,
        stored.uid,
        from_device=from_device,
        to=sorted(audience - {message.sender}) if audience else (),
    )

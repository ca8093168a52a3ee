"""The hooks of a running server: what the server reports becomes entries of the
outgoing queue (routing, status, pushes), sent by the sender (sender.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
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
from imkit_tui.server.hooks.forms import (
    chatroom_status_item,
    form_body,
    routing_form,
    status_item,
)
from imkit_tui.server.hooks.moderation import Moderation
from imkit_tui.server.hooks.plan import Entry, Plan, RetryPolicy
from imkit_tui.server.hooks.push_board import Notice, PushBoard
from imkit_tui.server.hooks.rows import OutboxRows
from imkit_tui.server.hooks.sender import HttpPoster, Sender, stopped, woken_or_after
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.status import StatusBoard
from imkit_tui.server.routing import Route
from imkit_tui.server.store import ServerStore
from imkit_tui.server.store_records import NewMessage, StoredMessage
from imkit_tui.server.ultra.pushes import push_receivers
from imkit_tui.server.unusable import NotPorted

if TYPE_CHECKING:
    import asyncpg

    from imkit_tui.server.app import IMServer
    from imkit_tui.server.session import Session

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class RoutingRow:
    """A message's routing row, written in its own transaction (store_records.AlsoStoring):
    `write(conn, stored)` on SQLite; not kept on PostgreSQL yet."""

    write: Callable[[sqlite3.Connection, StoredMessage], None]

    def on_sqlite(self, conn: sqlite3.Connection, stored: StoredMessage) -> None:
        """Write the row in the SQLite transaction open on `conn`."""
        self.write(conn, stored)

    async def on_postgres(self, conn: asyncpg.Connection, stored: StoredMessage) -> None:
        """NotPorted: the message is refused rather than stored without its row."""
        raise NotPorted("routing to the app's backend needs the SQLite store")


ROUTE, STATUS, PUSH, ROOM_STATUS = "route", "status", "push", "chatroom_status"
"""The kinds of entries: a routed message, a status report, an offline push, a
chatroom status report."""

NORMAL_CLOSE = 1000

KEPT_LIMIT = 10_000
"""Routing rows written in a message's transaction and not yet queued, kept at most
(more than a batch: those past it were rolled back)."""


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
        if not isinstance(store, ServerStore):
            raise RuntimeError("the app's backend hooks run on the SQLite store only, for now")
        self._server = server
        self._config = config
        self._rows = OutboxRows(store._writer, store._reader)  # the store's own connections
        self._poster = HttpPoster(app_key, secret, config.timeout_seconds)
        plan = Plan(
            config.queue_limit,
            config.when_full,
            RetryPolicy(config.retry_base_ms, config.retry_max_ms),
            random.Random(),
        )
        deliverers = {
            ROUTE: self._post_route,
            STATUS: self._post_status,
            PUSH: self._push,
            ROOM_STATUS: self._post_chatroom_status,
        }
        self.sender = Sender(plan, self._rows, deliverers, config.concurrency)
        """The outgoing queue and its figures."""
        self.moderation = Moderation(config, self._poster)
        """The message callback (moderation.py)."""
        self._status = StatusBoard(int(config.status_coalesce_seconds * 1000))
        self._pushes = PushBoard(
            int(config.push_coalesce_seconds * 1000), int(config.push_interval_seconds * 1000)
        )
        self._push_urls: dict[str, str] = {}
        self._kept: dict[str, Entry] = {}  # routing rows committed, by message uid
        self._wake = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def config(self) -> HooksConfig:
        """What the hooks were configured with."""
        return self._config

    async def start(self) -> None:
        """Load the kept queue and push URLs; start sending."""
        self._push_urls = await self._rows.push_urls()
        await self._poster.start()
        await self.sender.start()
        self._ticker = asyncio.create_task(self._tick(), name="hooks-ticker")

    async def stop(self) -> None:
        """Stop sending (what waits stays on disk)."""
        await stopped(t for t in (self._ticker, *self._background) if t is not None)
        await self.sender.stop()
        await self._poster.close()

    # ------------------------------------------------------------------ events

    def routed(
        self, message: NewMessage, route: Route, conv: ConvRef, *, from_device: bool
    ) -> NewMessage:
        """`message` with its routing row written in its own transaction, when routed."""
        if not self._config.routes(route.conv_type, message.object_name):
            return message
        keep = partial(self._keep_route, message, route, conv, from_device)
        return dataclasses.replace(message, also=RoutingRow(keep))

    def _keep_route(
        self,
        message: NewMessage,
        route: Route,
        conv: ConvRef,
        from_device: bool,
        conn: sqlite3.Connection,
        stored: StoredMessage,
    ) -> None:
        """In the message's transaction: its routing row (queued once it is committed,
        when the fan-out tells of it: :meth:`message_stored`). Routing never fails a
        message: should the row not be written, it is queued after the commit instead."""
        try:
            self._write_route(message, route, conv, from_device, conn, stored)
        except Exception:
            log.exception("the routing row of %s is queued after its commit", stored.uid)

    def _write_route(
        self,
        message: NewMessage,
        route: Route,
        conv: ConvRef,
        from_device: bool,
        conn: sqlite3.Connection,
        stored: StoredMessage,
    ) -> None:
        audience = message.audience
        record = MessageRecord(
            uid=stored.uid,
            conv=conv,
            seq=stored.seq,
            sender=message.sender,
            object_name=message.object_name,
            content={},
            cmid=message.cmid,
            sent_at=stored.sent_at,
            to=sorted(audience - {message.sender}) if audience else [],
        )
        form = routing_form(
            record, route, from_device=from_device, content_json=message.content_json
        )
        self._kept[stored.uid] = self.sender.keep(conn, route.conv_key, ROUTE, form_body(form))
        if len(self._kept) > KEPT_LIMIT:  # rolled back, never told of: let go
            del self._kept[next(iter(self._kept))]

    def message_stored(self, record: MessageRecord, route: Route, *, from_device: bool) -> None:
        """Route a stored message (its row was committed with it, or is written now),
        and note the pushes it makes."""
        if record.seq == 0:
            # Status messages: not stored, not routed, not pushed; but what a follower
            # sends a public service account (a menu command, text) is for its backend.
            if route.conv_type in PUBLIC_TYPES and self._config.routes(
                route.conv_type, record.object_name
            ):
                form = routing_form(record, route, from_device=from_device)
                self.sender.enqueue(route.conv_key, ROUTE, form_body(form))
            return
        kept = self._kept.pop(record.uid, None)
        if kept is not None:
            self.sender.take(kept)
        elif self._config.routes(route.conv_type, record.object_name):
            form = routing_form(record, route, from_device=from_device)
            self.sender.enqueue(route.conv_key, ROUTE, form_body(form))
        if route.conv_type == ConversationType.ULTRA_GROUP:
            # The members online are the route; those to push to are read beside it.
            task = asyncio.create_task(self._note_ultra_pushes(record))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        offline = self._offline_push_receivers(record, route)
        if offline:
            task = asyncio.create_task(self._note_pushes(record, route, offline))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def moderate(self, sender: str, frame: SendMessage, route: Route) -> None:
        """Hold a matching send for the message callback (moderation.py)."""
        await self.moderation.moderate(sender, frame, route)

    def device_online(self, session: Session) -> None:
        """Mark the user for a status report; what waits to be pushed to them is dropped."""
        self._status.mark(session.user_id, session.device, now_ms())
        self._pushes.forget(session.user_id)
        self._wake.set()

    def device_offline(self, session: Session) -> None:
        """Mark the user for a status report (a device that closed its connection
        itself logged out; one whose connection was lost went offline)."""
        received = session.ws.protocol.close_rcvd
        logout = received is not None and received.code == NORMAL_CLOSE
        self._status.mark(session.user_id, session.device, now_ms(), logout=logout)
        self._wake.set()

    def chatroom_status(self, room: str, status: int, users: list[str], at_ms: int) -> None:
        """Queue a chatroom status report (one lane: the backend gets them in order)."""
        if self._config.chatroom_status_url:
            item = chatroom_status_item(room, status, users, at_ms)
            self.sender.enqueue("chatroom_status", ROOM_STATUS, json.dumps([item]))

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
        await self._rows.set_push_url(user_id, url)
        if url:
            self._push_urls[user_id] = url
        else:
            self._push_urls.pop(user_id, None)

    def notify(self, user_id: str, title: str, body: str) -> bool:
        """Tell `user_id` now, storing nothing: a Notice to each of their devices online
        (the app shows it), else a push to their URL (no coalescing); False when
        neither reaches them."""
        if self._server.online_devices(user_id) > 0:
            self._server.fanout.tell(user_id, NoticeFrame(body=body[:4096], title=title[:256]))
            return True
        url = self.push_url(user_id)
        if not url:
            return False
        notice = {"url": url, "title": title, "body": body}
        self.sender.enqueue(f"push:{user_id}", PUSH, json.dumps(notice))
        return True

    # ------------------------------------------------------------------ pushes

    def _offline_push_receivers(self, record: MessageRecord, route: Route) -> list[str]:
        kind = messages.lookup(record.object_name)
        if not (kind.pushed and kind.counted):
            return []
        return [
            user
            for user, _seen in route.deliveries
            if user != record.sender
            and self.push_url(user)
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
                else (
                    record.sender,
                    summary,
                )
            )
            self._pushes.note(user, self.push_url(user), title, body, now_ms(), record.uid)
        self._wake.set()

    async def _note_ultra_pushes(self, record: MessageRecord) -> None:
        """Note the pushes of an ultra group's message, as its members' levels decide
        (server/ultra/pushes.py)."""
        store = self._server.store
        if store is None or not self._config.pushes:
            return
        try:
            users = await push_receivers(
                store.ultra,
                record,
                online=lambda user: self._server.online_devices(user) > 0,
                reachable=lambda user: bool(self.push_url(user)),
            )
        except Exception:
            log.exception("deciding the pushes of %s failed", record.uid)
            return
        where = record.conv.target + (f" #{record.conv.channel}" if record.conv.channel else "")
        body = f"{record.sender}: {messages.summarize(record.object_name, record.content)}"
        for user in users:
            self._pushes.note(user, self.push_url(user), where, body, now_ms(), record.uid)
        self._wake.set()

    async def _send_push(self, notice: Notice) -> None:
        """Queue `notice`, with its message's pushContent when the sender gave one."""
        store = self._server.store
        if notice.uid and store is not None:
            given = await store.pushes.get(notice.uid)
            notice = notice.given_text(given[0] if given else "")
        body = {"url": notice.url, "title": notice.title, "body": notice.body}
        self.sender.enqueue(f"push:{notice.user_id}", PUSH, json.dumps(body))

    # ------------------------------------------------------------------ timers

    async def _tick(self) -> None:
        """Report statuses and send pushes as they come due."""
        while True:
            self._wake.clear()
            now = now_ms()
            try:
                await self._due(now)
            except Exception:
                log.exception("reporting statuses or pushes failed")
            dues = [d for d in (self._status.next_due(), self._pushes.next_due()) if d is not None]
            wait = max(0.0, (min(dues) - now) / 1000) if dues else None
            await woken_or_after(self._wake, wait)

    async def _due(self, now: int) -> None:
        reports = self._status.due(now, lambda user: self._server.online_devices(user) > 0)
        if reports and self._config.status_url:
            items = [status_item(r.user_id, r.status, r.device, r.at_ms) for r in reports]
            self.sender.enqueue("status", STATUS, json.dumps(items))
        for notice in self._pushes.due(now):
            if self._server.online_devices(notice.user_id) == 0:
                await self._send_push(notice)

    # ------------------------------------------------------------------ deliverers

    async def _post_route(self, entry: Entry) -> bool:
        url = self._config.routing_url
        if not url:
            return True  # routing was switched off: what was queued is let go
        return await self._poster.post(url, form=entry.body)

    async def _post_status(self, entry: Entry) -> bool:
        url = self._config.status_url
        if not url:
            return True
        return await self._poster.post(url, json=json.loads(entry.body))

    async def _post_chatroom_status(self, entry: Entry) -> bool:
        url = self._config.chatroom_status_url
        if not url:
            return True
        return await self._poster.post(url, json=json.loads(entry.body))

    async def _push(self, entry: Entry) -> bool:
        import apprise

        notice = json.loads(entry.body)
        target = apprise.Apprise()
        if not target.add(notice["url"]):
            log.warning("push URL not understood, push dropped: %s", notice["url"][:40])
            return True
        return bool(await target.async_notify(body=notice["body"], title=notice["title"]))

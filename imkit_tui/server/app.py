"""The reference IM server: accepts websockets, logs users in, routes and stores messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import defaultdict
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from imkit_tui.protocol import (
    ErrorCode,
    Frame,
    Hello,
    ProtocolError,
    Welcome,
    decode_client_frame,
    encode,
    negotiate,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.budgets import FrameAccounts
from imkit_tui.server.chatrooms.live import ChatroomLive
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.customer_service.replica import DeskReplica
from imkit_tui.server.devices import Devices, RevocationWatch, check_token
from imkit_tui.server.fanout import Fanout, LocalFanout, TargetedLookup
from imkit_tui.server.gag_sweep import lift_ended_gags
from imkit_tui.server.handlers import HANDLERS, customer_service, files, groups, posting
from imkit_tui.server.handlers.failures import answer_failure, error_frame
from imkit_tui.server.hooks import NoHooks, ServerHooks
from imkit_tui.server.in_process import InProcessDoor, websocket_options
from imkit_tui.server.inbound import MALFORMED_CLOSE, RefusedUsers
from imkit_tui.server.media import MediaStore
from imkit_tui.server.public_service.service import save_account
from imkit_tui.server.ratelimit import PerUser
from imkit_tui.server.session import Session
from imkit_tui.server.store import ServerStore
from imkit_tui.server.stores import AnyStore, open_store
from imkit_tui.server.ultra.online import UltraOnline

if TYPE_CHECKING:
    from imkit_tui.server.nats_fanout import NatsFanout

log = logging.getLogger(__name__)


class IMServer:
    """The cloud: one instance serves every user over websockets.

    `await start()` binds (port 0 picks a free port, see `port`), `await stop()` closes
    connections and the store. Every failure inside one connection is answered on that
    connection; no client can stop the server or disturb another client. Each frame is
    answered by its handler (server/handlers/), to which the server is the
    :class:`~imkit_tui.server.handlers.context.ServerContext`.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store: AnyStore | None = None
        self._secret = b""
        self._server: Server | None = None
        self._door: InProcessDoor | None = None
        self._sessions: dict[str, set[Session]] = defaultdict(set)
        self.send_rates = PerUser(config.rate_per_second, config.rate_burst)
        self._accounts = FrameAccounts(config.budgets)
        self._background: set[asyncio.Task[None]] = set()
        self._retention: asyncio.Task[None] | None = None
        self._gag_sweep: asyncio.Task[None] | None = None
        self._revocations: RevocationWatch | None = None
        self.devices = Devices(self._sessions, config.max_devices_per_user, self._background)
        """The connected devices: admitted, capped, blocked and closed here."""
        self.media = MediaStore(config.media_dir, config.max_upload_bytes, config.upload_quota)
        self._refused_users = RefusedUsers(config.inbound.refused_login_delay)
        self.ultra_online = UltraOnline()
        """The members of each ultra group who are connected (server/ultra/online.py)."""
        self._local = LocalFanout(self._sessions, self._audiences, self.ultra_online)
        self.fanout: Fanout = self._local
        """Delivery to the receivers' devices (in-process; with a bus, on every node)."""
        self._bus: NatsFanout | None = None
        self.hooks: ServerHooks = NoHooks()
        """What the server tells the app's backend (server/hooks/); nothing by default."""
        self.chatrooms = ChatroomLive(
            config.chatrooms, self, lambda user: bool(self._sessions.get(user))
        )
        """The chatrooms (server/chatrooms/)."""
        self._room_sweep: asyncio.Task[None] | None = None
        self._desk_ticks: asyncio.Task[None] | None = None
        self.customer_service = DeskReplica(config.customer_service)
        """The customer-service desk (server/customer_service/)."""

    @property
    def listening(self) -> bool:
        """True when the server accepts websockets on a port (see :meth:`listen`)."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port the server listens on (the real one when started on port 0)."""
        if self._server is None:
            raise RuntimeError("the server is not listening")
        for sock in self._server.sockets:
            return int(sock.getsockname()[1])
        raise RuntimeError("the server has no socket")

    @property
    def url(self) -> str:
        """The websocket URL clients connect to."""
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"ws://{shown}:{self.port}"

    def local_users(self) -> list[str]:
        """The users with a device connected to this node."""
        return list(self._sessions)

    def online_devices(self, user_id: str) -> int:
        """How many devices of `user_id` are connected now."""
        return len(self._sessions.get(user_id, ()))

    async def send_system(self, user_id: str, object_name: str, content: dict[str, Any]) -> int:
        """Post a message from the system account into `user_id`'s system conversation
        (welcome notes, notices); stored, synced and pushed like any other. Returns its seq.
        """
        return await posting.send_system(self, user_id, object_name, content)

    async def create_group(
        self, group_id: str, name: str, owner: str, member_ids: list[str]
    ) -> bool:
        """Create a group (the owner and the members) and post its "created" notice.

        For an app server's use (the demo workspace); returns False if the group exists.
        """
        return await groups.create_group(self, group_id, name, owner, member_ids)

    async def collect_unreferenced_files(self, now: int | None = None) -> int:
        """Delete stored files that no message names and no uploader holds (as of `now`,
        in ms); return how many. Runs with the retention pass."""
        return await files.collect_unreferenced_files(self, now)

    def issue_token(self, user_id: str, version: int, ttl_seconds: int | None) -> str:
        """A login token for `user_id`, signed with the server's app secret."""
        return issue_token(self._secret, user_id, ttl_seconds, version=version)

    def link_key(self) -> bytes:
        """The key that signs the links the Server API hands out (the app secret)."""
        return self._secret

    def require_store(self) -> AnyStore:
        """The open store; ProtocolError 90006 once the server is stopping."""
        if self.store is None:
            raise ProtocolError(ErrorCode.SERVER_SHUTTING_DOWN, "the server is stopping")
        return self.store

    def spawn(self, work: Coroutine[Any, Any, None], request_id: int, session: Session) -> None:
        """Run `work` beside the connection's reading; a failure becomes the error frame
        answering `request_id` on `session`."""
        task = asyncio.create_task(self._guarded(work, request_id, session))
        self._background.add(task)
        session.inbound.started()
        task.add_done_callback(self._background.discard)
        task.add_done_callback(lambda _: session.inbound.ended())

    async def start(self, *, listen: bool = True) -> None:
        """Open the store; accept in-process connections, and with `listen` websockets."""
        self._secret = load_or_create_secret(self.config.data_dir)
        self.store = await open_store(self.config)
        if not isinstance(self.store, ServerStore):  # nodes share the media folder
            self.media.counts = self.store.uploads
        if self.config.bus_url:
            await self._join_bus(self.store)
        await self._prune()
        if not isinstance(self.store, ServerStore):  # several nodes: rooms in the log
            self.chatrooms.log = self.store.act_log(
                "chatroom",
                self.chatrooms,
                self.local_users,
                self.config.chatrooms.sweep_seconds,
            )
            self.chatrooms.fanout_here = self._local
            desk = self.customer_service
            desk.on_effects = lambda effects: self._beside(customer_service.run(self, effects))
            desk.log = self.store.act_log(
                "desk", desk, lambda: [u for u in self._sessions if desk.desk.is_agent(u)]
            )
            await desk.log.start()
            self._desk_ticks = asyncio.create_task(desk.run(), name="desk-log")
        await self.chatrooms.open()
        self._door = InProcessDoor(self._handle, websocket_options(self.config))
        if listen:
            await self.listen()
        self._retention = asyncio.create_task(self._retention_loop(), name="retention")
        self._gag_sweep = asyncio.create_task(self._gag_loop(), name="gag-sweep")
        for account in self.config.public_accounts:
            await save_account(self.store, account)
        self._room_sweep = asyncio.create_task(self.chatrooms.run(), name="chatroom-sweep")
        self._revocations = RevocationWatch(
            self.store.tokens, self.config.revocation_check_seconds, self.devices.close_revoked
        )
        await self._revocations.start()

    def _audiences(self) -> TargetedLookup:
        return self.require_store().audiences

    async def _join_bus(self, store: AnyStore) -> None:
        """Deliver through NATS too: to the devices on the other nodes."""
        from imkit_tui.server.nats_fanout import NatsFanout

        if isinstance(store, ServerStore):
            raise ValueError("a bus joins nodes sharing a PostgreSQL store")
        self._bus = NatsFanout(
            self._local,
            self._audiences,
            store.catch_up_audiences,
            self.devices.resync,
            self.send_rates,
        )
        await self._bus.start(self.config.bus_url)
        self.fanout = self._bus

    async def listen(self, port: int | None = None) -> None:
        """Accept websockets on the configured host and `port` (default: the configured
        one); OSError when it cannot be had (taken, no network at all)."""
        port = self.config.port if port is None else port
        options = websocket_options(self.config)
        self._server = await serve(self._handle, self.config.host, port, **options)

    async def connect_in_process(self) -> socket.socket:
        """A connection for a client in this process, with no network: the client's end
        of a socket pair (what an :data:`imkit_tui.core.connection.Opener` returns)."""
        if self._door is None:
            raise ConnectionRefusedError("the server is not started")
        return await self._door.connect()

    async def stop(self) -> None:
        """Close every connection, finish queued writes and close the store."""
        if self._revocations is not None:
            await self._revocations.stop()
        for loop in (self._retention, self._gag_sweep, self._room_sweep, self._desk_ticks):
            if loop is not None:
                loop.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._door is not None:
            await self._door.close()
        for task in list(self._background):
            task.cancel()
        if self._bus is not None:
            await self._bus.stop()
            self._bus = None
        await self.chatrooms.close()
        await self.customer_service.close()
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        assert self._server is not None
        await self._server.serve_forever()

    # ------------------------------------------------------------------ connections

    async def _handle(self, ws: ServerConnection) -> None:
        session: Session | None = None
        try:
            session = await self._login(ws)
            if session is None:
                return
            await self._serve_session(ws, session)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("connection failed")
            with contextlib.suppress(Exception):
                await ws.close(1011, "internal error")
        finally:
            if session is not None:
                self._sessions[session.user_id].discard(session)
                if not self._sessions[session.user_id]:
                    del self._sessions[session.user_id]
                    self.ultra_online.user_offline(session.user_id)
                    await _logged(self.chatrooms.user_offline(session.user_id))
                    await _logged(customer_service.presence(self, session, online=False))
                self.hooks.device_offline(session)
                await session.stop()

    async def _login(self, ws: ServerConnection) -> Session | None:
        """Wait for a Hello, check the token and version; None if refused (and closed)."""
        try:
            async with asyncio.timeout(self.config.handshake_timeout):
                raw = await ws.recv()
        except TimeoutError:
            await ws.close(1008, "no hello")
            return None
        try:
            frame = decode_client_frame(_as_bytes(raw), self.config.max_frame_bytes)
            if not isinstance(frame, Hello):
                raise ProtocolError(ErrorCode.NOT_AUTHENTICATED, "send hello first", frame.id)
            version = negotiate(frame.versions)
            if version is None:
                raise ProtocolError(
                    ErrorCode.PROTOCOL_VERSION, f"versions {frame.versions} not spoken", frame.id
                )
            claims = await check_token(self._secret, self.require_store(), frame)
        except ProtocolError as exc:
            await ws.send(encode(error_frame(exc)), text=True)
            await ws.close(1008, exc.message[:100])
            return None
        await self._refused_users.wait(claims.user_id)
        session = Session(
            ws,
            claims.user_id,
            frame.device,
            self.config.outbound_buffer_bytes,
            self.config.inbound,
            token_version=claims.version,
        )
        store = self.require_store()
        if not self.ultra_online.is_online(claims.user_id):
            groups = await store.ultra.groups_of(claims.user_id)
            self.ultra_online.user_online(claims.user_id, groups)
        await self.chatrooms.user_online(claims.user_id)  # in its rooms before welcomed
        self.devices.admit(session)
        self.hooks.device_online(session)
        session.send(
            Welcome(
                re=frame.id,
                version=version,
                user_id=claims.user_id,
                server_time=now_ms(),
                heartbeat_seconds=self.config.heartbeat_seconds,
                max_frame_bytes=self.config.max_frame_bytes,
                max_content_bytes=self.config.max_content_bytes,
                max_upload_bytes=self.config.max_upload_bytes,
            )
        )
        await customer_service.presence(self, session, online=True)
        return session

    async def _serve_session(self, ws: ServerConnection, session: Session) -> None:
        async for raw in ws:
            await session.inbound.admit()
            try:
                frame = decode_client_frame(_as_bytes(raw), self.config.max_frame_bytes)
            except ProtocolError as exc:
                session.send(error_frame(exc))
                if not session.inbound.tolerate_malformed():
                    log.info("closing %s/%s: too many malformed frames", *session.name)
                    session.refuse(MALFORMED_CLOSE, "too many malformed frames")
                    self._refused_users.refused(session.user_id)
                    return
                continue
            in_line = self._dispatch(session, frame)
            if in_line is not None:
                await self._guarded(in_line, frame.id, session)

    def _dispatch(self, session: Session, frame: Frame) -> Coroutine[Any, Any, None] | None:
        """Charge the frame to its budget and hand it to its handler (server/handlers/):
        spawned beside the reading, or returned to be awaited in line with it."""
        handling = HANDLERS.get(type(frame))
        try:
            if handling is None:  # pragma: no cover - the decoder only yields client frames
                raise ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, "not a client frame", frame.id)
            self._accounts.charge(session.user_id, frame)
        except ProtocolError as exc:
            session.send(error_frame(exc))
            return None
        work = handling.handle(self, session, frame)
        if handling.in_line:
            return work
        self.spawn(work, frame.id, session)
        return None

    def _beside(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the caller; a failure is logged."""
        task = asyncio.create_task(_logged(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _guarded(
        self, work: Coroutine[Any, Any, None], request_id: int, session: Session
    ) -> None:
        """Run one request; any failure becomes an error frame for that request only."""
        try:
            await work
        except Exception as exc:
            answer_failure(session, request_id, exc)

    # ------------------------------------------------------------------ housekeeping

    async def _prune(self) -> None:
        store = self.require_store()
        removed = await store.prune(now_ms() - self.config.history_ms)
        if removed:
            log.info("history retention removed %d messages", removed)
        removed = await self.chatrooms.prune()
        if removed:
            log.info("chatroom history retention removed %d messages", removed)
        removed = await store.ultra.prune(now_ms() - self.config.ultra.history_ms)
        if removed:
            log.info("ultra group history retention removed %d messages", removed)
        stale = await self.media.prune_partials()
        if stale:
            log.info("removed %d abandoned uploads", stale)
        unreferenced = await self.collect_unreferenced_files()
        if unreferenced:
            log.info("removed %d files no message names any more", unreferenced)

    async def _gag_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.gag_sweep_seconds)
            try:
                await lift_ended_gags(self.require_store())
            except Exception:
                log.exception("lifting ended gags failed")

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.retention_interval_seconds)
            try:
                await self._prune()
            except Exception:
                log.exception("history retention failed")


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    """Await `work`; a failure is logged (a device going, nothing to answer)."""
    try:
        await work
    except Exception:
        log.exception("a presence change or the desk's effects failed")


def _as_bytes(raw: str | bytes) -> bytes:
    if isinstance(raw, bytes):
        raise ProtocolError(
            ErrorCode.MALFORMED_FRAME, "binary frames are not accepted; send JSON text"
        )
    return raw.encode()

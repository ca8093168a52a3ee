"""The reference IM server: accepts websockets, logs users in, routes and stores messages."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from imkit_tui import messages
from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    ClearHistory,
    ConversationType,
    ConvRef,
    DeleteMessages,
    DownloadRequest,
    ErrorCode,
    ErrorFrame,
    Frame,
    GroupRequest,
    Hello,
    MarkRead,
    MessageRecord,
    Ping,
    Pong,
    ProtocolError,
    PullMany,
    PullRequest,
    ReadReceipt,
    Recall,
    ReceiptQuery,
    SendAck,
    SendMessage,
    SyncReply,
    SyncRequest,
    UpdateConversation,
    UpdatePrivacy,
    UploadChunk,
    UploadStart,
    Welcome,
    checked_content,
    decode_client_frame,
    encode,
    encode_content,
    negotiate,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.media import media_in
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.budgets import FrameAccounts
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.conversation_requests import ConversationRequests
from imkit_tui.server.devices import Devices, RevocationWatch, check_token
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.file_refs import may_name_files
from imkit_tui.server.file_requests import FileRequests
from imkit_tui.server.group_requests import GroupRequests
from imkit_tui.server.hooks import NoHooks, ServerHooks
from imkit_tui.server.in_process import InProcessDoor, websocket_options
from imkit_tui.server.inbound import MALFORMED_CLOSE, RefusedUsers
from imkit_tui.server.media import MediaStore
from imkit_tui.server.message_requests import MessageRequests
from imkit_tui.server.privacy_requests import PrivacyRequests
from imkit_tui.server.pull_requests import pull_pages, pull_reply
from imkit_tui.server.ratelimit import TokenBucket
from imkit_tui.server.receipt_requests import AskedReceipts, ReceiptRequests
from imkit_tui.server.routing import Route, route_send, system_route, targeted_audience
from imkit_tui.server.session import Session
from imkit_tui.server.store import ServerStore, StoredMessage

log = logging.getLogger(__name__)

SYNC_PAGE = 500


class IMServer(
    FileRequests,
    ConversationRequests,
    MessageRequests,
    PrivacyRequests,
    GroupRequests,
    ReceiptRequests,
):
    """The cloud: one instance serves every user over websockets.

    `await start()` binds (port 0 picks a free port, see `port`), `await stop()` closes
    connections and the store. Every failure inside one connection is answered on that
    connection; no client can stop the server or disturb another client.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store: ServerStore | None = None
        self._secret = b""
        self._server: Server | None = None
        self._door: InProcessDoor | None = None
        self._sessions: dict[str, set[Session]] = defaultdict(set)
        self._buckets: dict[str, TokenBucket] = {}
        self._accounts = FrameAccounts(config.budgets)
        self._background: set[asyncio.Task[None]] = set()
        self._retention: asyncio.Task[None] | None = None
        self._revocations: RevocationWatch | None = None
        self._devices = Devices(self._sessions, config.max_devices_per_user, self._background)
        self.media = MediaStore(config.media_dir, config.max_upload_bytes, config.upload_quota)
        self._refused_users = RefusedUsers(config.inbound.refused_login_delay)
        self._fanout = Fanout(self._sessions, lambda key: self._require_store().targeted(key))
        self.hooks: ServerHooks = NoHooks()  # the app's backend's (server/hooks/)

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

    def online_devices(self, user_id: str) -> int:
        """How many devices of `user_id` are connected now."""
        return len(self._sessions.get(user_id, ()))

    async def send_system(self, user_id: str, object_name: str, content: dict[str, Any]) -> int:
        """Post a message from the system account into `user_id`'s system conversation
        (welcome notes, notices); stored, synced and pushed like any other. Returns its seq.
        """
        return await self._post(system_route(user_id), SYSTEM_ACCOUNT, object_name, content)

    async def create_group(
        self, group_id: str, name: str, owner: str, member_ids: list[str]
    ) -> bool:
        """Create a group (the owner and the members) and post its "created" notice.

        For an app server's use (the demo workspace); returns False if the group exists.
        """
        store = self._require_store()
        if not await store.create_group(group_id, name, owner, member_ids, now_ms()):
            return False
        notice = {
            "operatorUserId": owner,
            "operation": "Create",
            "data": {"operatorNickname": owner, "targetGroupName": name},
            "message": f"{owner} created the group",
        }
        conv = ConvRef(type=ConversationType.GROUP, target=group_id)
        await self._post(await route_send(store, owner, conv, 0), owner, messages.GROUP_NTF, notice)
        return True

    async def _post(
        self, route: Route, sender: str, object_name: str, content: dict[str, Any]
    ) -> int:
        """Store a message the server itself sends, and push it along its route."""
        store = self._require_store()
        cmid = new_uuid7()
        pending = store.append(
            conv_type=route.conv_type,
            conv_key=route.conv_key,
            members=route.members,
            sender=sender,
            cmid=cmid,
            object_name=object_name,
            content_json=encode_content(content),
            now_ms=now_ms(),
        )
        assert pending is not None
        stored = await pending
        record = MessageRecord(
            uid=stored.uid,
            conv=ConvRef(type=route.conv_type, target=sender),  # each receiver's own below
            seq=stored.seq,
            sender=sender,
            object_name=object_name,
            content=content,
            cmid=cmid,
            sent_at=stored.sent_at,
        )
        self._deliver(route, record, skip=None)
        return stored.seq

    async def start(self, *, listen: bool = True) -> None:
        """Open the store; accept in-process connections, and with `listen` websockets."""
        self._secret = load_or_create_secret(self.config.data_dir)
        self.store = await ServerStore.open(
            self.config.database_path, wal_limit_bytes=self.config.wal_limit_bytes
        )
        await self._prune()
        self._door = InProcessDoor(self._handle, websocket_options(self.config))
        if listen:
            await self.listen()
        self._retention = asyncio.create_task(self._retention_loop(), name="retention")
        self._revocations = RevocationWatch(
            self.store.tokens, self.config.revocation_check_seconds, self._devices.close_revoked
        )
        await self._revocations.start()

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
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._door is not None:
            await self._door.close()
        for task in list(self._background):
            task.cancel()
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
            claims = await check_token(self._secret, self._require_store(), frame)
        except ProtocolError as exc:
            await ws.send(encode(_error(exc)), text=True)
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
        self._devices.admit(session)
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
        return session

    async def _serve_session(self, ws: ServerConnection, session: Session) -> None:
        async for raw in ws:
            await session.inbound.admit()
            try:
                frame = decode_client_frame(_as_bytes(raw), self.config.max_frame_bytes)
            except ProtocolError as exc:
                session.send(_error(exc))
                if not session.inbound.tolerate_malformed():
                    log.info("closing %s/%s: too many malformed frames", *session.name)
                    session.refuse(MALFORMED_CLOSE, "too many malformed frames")
                    self._refused_users.refused(session.user_id)
                    return
                continue
            if isinstance(frame, SendMessage):
                # In line: a commit takes microseconds, and a device's sends keep their order.
                await self._guarded(self._on_send(session, frame), frame.id, session)
            else:
                try:
                    self._accounts.charge(session.user_id, frame)
                    self._dispatch(session, frame)
                except ProtocolError as exc:
                    session.send(_error(exc))

    def _dispatch(self, session: Session, frame: Frame) -> None:
        if isinstance(frame, SyncRequest):
            self._spawn(self._on_sync(session, frame), frame.id, session)
        elif isinstance(frame, PullRequest):
            self._spawn(self._on_pull(session, frame), frame.id, session)
        elif isinstance(frame, PullMany):
            self._spawn(self._on_pull_many(session, frame), frame.id, session)
        elif isinstance(frame, MarkRead):
            self._spawn(self._on_mark_read(session, frame), frame.id, session)
        elif isinstance(frame, GroupRequest):
            self._spawn(self._on_group(session, frame), frame.id, session)
        elif isinstance(frame, ReadReceipt):
            self._spawn(self._on_read_receipt(session, frame), frame.id, session)
        elif isinstance(frame, ReceiptQuery):
            self._spawn(self._on_receipt_query(session, frame), frame.id, session)
        elif isinstance(frame, Recall):
            self._spawn(self._on_recall(session, frame), frame.id, session)
        elif isinstance(frame, DeleteMessages):
            self._spawn(self._on_delete(session, frame), frame.id, session)
        elif isinstance(frame, ClearHistory):
            self._spawn(self._on_clear(session, frame), frame.id, session)
        elif isinstance(frame, UpdateConversation):
            self._spawn(self._on_update_conversation(session, frame), frame.id, session)
        elif isinstance(frame, UpdatePrivacy):
            self._spawn(self._on_update_privacy(session, frame), frame.id, session)
        elif isinstance(frame, UploadStart):
            self._spawn(self._on_upload_start(session, frame), frame.id, session)
        elif isinstance(frame, UploadChunk):
            self._spawn(self._on_upload_chunk(session, frame), frame.id, session)
        elif isinstance(frame, DownloadRequest):
            self._spawn(self._on_download(session, frame), frame.id, session)
        elif isinstance(frame, Ping):
            session.send(Pong(re=frame.id, server_time=now_ms()))
        elif isinstance(frame, Hello):
            raise ProtocolError(ErrorCode.ALREADY_AUTHENTICATED, "already logged in", frame.id)
        else:  # pragma: no cover - the decoder only yields client frames
            raise ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, "not a client frame", frame.id)

    def _spawn(self, work: Coroutine[Any, Any, None], request_id: int, session: Session) -> None:
        task = asyncio.create_task(self._guarded(work, request_id, session))
        self._background.add(task)
        session.inbound.started()
        task.add_done_callback(self._background.discard)
        task.add_done_callback(lambda _: session.inbound.ended())

    async def _guarded(
        self, work: Coroutine[Any, Any, None], request_id: int, session: Session
    ) -> None:
        """Run one request; any failure becomes an error frame for that request only."""
        try:
            await work
        except Exception as exc:
            _answer_failure(session, request_id, exc)

    # ------------------------------------------------------------------ requests

    async def _on_send(self, session: Session, frame: SendMessage) -> None:
        """Check a send and queue it for the store. Run in line with the connection's
        reading, so a device's messages reach the store, and get their seqs, in the order
        it sent them; the ack and the pushes go once the message is committed
        (`_on_stored`), while the next frames are read (at most `requests_in_flight`
        waiting at once)."""
        store = self._require_store()
        sender = session.user_id
        route = await route_send(store, sender, frame.conv, frame.id)
        audience = targeted_audience(route, sender, frame.to, frame.id)
        asked = None
        if frame.object_name == messages.READ_RECEIPT_REQUEST:
            asked = await self._receipt_wanted(session, frame, route)
            audience = asked.audience
        await self._check_privacy(sender, frame)
        if frame.conv.type == ConversationType.GROUP:
            voices = await store.voices(frame.conv.target)
            if voices is not None and not voices.may_speak(sender):
                raise ProtocolError(
                    ErrorCode.MUTED_IN_GROUP, "you are muted in this group", frame.id
                )
        await self.hooks.moderate(sender, frame, route)  # may replace content, or refuse
        content_json = checked_content(frame.content, self.config.max_content_bytes, frame.id)
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = TokenBucket(
                self.config.rate_per_second, self.config.rate_burst
            )
        stored_kind = messages.lookup(frame.object_name).stored
        if not bucket.allow():
            # A retry of a message already stored still gets its ack, never a 20604.
            original = (
                await store.find_by_client_id(sender, frame.cmid, route.conv_key)
                if stored_kind
                else None
            )
            if original is None:
                raise ProtocolError(ErrorCode.RATE_LIMITED, "sending too fast", frame.id)
            self._sent(session, frame, route, audience, asked, original)
            return
        if not stored_kind:
            self._fanout.relay_status(session, frame, route.only(audience))
            return
        files = media_in(frame.content) if may_name_files(content_json) else set()
        if files:
            await self._check_files_named(sender, files, frame.id)
        session.inbound.started()
        try:
            store.append(
                conv_type=route.conv_type,
                conv_key=route.conv_key,
                members=route.members,
                sender=sender,
                cmid=frame.cmid,
                object_name=frame.object_name,
                content_json=content_json,
                now_ms=now_ms(),
                audience=audience,
                files=files,
                then=functools.partial(self._on_stored, session, frame, route, audience, asked),
            )
        except BaseException:
            session.inbound.ended()  # no callback will come for it
            raise

    def _on_stored(
        self,
        session: Session,
        frame: SendMessage,
        route: Route,
        audience: frozenset[str] | None,
        asked: AskedReceipts | None,
        stored: StoredMessage | None,
        error: BaseException | None,
    ) -> None:
        """The send's transaction is committed (or failed): answer it."""
        session.inbound.ended()
        try:
            if stored is None:  # a cancellation is answered too, as an internal error
                raise error if isinstance(error, Exception) else RuntimeError("stored nothing")
            self._sent(session, frame, route, audience, asked, stored)
        except Exception as exc:
            _answer_failure(session, frame.id, exc)

    def _sent(
        self,
        session: Session,
        frame: SendMessage,
        route: Route,
        audience: frozenset[str] | None,
        asked: AskedReceipts | None,
        stored: StoredMessage,
    ) -> None:
        """Ack a stored message and push it (a retry is only acked again)."""
        store = self._require_store()
        sender = session.user_id
        if stored.elsewhere:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMETER,
                f"client message id {frame.cmid!r} was already used in another conversation",
                frame.id,
            )
        if not stored.duplicate:  # a retry was pushed when first stored (sync covers misses)
            record = MessageRecord(
                uid=stored.uid,
                conv=frame.conv,
                seq=stored.seq,
                sender=sender,
                object_name=frame.object_name,
                content=frame.content,
                cmid=frame.cmid,
                sent_at=stored.sent_at,
                to=sorted(audience - {sender}) if audience else [],
            )
            self._deliver(route.only(stored.audience), record, skip=session)
        # The receivers first: the sender's ack can wait the few microseconds.
        seq = store.seq_view(route.conv_key, sender).to_member(stored.seq)
        session.send(
            SendAck(
                re=frame.id,
                cmid=frame.cmid,
                uid=stored.uid,
                seq=seq,
                sent_at=stored.sent_at,
                conv=frame.conv,
            )
        )
        if asked is not None and not stored.duplicate:
            work = self._receipts_asked(sender, frame.conv, route.conv_key, asked)
            self._spawn(work, frame.id, session)

    def _deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """Push to every receiving device but `skip` (server/fanout.py); tell the hooks."""
        self._fanout.deliver(route, record, skip)
        self.hooks.message_stored(record, route, from_device=skip is not None)

    async def _on_sync(self, session: Session, frame: SyncRequest) -> None:
        store = self._require_store()
        states, cursor, has_more = await store.changed_conversations(
            session.user_id, frame.since, SYNC_PAGE
        )
        session.send(SyncReply(re=frame.id, cursor=cursor, conversations=states, has_more=has_more))

    async def _on_pull(self, session: Session, frame: PullRequest) -> None:
        store = self._require_store()
        session.send(await pull_reply(store, self.config, session.user_id, frame))

    async def _on_pull_many(self, session: Session, frame: PullMany) -> None:
        store = self._require_store()
        session.send(await pull_pages(store, self.config, session.user_id, frame))

    # ------------------------------------------------------------------ housekeeping

    def _require_store(self) -> ServerStore:
        if self.store is None:
            raise ProtocolError(ErrorCode.SERVER_SHUTTING_DOWN, "the server is stopping")
        return self.store

    async def _prune(self) -> None:
        store = self._require_store()
        removed = await store.prune(now_ms() - self.config.history_ms)
        if removed:
            log.info("history retention removed %d messages", removed)
        stale = await self.media.prune_partials()
        if stale:
            log.info("removed %d abandoned uploads", stale)
        unreferenced = await self.collect_unreferenced_files()
        if unreferenced:
            log.info("removed %d files no message names any more", unreferenced)

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.retention_interval_seconds)
            try:
                await self._prune()
            except Exception:
                log.exception("history retention failed")


def _as_bytes(raw: str | bytes) -> bytes:
    if isinstance(raw, bytes):
        raise ProtocolError(
            ErrorCode.MALFORMED_FRAME, "binary frames are not accepted; send JSON text"
        )
    return raw.encode()


def _error(exc: ProtocolError) -> ErrorFrame:
    return ErrorFrame(re=exc.reply_to, code=exc.code, message=exc.message)


def _answer_failure(session: Session, request_id: int, exc: Exception) -> None:
    """A request failed: its error frame (an internal error, logged, unless refused)."""
    if isinstance(exc, ProtocolError):
        session.send(_error(exc))
        return
    log.error("request %s of %s failed", request_id, session.user_id, exc_info=exc)
    session.send(ErrorFrame(re=request_id, code=ErrorCode.INTERNAL_ERROR, message="internal error"))

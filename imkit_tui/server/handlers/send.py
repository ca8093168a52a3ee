"""SendMessage, in three steps: authorize (may this user send this, here, now? then the
send limit, the files it names and, last, the app's backend: store_send), persist
(queue it for the store, which gives it the conversation's next seq in the storing
transaction), fan out (after the commit: push it to the receivers, ack the sender).

Run in line with the connection's reading, so a device's messages reach the store, and
get their seqs, in the order it sent them; the ack and the pushes go once the message is
committed, while the next frames are read (at most `requests_in_flight` waiting at once).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
    ErrorCode,
    ProtocolError,
    SendAck,
    SendMessage,
    checked_content,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.media import media_in
from imkit_tui.protocol.public_frames import PUBLIC_TYPES
from imkit_tui.server.file_refs import may_name_files
from imkit_tui.server.group_store import group_key
from imkit_tui.server.handlers.chatrooms import chatroom_send
from imkit_tui.server.handlers.context import ServerContext, ack_unstored
from imkit_tui.server.handlers.failures import answer_failure
from imkit_tui.server.handlers.files import check_files_named
from imkit_tui.server.handlers.posting import message_record
from imkit_tui.server.handlers.privacy import check_privacy
from imkit_tui.server.handlers.public_service import public_send
from imkit_tui.server.handlers.receipts import AskedReceipts, receipt_wanted, receipts_asked
from imkit_tui.server.routing import Route, route_send, targeted_audience
from imkit_tui.server.session import Session
from imkit_tui.server.store_records import AfterStoring, NewMessage, StoredMessage, private_key


@dataclass(frozen=True, slots=True)
class Authorized:
    """A send that passed its checks: its route, who may see it (None: every member),
    the receipt request it is (if one), and its content as stored (`replaced`: not the
    content the device sent; its ack then carries it). `edits`: the type of the message
    an edit event (ultra groups) gives the new content under `content`: the app's
    backend is asked about that message as it becomes."""

    frame: SendMessage
    route: Route
    audience: frozenset[str] | None
    asked: AskedReceipts | None
    content_json: str
    replaced: bool = False
    edits: str | None = None


async def on_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """Authorize a send, then store it (or, for a status message, relay it); a
    chatroom's message goes to the chatrooms (handlers/chatrooms.py), one to a public
    service account to its backend (handlers/public_service.py)."""
    if frame.conv.type == ConversationType.CHATROOM:
        await chatroom_send(ctx, session, frame)
        return
    if frame.conv.type in PUBLIC_TYPES:
        await public_send(ctx, session, frame)
        return
    try:
        send = await authorize(ctx, session, frame)
    except ProtocolError:
        # Idempotent send: a retry of a message stored before the sender was blocked,
        # muted or removed, or before a word was banned, still gets its original ack.
        if await ack_stored_retry(ctx, session, frame):
            return
        raise
    await store_send(ctx, session, send)


async def store_send(
    ctx: ServerContext,
    session: Session,
    send: Authorized,
    then: Callable[[SendMessage], AfterStoring | None] | None = None,
    *,
    moderated: bool = True,
) -> None:
    """The last steps of an authorized send, in this order: the send limit (20604), a
    status message relayed (never stored), the files it names, the app's backend (when
    `moderated`: :func:`moderate`), then the store (`then(frame)`: more to write in its
    transaction, made of the content as stored)."""
    frame = send.frame
    stored_kind = messages.lookup(frame.object_name).stored
    if await over_send_limit(ctx, session, send, stored_kind):
        return
    if not stored_kind:
        relay_status(ctx, session, send)
        return
    files = await named_files(ctx, session, send)
    if moderated:
        try:
            send, files = await moderate(ctx, session, send, files)
        except ProtocolError:
            # A retry of a message stored before the backend began to refuse such
            # messages still gets its original ack.
            if await ack_stored_retry(ctx, session, frame, send.route.conv_key):
                return
            raise
    persist(ctx, session, send, files, then(frame) if then is not None else None)


async def named_files(ctx: ServerContext, session: Session, send: Authorized) -> set[str]:
    """The files (sha256) the send's content names; refused unless its sender may read
    each (handlers/files.py)."""
    frame = send.frame
    files = media_in(frame.content) if may_name_files(send.content_json) else set()
    if files:
        await check_files_named(ctx, session.user_id, files, frame.id)
    return files


async def moderate(
    ctx: ServerContext, session: Session, send: Authorized, files: set[str]
) -> tuple[Authorized, set[str]]:
    """Hold the send for the app's backend when it asked to moderate such messages
    (hooks/moderation.py): asked last, it never hears of a send refused without it.
    It may refuse the send (ProtocolError 21501) or replace its content, which is then
    checked again (its size, the files it names); an edit is asked about as the message
    it edits becomes. The send and its files as stored."""
    frame = send.frame
    if send.edits is not None:  # the edited message as it becomes, not the event
        view = msgspec.structs.replace(
            frame, object_name=send.edits, content=frame.content["content"]
        )
        await ctx.hooks.moderate(session.user_id, view, send.route)
        if view.content is frame.content["content"]:
            return send, files
        frame.content = {**frame.content, "content": view.content}
    else:
        before = frame.content
        await ctx.hooks.moderate(session.user_id, frame, send.route, send.content_json)
        if frame.content is before:
            return send, files
    content_json = checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    replaced = dataclasses.replace(send, content_json=content_json, replaced=True)
    return replaced, await named_files(ctx, session, replaced)


async def over_send_limit(
    ctx: ServerContext, session: Session, send: Authorized, stored_kind: bool
) -> bool:
    """Charge the send limit: False while within it. Past it, a retry of a message already
    stored gets its ack again (True: handled), never a 20604; anything else is refused
    with ProtocolError 20604."""
    if ctx.send_rates.allow(session.user_id):
        return False
    frame = send.frame
    original = (
        await ctx.require_store().find_by_client_id(
            session.user_id, frame.cmid, send.route.conv_key
        )
        if stored_kind
        else None
    )
    if original is None:
        raise ProtocolError(ErrorCode.RATE_LIMITED, "sending too fast", frame.id)
    fan_out(ctx, session, send, original)
    return True


async def ack_stored_retry(
    ctx: ServerContext, session: Session, frame: SendMessage, conv_key: str | None = None
) -> bool:
    """Ack `frame` again if it is a retry of a message already stored in its
    conversation (nothing is pushed again); False when it is not. `conv_key`: the
    conversation's store key, when the caller knows it (an ultra group's channel); else
    it is found for a private or group conversation, and there is none for the others."""
    if not messages.lookup(frame.object_name).stored:
        return False
    sender = session.user_id
    if conv_key is None and frame.conv.type == ConversationType.GROUP:
        conv_key = group_key(frame.conv.target)
    elif conv_key is None and frame.conv.type == ConversationType.PRIVATE:
        conv_key = private_key(sender, frame.conv.target)
    if conv_key is None:
        return False
    store = ctx.require_store()
    original = await store.find_by_client_id(sender, frame.cmid, conv_key)
    if original is None or original.elsewhere:
        return False
    _ack(ctx, session, frame, conv_key, original)
    return True


async def authorize(
    ctx: ServerContext, session: Session, frame: SendMessage, route: Route | None = None
) -> Authorized:
    """Check that `session`'s user may send `frame`: the conversation is theirs, the
    receiver accepts them, they may speak in the group, the content is within bounds
    (the app's sensitive words applied). Refused with the ProtocolError of the first
    check failed. `route`: where it goes, when the caller decided (customer service);
    else the conversation's own. The app's backend is asked later (:func:`moderate`)."""
    store = ctx.require_store()
    sender = session.user_id
    if route is None:
        route = await route_send(store, sender, frame.conv, frame.id)
    audience = targeted_audience(route, sender, frame.to, frame.id)
    asked = None
    if frame.object_name == messages.READ_RECEIPT_REQUEST:
        asked = await receipt_wanted(ctx, session, frame, route)
        audience = asked.audience
    sent = frame.content
    await check_privacy(ctx, sender, frame)
    if frame.conv.type == ConversationType.GROUP:
        voices = await store.groups.voices(frame.conv.target)
        if voices is not None and not voices.may_speak(sender):
            raise ProtocolError(ErrorCode.MUTED_IN_GROUP, "you are muted in this group", frame.id)
    content_json = checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    return Authorized(frame, route, audience, asked, content_json, frame.content is not sent)


def persist(
    ctx: ServerContext,
    session: Session,
    send: Authorized,
    files: set[str],
    then: AfterStoring | None = None,
) -> None:
    """Queue the message for the store (`files`: the sha256 its content names; `then`:
    more to write in its transaction, NewMessage.then); the fan-out follows the commit
    (:func:`fan_out`). Queued here and now, so a device's messages get their seqs in
    the order it sent them."""
    frame = send.frame
    sender = session.user_id
    store = ctx.require_store()
    session.inbound.started()
    try:
        message = NewMessage(
            conv_type=send.route.conv_type,
            conv_key=send.route.conv_key,
            members=send.route.members,
            sender=sender,
            cmid=frame.cmid,
            object_name=frame.object_name,
            content_json=send.content_json,
            now_ms=now_ms(),
            audience=send.audience,
            files=files,
            then=then,
        )
        store.append_then(
            ctx.hooks.routed(message, send.route, frame.conv, from_device=True),
            functools.partial(_stored, ctx, session, send),
        )
    except BaseException:
        session.inbound.ended()  # no callback will come for it
        raise


def _stored(
    ctx: ServerContext,
    session: Session,
    send: Authorized,
    stored: StoredMessage | None,
    error: BaseException | None,
) -> None:
    """The send's transaction is committed (or failed): answer it."""
    session.inbound.ended()
    try:
        if stored is None:  # a cancellation is answered too, as an internal error
            raise error if isinstance(error, Exception) else RuntimeError("stored nothing")
        fan_out(ctx, session, send, stored)
    except Exception as exc:
        answer_failure(session, send.frame.id, exc)


def fan_out(ctx: ServerContext, session: Session, send: Authorized, stored: StoredMessage) -> None:
    """Push a stored message to its receivers and ack it (a retry is only acked again)."""
    frame = send.frame
    sender = session.user_id
    if stored.elsewhere:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            f"client message id {frame.cmid!r} was already used in another conversation",
            frame.id,
        )
    if not stored.duplicate:  # a retry was pushed when first stored (sync covers misses)
        audience = send.audience
        record = message_record(
            frame.conv,
            stored.uid,
            stored.seq,
            sender,
            frame.object_name,
            frame.content,
            frame.cmid,
            stored.sent_at,
            sorted(audience - {sender}) if audience else None,
        )
        ctx.fanout.deliver(send.route.only(stored.audience), record, skip=session)
    # The receivers first: the sender's ack can wait the few microseconds.
    _ack(ctx, session, frame, send.route.conv_key, stored, send.replaced)
    if send.asked is not None and not stored.duplicate:
        work = receipts_asked(ctx, sender, frame.conv, send.route.conv_key, send.asked)
        ctx.spawn(work, frame.id, session)


def relay_status(ctx: ServerContext, session: Session, send: Authorized) -> None:
    """A status message (typing, ...) goes to whoever is online along its route, acked
    at once with seq 0: it is neither stored nor counted."""
    frame = send.frame
    uid, sent_at = ack_unstored(session, frame)
    record = message_record(
        frame.conv,
        uid,
        0,
        session.user_id,
        frame.object_name,
        frame.content,
        frame.cmid,
        sent_at,
    )
    ctx.fanout.deliver(send.route.only(send.audience), record, skip=session)


def _ack(
    ctx: ServerContext,
    session: Session,
    frame: SendMessage,
    conv_key: str,
    stored: StoredMessage,
    replaced: bool = False,
) -> None:
    """Ack `frame` with its stored message, the seq numbered as the sender sees the
    conversation (targeted messages make each member's numbering their own), and its
    content when `replaced` (the frame's content is then the one stored)."""
    seq = ctx.require_store().audiences.seq_view(conv_key, session.user_id).to_member(stored.seq)
    session.send(
        SendAck(
            re=frame.id,
            cmid=frame.cmid,
            uid=stored.uid,
            seq=seq,
            sent_at=stored.sent_at,
            conv=frame.conv,
            content=frame.content if replaced else None,
        )
    )

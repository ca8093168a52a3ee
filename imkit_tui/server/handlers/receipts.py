"""Group read receipts, as IMKit has them.

The sender of a group message asks for receipts within two minutes of sending it, with
an RC:RRReqMsg (stored, not counted, for the same audience as the message), so members
who are away learn of it in their next sync. Each member's client answers with a
ReadReceipt once the message has been read there; the sender's devices get a
ReceiptState ("3 read · 5 unread", and who) on every new reader, and may ask for it
again at any time with a ReceiptQuery. Only the sender ever learns who read.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorCode,
    ProtocolError,
    ReadReceipt,
    Receipt,
    ReceiptQuery,
    ReceiptState,
    SendMessage,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.receipt_store import StoredRef
from imkit_tui.server.routing import Route, readable_key
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store


class AskedReceipts(NamedTuple):
    """A receipt request that passed its checks: where, about which message, and who
    may see it (None: every member)."""

    conv_id: int
    message: StoredRef
    audience: frozenset[str] | None


async def receipt_wanted(
    ctx: ServerContext, session: Session, frame: SendMessage, route: Route
) -> AskedReceipts:
    """Check and record an RC:RRReqMsg before it is stored (asking again is fine);
    it goes to the audience of the message it asks about."""
    store = ctx.require_store()
    if frame.conv.type != ConversationType.GROUP:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "read receipts are asked for in groups", frame.id
        )
    uid = frame.content.get("messageUId")
    conv_id = await store.conversation_id(route.conv_key, session.user_id)
    if conv_id is None or not isinstance(uid, str) or not uid:
        found = []
    else:
        found = await store.receipts.find_messages(conv_id, [uid])
    if conv_id is None or not found or found[0].sender != session.user_id:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            "receipts can be asked for your own messages of this group only",
            frame.id,
        )
    (message,) = found
    window = ctx.config.receipt_request_seconds * 1000
    too_late = now_ms() - message.sent_at > window
    if too_late and not await store.receipts.requested(conv_id, message.seq):
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            f"receipts can be asked for within {ctx.config.receipt_request_seconds} s of sending",
            frame.id,
        )
    await store.receipts.request(conv_id, message.seq)
    return AskedReceipts(conv_id, message, store.audiences.audience(route.conv_key, message.seq))


async def receipts_asked(
    ctx: ServerContext, sender: str, conv: ConvRef, conv_key: str, asked: AskedReceipts
) -> None:
    """Tell the sender's devices where the receipts start: nobody has read yet."""
    store = ctx.require_store()
    state = await _receipt_state(store, asked.conv_id, conv_key, conv, [asked.message])
    ctx.fanout.tell(sender, state)


async def on_read_receipt(ctx: ServerContext, session: Session, frame: ReadReceipt) -> None:
    """Record that the reader read these messages; tell each sender's devices."""
    store = ctx.require_store()
    reader = session.user_id
    key, conv_id = await _receipt_conversation(store, session, frame.conv, frame.id)
    view = store.audiences.seq_view(key, reader)
    found = [
        m
        for m in await store.receipts.find_messages(conv_id, frame.uids)
        if m.sender != reader and view.sees(m.seq)
    ]
    recorded = set(
        await store.receipts.record_reads(conv_id, reader, [m.seq for m in found], now_ms())
    )
    session.send(ReceiptState(re=frame.id, conv=frame.conv))
    by_sender: dict[str, list[StoredRef]] = defaultdict(list)
    for message in found:
        if message.seq in recorded:
            by_sender[message.sender].append(message)
    for sender, theirs in by_sender.items():
        state = await _receipt_state(store, conv_id, key, frame.conv, theirs)
        ctx.fanout.tell(sender, state)


async def on_receipt_query(ctx: ServerContext, session: Session, frame: ReceiptQuery) -> None:
    """Who read the asker's own messages of a group."""
    store = ctx.require_store()
    key, conv_id = await _receipt_conversation(store, session, frame.conv, frame.id)
    own = [
        m
        for m in await store.receipts.find_messages(conv_id, frame.uids)
        if m.sender == session.user_id
    ]
    state = await _receipt_state(store, conv_id, key, frame.conv, own)
    session.send(ReceiptState(re=frame.id, conv=state.conv, receipts=state.receipts))


async def _receipt_conversation(
    store: Store, session: Session, conv: ConvRef, request_id: int
) -> tuple[str, int]:
    if conv.type != ConversationType.GROUP:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "read receipts are for groups", request_id)
    key = await readable_key(store, session.user_id, conv, request_id)
    conv_id = await store.conversation_id(key, session.user_id)
    if conv_id is None or session.user_id not in (await store.groups.members(conv.target) or []):
        raise ProtocolError(ErrorCode.NOT_IN_GROUP, "you are not in this group", request_id)
    return key, conv_id


async def _receipt_state(
    store: Store, conv_id: int, key: str, conv: ConvRef, messages: list[StoredRef]
) -> ReceiptState:
    found: dict[str, Any] = await store.receipts.readers(conv_id, key, messages)
    return ReceiptState(
        conv=ConvRef.group(conv.target),
        receipts=[
            Receipt(uid=uid, read=read, unread=unread) for uid, (read, unread) in found.items()
        ],
    )

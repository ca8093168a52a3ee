"""Pulling a page of messages, past a message this client cannot read.

A page the client cannot decode (a message in it nested too deep for the decoder, from
a server that stored it before it refused such content) would otherwise fail every
sync of that conversation, on every launch. Such a page is asked again one message at
a time (a rare and short detour); a message that still cannot be decoded is replaced
by an UNREADABLE placeholder at its seq, so the seqs stay gapless, the sync goes on,
and it is never asked for again.
"""

from __future__ import annotations

import logging

import msgspec

from imkit_tui.core.connection import Connection, RequestFailed
from imkit_tui.protocol import (
    UNREADABLE,
    ConvRef,
    ErrorCode,
    MessageRecord,
    PullReply,
    PullRequest,
    unreadable_content,
)
from imkit_tui.protocol.clock import now_ms

log = logging.getLogger(__name__)


async def pull_page(connection: Connection, request: PullRequest, timeout: float) -> PullReply:
    """The server's answer to `request`, with an unreadable message replaced by a
    placeholder (see the module). Raises what `Connection.request` raises otherwise."""
    try:
        return await connection.request(request, PullReply, timeout)
    except RequestFailed as exc:
        if exc.code != ErrorCode.MALFORMED_FRAME:
            raise
    return await _one_by_one(connection, request, timeout)


async def _one_by_one(connection: Connection, request: PullRequest, timeout: float) -> PullReply:
    """The page of `request`, asked one message at a time; each one that cannot be
    decoded becomes a placeholder."""
    forward = request.before_seq == 0
    anchor = request.after_seq if forward else request.before_seq
    records: list[MessageRecord] = []
    has_more, floor_seq = True, 1
    while len(records) < request.limit and has_more:
        single = msgspec.structs.replace(request, id=0, limit=1)
        single = msgspec.structs.replace(
            single, **({"after_seq": anchor} if forward else {"before_seq": anchor})
        )
        try:
            reply = await connection.request(single, PullReply, timeout)
        except RequestFailed as exc:
            if exc.code != ErrorCode.MALFORMED_FRAME:
                raise
            seq = anchor + 1 if forward else anchor - 1
            log.warning(
                "message %s of %s cannot be read: kept as a placeholder", seq, request.conv.key
            )
            reply = PullReply(
                conv=request.conv,
                messages=[placeholder(request.conv, seq)] if seq >= 1 else [],
                has_more=forward or seq > 1,
                floor_seq=floor_seq,
            )
        if not reply.messages:
            has_more, floor_seq = False, reply.floor_seq
            break
        records.extend(reply.messages)
        anchor = reply.messages[-1].seq
        has_more, floor_seq = reply.has_more, reply.floor_seq
    return PullReply(conv=request.conv, messages=records, has_more=has_more, floor_seq=floor_seq)


def placeholder(conv: ConvRef, seq: int) -> MessageRecord:
    """The UNREADABLE placeholder of message `seq` of `conv`."""
    key = f"unreadable:{conv.key}:{seq}"
    return MessageRecord(
        uid=key,
        conv=conv,
        seq=seq,
        sender=conv.target,
        object_name=UNREADABLE,
        content=unreadable_content(""),
        cmid=key,
        sent_at=now_ms(),
    )

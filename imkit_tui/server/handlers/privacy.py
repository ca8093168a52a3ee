"""Privacy: who may message a user (block list, whitelist, whitelist mode).

UpdatePrivacy changes a user's rules and is answered with the whole PrivacyState; the
same state goes to the user's other devices as a push. Every private send passes
:func:`check_privacy` first: a receiver who blocks the sender, or who
is in whitelist mode without the sender on the whitelist, refuses it with 405, and
nothing is stored or delivered. Groups are not concerned.
"""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import (
    ConversationType,
    ErrorCode,
    PrivacyState,
    ProtocolError,
    SendMessage,
    UpdatePrivacy,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.privacy_store import MAX_LIST, PrivacyChange, PrivacyRules
from imkit_tui.server.session import Session


def privacy_state(rules: PrivacyRules, reply_to: int = 0) -> PrivacyState:
    """The wire form of `rules` (lists sorted), answering request `reply_to` (0: a push)."""
    return PrivacyState(
        re=reply_to,
        blocked=sorted(rules.blocked),
        allowed=sorted(rules.allowed),
        whitelist_mode=rules.whitelist_mode,
    )


async def on_update_privacy(ctx: ServerContext, session: Session, frame: UpdatePrivacy) -> None:
    """Change the user's rules; answered (and pushed) with the whole PrivacyState."""
    user_id = session.user_id
    if user_id in frame.block:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "you cannot block yourself", frame.id)
    store = ctx.require_store()
    change = PrivacyChange(
        block=frame.block,
        unblock=frame.unblock,
        allow=frame.allow,
        disallow=frame.disallow,
        whitelist_mode=frame.whitelist_mode,
    )
    if change.empty:
        session.send(privacy_state(await store.privacy.rules(user_id), frame.id))
        return
    update = await store.privacy.update(user_id, change, now_ms())
    if update.too_long:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            f"a block list or whitelist holds at most {MAX_LIST} users",
            frame.id,
        )
    session.send(privacy_state(update.rules, frame.id))
    if update.changed:
        ctx.fanout.tell(user_id, privacy_state(update.rules), skip=session)


async def screened(ctx: ServerContext, content: dict[str, Any], request_id: int) -> dict[str, Any]:
    """`content` with the app's sensitive words applied, as every send (private or
    not, an ultra group's edit too) has them: a refused word stops it (ProtocolError
    21501), a replaced one is replaced before it is stored (the same dict when none
    matched)."""
    words = ctx.require_store().words
    return await words.screened(content, request_id) if words.active else content


async def check_privacy(ctx: ServerContext, sender: str, frame: SendMessage) -> None:
    """Refuse a private message its receiver does not accept from `sender` (405),
    and apply the app's sensitive words to any send (server/sensitive_words.py).

    On the path of every send: the receiver's rules come from memory after the
    first message to them. A retry of a message stored before the receiver blocked
    the sender still gets its original ack (the send handler's `ack_stored_retry`).
    """
    store = ctx.require_store()
    frame.content = await screened(ctx, frame.content, frame.id)
    conv = frame.conv
    receiver = conv.target
    if conv.type != ConversationType.PRIVATE or receiver == sender:
        return
    rules = store.privacy.cached(receiver)
    if rules is None:
        rules = await store.privacy.rules(receiver)
    if not rules.refuses(sender):
        return
    raise ProtocolError(
        ErrorCode.REJECTED_BY_BLACKLIST,
        f"{receiver} does not accept messages from you",
        frame.id,
    )

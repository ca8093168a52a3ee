"""Public service frames: search, follow and unfollow, an account's profile; and the
account side of sends (conversation types 7 and 8), which the send handler hands over
here; and posting an account's message to its followers (for the Server API and the
demo). The rules are server/public_service/'s; this module reads frames and answers them.
"""

from __future__ import annotations

from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationUpdate,
    ErrorCode,
    MessageRecord,
    ProtocolError,
    SendMessage,
    checked_content,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.public_frames import (
    MAX_SEARCH_RESULTS,
    PublicAccount,
    PublicAccountInfo,
    PublicAccounts,
    PublicFollow,
    PublicQuery,
    PublicSearch,
)
from imkit_tui.server.handlers.context import ServerContext, ack_unstored, charge_send
from imkit_tui.server.handlers.posting import message_record, post
from imkit_tui.server.public_service.accounts import account_key
from imkit_tui.server.public_service.service import (
    account_route,
    check_follower_send,
    command_route,
    followed_account,
)
from imkit_tui.server.session import Session


async def on_search(ctx: ServerContext, session: Session, frame: PublicSearch) -> None:
    """Answer the accounts that match."""
    found = await ctx.require_store().public.search(
        session.user_id, frame.keyword, frame.type, frame.followed, MAX_SEARCH_RESULTS
    )
    session.send(PublicAccounts(re=frame.id, accounts=found))


async def on_query(ctx: ServerContext, session: Session, frame: PublicQuery) -> None:
    """Answer one account's profile and menu."""
    account = await _account(ctx, session, frame.type, frame.account, frame.id)
    session.send(PublicAccountInfo(re=frame.id, account=account))


async def on_follow(ctx: ServerContext, session: Session, frame: PublicFollow) -> None:
    """Follow or unfollow; the user's devices get the conversation's new state."""
    store = ctx.require_store()
    user = session.user_id
    await _account(ctx, session, frame.type, frame.account, frame.id)
    if frame.follow:
        changed = await store.public.follow(user, frame.type, frame.account, now_ms())
    else:
        changed = await store.public.unfollow(user, frame.type, frame.account)
    account = await _account(ctx, session, frame.type, frame.account, frame.id)
    session.send(PublicAccountInfo(re=frame.id, account=account))
    if changed:
        conv_id = await store.conversation_id(account_key(frame.type, frame.account), user)
        state = await store.members.conversation_state(user, conv_id) if conv_id else None
        if state is not None:
            ctx.fanout.tell(user, ConversationUpdate(state=state))


async def _account(
    ctx: ServerContext, session: Session, account_type: int, account_id: str, request_id: int
) -> PublicAccount:
    account = await ctx.require_store().public.get(account_type, account_id, session.user_id)
    if account is None:
        raise ProtocolError(
            ErrorCode.PUBLIC_ACCOUNT_NOT_FOUND, "no such public service account", request_id
        )
    return account


async def post_to_followers(
    ctx: ServerContext, account: PublicAccount, object_name: str, content: dict[str, Any]
) -> tuple[MessageRecord, int]:
    """Store `content` once in the account's conversation and push it to the followers
    online (the others read it on their next sync, and are pushed offline as other
    messages are); the record and how many followers it reached. The content carries
    the account's `user` info ({id, name, portrait}) unless it has its own, so a
    follower's device names the account from the message itself."""
    if not messages.lookup(object_name).stored:
        raise ValueError(f"{object_name} is not stored: an account posts stored messages")
    store = ctx.require_store()
    followers = await store.public.followers(account.type, account.id)
    route = account_route(account.type, account.id, followers)
    if "user" not in content:  # the sender's info, attached as the service attaches it
        user = {"id": account.id, "name": account.name, "portrait": account.portrait}
        content = {**content, "user": user}
    record = await post(ctx, route, account.id, object_name, content)
    return record, len(followers)


async def public_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A follower's menu command (or text, where the account takes it) to an account:
    acked with seq 0, stored nowhere (the account's conversation holds only what the
    account posts, and every follower reads it), and routed to the account's backend."""
    account = await followed_account(ctx.require_store(), session.user_id, frame.conv, frame.id)
    check_follower_send(account, frame.object_name, frame.id)
    charge_send(ctx, session.user_id, frame.id)
    checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    uid, sent_at = ack_unstored(session, frame)
    record = message_record(
        frame.conv, uid, 0, session.user_id, frame.object_name, frame.content, frame.cmid, sent_at
    )
    # Reaches no device; the fan-out tells the hooks, which route it to the backend.
    ctx.fanout.deliver(command_route(account.type, account.id), record, skip=session)

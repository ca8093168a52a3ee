"""What the server decides about public service accounts: make them (with their
conversation), the routes of an account's messages and of what its followers send, and
what a follower may send. Shared by the frame handlers and the Server API (posting to the
followers is server/handlers/public_service.py's `post_to_followers`).
"""

from __future__ import annotations

from imkit_tui import messages
from imkit_tui.protocol import ConvRef, ErrorCode, ProtocolError
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.public_frames import PUBLIC_TYPES, PublicAccount, check_menu
from imkit_tui.server.public_service.accounts import AccountSpec, account_key
from imkit_tui.server.routing import Route
from imkit_tui.server.store_interface import Store

TEXT = "RC:TxtMsg"
"""The one kind of typed message an account that accepts text takes."""


def account_route(account_type: int, account_id: str, followers: list[str]) -> Route:
    """The route of the account's messages: stored once in its conversation, pushed to
    each follower's devices, every follower seeing ConvRef(type, account)."""
    seen = ConvRef(type=account_type, target=account_id)
    return Route(
        conv_type=account_type,
        conv_key=account_key(account_type, account_id),
        members=(),
        deliveries=tuple((user, seen) for user in followers),
    )


def command_route(account_type: int, account_id: str) -> Route:
    """The route of what a follower sends to the account: to no device (the account's
    backend hears it through message routing)."""
    return account_route(account_type, account_id, [])


async def save_account(store: Store, spec: AccountSpec) -> bool:
    """Create or update an account and its conversation (the menu checked first:
    MenuError when it breaks the limits); True when it was created."""
    if spec.type not in PUBLIC_TYPES:
        raise ValueError(f"an account's type is 7 or 8, not {spec.type}")
    check_menu(list(spec.menu))
    await store.ensure_conversation(spec.type, account_key(spec.type, spec.id), ())
    return await store.public.save(spec, now_ms())


async def followed_account(
    store: Store, user_id: str, conv: ConvRef, request_id: int
) -> PublicAccount:
    """The account of `conv` when `user_id` follows it; else PUBLIC_ACCOUNT_NOT_FOUND or
    NOT_FOLLOWING."""
    account = await store.public.get(conv.type, conv.target, user_id) if not conv.channel else None
    if account is None:
        raise ProtocolError(
            ErrorCode.PUBLIC_ACCOUNT_NOT_FOUND, "no such public service account", request_id
        )
    if not account.followed:
        raise ProtocolError(ErrorCode.NOT_FOLLOWING, "follow this account first", request_id)
    return account


def check_follower_send(account: PublicAccount, object_name: str, request_id: int) -> None:
    """A follower sends an account only menu commands, and text where it accepts text;
    else INVALID_PARAMETER saying so."""
    if object_name == messages.PS_CMD:
        return
    if object_name == TEXT and account.accepts_text:
        return
    allowed = "menu commands and text" if account.accepts_text else "menu commands only"
    raise ProtocolError(ErrorCode.INVALID_PARAMETER, f"this account takes {allowed}", request_id)

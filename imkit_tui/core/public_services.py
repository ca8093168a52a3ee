"""`client.public`: public service accounts: search, follow, unfollow, an account's
profile and menu, and what a follower sends an account (a menu click, text).

Articles need nothing here: they arrive in the account's conversation, ConvRef(7 or 8,
account id), like any message. What a follower sends an account is not kept in that
conversation (every follower reads it): a click or a text is acked and routed to the
account's backend, which answers by posting. Each request needs the server (NotConnected
offline); what the server says of an account is kept in `store.public`.
"""

from __future__ import annotations

from typing import Any, Literal

from imkit_tui import messages
from imkit_tui.core.connection import RequestFailed
from imkit_tui.core.context import ClientContext
from imkit_tui.protocol import ConvRef, SendAck, SendMessage
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.public_frames import (
    MenuItem,
    PublicAccount,
    PublicAccountInfo,
    PublicAccounts,
    PublicFollow,
    PublicQuery,
    PublicSearch,
    command_content,
)


def account_kind(conv: ConvRef) -> Literal[7, 8]:
    """The kind of account `conv` is the conversation of (ValueError: none)."""
    if conv.type == 7:
        return 7
    if conv.type == 8:
        return 8
    raise ValueError(f"conversation type {conv.type} is not a public service account's")


class PublicServices:
    """Public service account requests, and what they leave in the local store."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context

    async def search(
        self, keyword: str = "", kind: int = 0, *, followed: bool = False
    ) -> list[PublicAccount]:
        """Accounts whose name holds `keyword` (or whose id it is), of `kind` 7 or 8 (0:
        both), only those followed when `followed`."""
        context = self._context
        wanted: Literal[0, 7, 8] = 7 if kind == 7 else 8 if kind == 8 else 0
        frame = PublicSearch(keyword=keyword[:64], type=wanted, followed=followed)
        answer = await context.connection.request(frame, PublicAccounts, context.timeout)
        await context.store.public.save(answer.accounts)
        return answer.accounts

    async def follow(self, conv: ConvRef) -> PublicAccount:
        """Follow the account of `conv`: its articles arrive from now on."""
        return await self._follow(conv, True)

    async def unfollow(self, conv: ConvRef) -> PublicAccount:
        """Stop following the account of `conv` (what arrived stays)."""
        return await self._follow(conv, False)

    async def _follow(self, conv: ConvRef, follow: bool) -> PublicAccount:
        frame = PublicFollow(account=conv.target, type=account_kind(conv), follow=follow)
        return await self._account(frame)

    async def refresh(self, conv: ConvRef) -> PublicAccount:
        """The account of `conv` as the server has it now (kept here)."""
        return await self._account(PublicQuery(account=conv.target, type=account_kind(conv)))

    async def _account(self, frame: PublicFollow | PublicQuery) -> PublicAccount:
        context = self._context
        answer = await context.connection.request(frame, PublicAccountInfo, context.timeout)
        await context.store.public.save([answer.account])
        return answer.account

    async def name_unknown(self) -> int:
        """Ask the server about the accounts in the list this device knows nothing of
        (first seen in a sync); how many it named."""
        named = 0
        for conv in await self._context.store.public.unknown():
            try:
                await self.refresh(conv)
            except RequestFailed:
                continue  # gone: the list keeps its id
            named += 1
        return named

    async def known(self, conv: ConvRef) -> PublicAccount | None:
        """The account of `conv` as last seen here (None: never seen), without asking."""
        return await self._context.store.public.get(conv.type, conv.target)

    async def followed(self) -> list[PublicAccount]:
        """The accounts this user follows, as last seen here."""
        return await self._context.store.public.followed()

    async def click(self, conv: ConvRef, item: MenuItem) -> None:
        """Send the account the RC:PSCmd of a click on menu `item` (RequestFailed when
        the server refuses it: not following, …)."""
        await self._relay(conv, messages.PS_CMD, command_content(item))

    async def say(self, conv: ConvRef, text: str) -> None:
        """Send the account a text (where it accepts text); its backend answers."""
        await self._relay(conv, messages.TEXT, messages.text_content(text))

    async def _relay(self, conv: ConvRef, object_name: str, content: dict[str, Any]) -> None:
        context = self._context
        frame = SendMessage(conv=conv, object_name=object_name, content=content, cmid=new_uuid7())
        await context.connection.request(frame, SendAck, context.timeout)

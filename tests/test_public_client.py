"""Public service accounts through the real client core: search and follow keep the
account here, an article arrives in the account's conversation named by the account, a
click is accepted, and unfollowing stops what comes next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.core.connection import RequestFailed
from imkit_tui.protocol import ConvRef, ErrorCode
from imkit_tui.protocol.public_frames import MenuItem
from imkit_tui.server.handlers.public_service import post_to_followers
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.public_service.service import save_account
from tests.conftest import ClientFactory, ServerHandle, until_client

NEWS = ConvRef(type=7, target="news")
MENU = (
    MenuItem(id="latest", name="Latest"),
    MenuItem(
        name="More",
        kind="group",
        items=[MenuItem(name="Site", kind="view", url="https://imkit.example")],
    ),
)


async def _post(server_handle: ServerHandle, title: str) -> int:
    server = server_handle.server
    assert server is not None
    account = await server.require_store().public.get(7, "news")
    assert account is not None
    content = {"articles": [{"title": title, "digest": "d", "content": f"{title} body"}]}
    _, reached = await post_to_followers(server, account, messages.PS_ARTICLE, content)
    return reached


async def test_follow_an_account_and_read_its_articles(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    assert server_handle.server is not None
    store = server_handle.server.require_store()
    await save_account(store, AccountSpec(type=7, id="news", name="imkit news", menu=MENU))
    alice = await make_client("alice")

    found = await alice.public.search("IMKIT")
    assert [(a.id, a.followed) for a in found] == [("news", False)]
    followed = await alice.public.follow(NEWS)
    assert followed.followed and [i.name for i in followed.menu] == ["Latest", "More"]
    known = await alice.public.known(NEWS)
    assert known is not None and known.followed and known.menu == followed.menu
    assert [a.id for a in await alice.public.followed()] == ["news"]

    assert await _post(server_handle, "first") == 1

    async def arrived() -> bool:
        return any(c.ref == NEWS for c in await alice.conversations())

    await until_client(alice, arrived)
    (row,) = [c for c in await alice.conversations() if c.ref == NEWS]
    assert row.title == "imkit news" and row.unread == 1
    (article,) = await alice.messages(NEWS)
    assert article.object_name == messages.PS_ARTICLE and article.sender == "news"

    await alice.public.click(NEWS, MENU[0])  # accepted: the server relays it
    with pytest.raises(RequestFailed) as refused:
        await alice.public.say(NEWS, "hello")  # this account takes menu commands only
    assert refused.value.code == ErrorCode.INVALID_PARAMETER

    unfollowed = await alice.public.unfollow(NEWS)
    assert not unfollowed.followed
    assert await alice.public.followed() == []
    assert await _post(server_handle, "second") == 0
    assert [json.dumps(m.content) for m in await alice.messages(NEWS)] == [
        json.dumps(article.content)
    ]


async def test_an_account_first_seen_in_a_sync_is_named_in_the_list(
    server_handle: ServerHandle, make_client: ClientFactory
) -> None:
    assert server_handle.server is not None
    store = server_handle.server.require_store()
    await save_account(store, AccountSpec(type=7, id="news", name="imkit news"))
    await store.public.follow("bob", 7, "news", 0)  # followed elsewhere (another device)
    await _post(server_handle, "first")
    bob = await make_client("bob")

    async def named() -> bool:
        rows = [c for c in await bob.conversations() if c.ref == NEWS]
        return bool(rows) and rows[0].title == "imkit news"

    await until_client(bob, named)
    known = await bob.public.known(NEWS)
    assert known is not None and known.followed

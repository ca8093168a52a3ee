"""Public service accounts in the PostgreSQL store, two nodes on one schema: what one
node makes, changes and removes the other reads; the followers a node keeps in memory
are used while nobody followed or unfollowed (one lookup by key, the members table
untouched), and never after a follow or unfollow on the other node, nor after the
account was removed and made again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from imkit_tui.protocol.public_frames import MenuItem
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.pg.connection import Statement, StoreConnection
from imkit_tui.server.public_service.accounts import AccountSpec, account_key
from tests.services import fresh_schema_url, need, postgres_missing


class Listening(StoreConnection):
    """A store connection that notes every statement it runs."""

    ran: ClassVar[list[str]] = []

    async def _run(self, call: Statement, query: str, *args: Any, **kwargs: Any) -> Any:
        Listening.ran.append(query)
        return await super()._run(call, query, *args, **kwargs)


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    need(postgres_missing())
    url = fresh_schema_url()
    first = await PostgresStore.open(url, migrate_schema=True, connection_class=Listening)
    second = await PostgresStore.open(url, migrate_schema=True)
    yield first, second
    await first.close()
    await second.close()


async def _make(store: PostgresStore, spec: AccountSpec) -> bool:
    await store.ensure_conversation(spec.type, account_key(spec.type, spec.id), ())
    return await store.public.save(spec, 1)


async def test_an_account_made_on_one_node_is_read_changed_and_removed_on_the_other(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    assert await _make(first, AccountSpec(type=7, id="news", name="News", description="d"))
    assert await _make(first, AccountSpec(type=8, id="desk", name="desk_1", accepts_text=True))
    assert not await _make(second, AccountSpec(type=7, id="news", name="Daily News"))
    found = await second.public.get(7, "news")
    assert found is not None and (found.name, found.description) == ("Daily News", "")
    assert await second.public.get(8, "news") is None
    menu = [MenuItem(id="latest", name="Latest")]
    assert await second.public.set_menu(7, "news", menu)
    assert not await second.public.set_menu(7, "nobody", menu)
    found = await first.public.get(7, "news")
    assert found is not None and found.menu == menu
    assert await first.public.follow("ann", 8, "desk", 2)
    assert not await second.public.follow("ann", 8, "desk", 3)  # once
    assert not await second.public.follow("ann", 7, "nobody", 3)  # no conversation

    async def found_by(keyword: str, **rest: Any) -> list[tuple[str, bool]]:
        asked = {"account_type": 0, "followed_only": False, **rest}
        accounts = await second.public.search("ann", keyword, limit=10, **asked)
        return [(a.id, a.followed) for a in accounts]

    assert await found_by("") == [("news", False), ("desk", True)]  # "Daily News", "desk_1"
    assert await found_by("NEWS") == [("news", False)]
    assert await found_by("_") == [("desk", True)]  # an underscore is only a character
    assert await found_by("s%") == []
    assert await found_by("", followed_only=True) == [("desk", True)]
    assert await found_by("", account_type=7) == [("news", False)]
    assert await found_by("desk") == [("desk", True)]  # by id
    assert await second.public.delete(8, "desk")
    assert not await first.public.delete(8, "desk")
    assert await first.public.get(8, "desk") is None
    assert not await first.public.follows("ann", 8, "desk")  # she left with it


async def test_a_nodes_followers_follow_every_follow_and_unfollow_of_the_other(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    await _make(first, AccountSpec(type=7, id="news", name="News"))
    for user in ("ann", "ben"):
        assert await second.public.follow(user, 7, "news", 2)
    assert await first.public.followers(7, "news") == ["ann", "ben"]
    Listening.ran.clear()
    assert await first.public.followers(7, "news") == ["ann", "ben"]  # kept
    assert [q for q in Listening.ran if "members" in q] == []
    assert len([q for q in Listening.ran if "public_accounts" in q]) == 1

    assert await second.public.follow("cat", 7, "news", 3)
    assert await first.public.followers(7, "news") == ["ann", "ben", "cat"]
    assert await second.public.unfollow("ann", 7, "news")
    assert not await second.public.unfollow("ann", 7, "news")
    assert await first.public.followers(7, "news") == ["ben", "cat"]
    assert await first.public.follower_count(7, "news") == 2
    assert await first.public.followers(7, "news", after="ben", limit=5) == ["cat"]
    assert await first.public.followers(7, "news", limit=1) == ["ben"]

    # Removed and made again on the other node: the new account's followers only.
    assert await second.public.delete(7, "news")
    assert await first.public.followers(7, "news") == []
    assert await _make(second, AccountSpec(type=7, id="news", name="News again"))
    assert await second.public.follow("dan", 7, "news", 4)
    assert await first.public.followers(7, "news") == ["dan"]
    assert await second.public.follow("ann", 7, "news", 5)  # she comes back
    assert await first.public.followers(7, "news") == ["ann", "dan"]
    assert await first.public.follows("ann", 7, "news")

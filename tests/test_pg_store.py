"""The PostgreSQL store's guarantees with several nodes on one database: two stores
(two nodes' pools and writers) append to the same conversation at once and the seqs
stay gapless, each message once; a retry of a (sender, client id) that lands on the
other node gets the original; an old schema refuses to start until migrated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from imkit_tui.protocol import ConvRef
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.pg.schema import MIGRATIONS, SchemaTooOld
from imkit_tui.server.privacy_store import PrivacyChange
from imkit_tui.server.store_records import Member, NewMessage, private_key
from tests.services import fresh_schema_url

KEY = private_key("alice", "bob")
MEMBERS = (Member("alice", "bob"), Member("bob", "alice"))


def _message(sender: str, cmid: str, text: str) -> NewMessage:
    return NewMessage(1, KEY, MEMBERS, sender, cmid, "RC:TxtMsg", json.dumps({"content": text}), 1)


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    url = fresh_schema_url()
    first = await PostgresStore.open(url, migrate_schema=True)
    second = await PostgresStore.open(url, migrate_schema=True)
    yield first, second
    await first.close()
    await second.close()


async def test_senders_on_two_nodes_at_once_get_gapless_seqs(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    appends = [
        (first if n % 2 else second).append(
            _message("alice" if n % 3 else "bob", f"c-{n}", f"text {n}")
        )
        for n in range(400)
    ]
    stored = await asyncio.gather(*appends)
    assert sorted(s.seq for s in stored) == list(range(1, 401))
    assert len({s.uid for s in stored}) == 400
    conv_id = await first.conversation_id(KEY, "bob")
    assert conv_id is not None
    page = await second.pull(
        conv_id, ConvRef.private("alice"), after_seq=0, before_seq=0, limit=500, not_before_ms=0
    )
    assert [m.seq for m in page.messages] == list(range(1, 401))
    # Each node's own appends kept their call order.
    for node in (0, 1):
        mine = [s.seq for n, s in enumerate(stored) if n % 2 == node]
        assert mine == sorted(mine)


async def test_a_retry_on_the_other_node_gets_the_original(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    original = await first.append(_message("alice", "retry-1", "once"))
    retried = await second.append(_message("alice", "retry-1", "once"))
    assert retried.duplicate and (retried.uid, retried.seq) == (original.uid, original.seq)
    both = await asyncio.gather(
        first.append(_message("bob", "race-1", "raced")),
        second.append(_message("bob", "race-1", "raced")),
    )
    assert {b.uid for b in both} == {both[0].uid} and [b.duplicate for b in both].count(False) == 1


async def test_unread_is_per_member_across_nodes(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    for n in range(3):
        await first.append(_message("alice", f"u-{n}", f"unread {n}"))
    conv_id = await second.conversation_id(KEY, "bob")
    assert conv_id is not None
    assert await second.members.mark_read("bob", conv_id, 2) == ["bob", "alice"]
    bob = await first.members.conversation_state("bob", conv_id)
    alice = await first.members.conversation_state("alice", conv_id)
    assert bob is not None and alice is not None
    assert (bob.max_seq, bob.read_seq) == (3, 2)
    assert alice.read_seq == 0 and alice.peer_read_seq == 2


async def test_a_schema_behind_refuses_to_start_until_migrated() -> None:
    url = fresh_schema_url()
    with pytest.raises(SchemaTooOld, match="--migrate"):
        await PostgresStore.open(url)
    store = await PostgresStore.open(url, migrate_schema=True)
    await store.close()
    conn = await asyncpg.connect(url)
    try:
        versions = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    assert [v[0] for v in versions] == [m.version for m in MIGRATIONS]
    again = await PostgresStore.open(url)  # up to date: opens without --migrate
    await again.close()


async def test_a_clock_behind_the_last_message_never_sends_backwards(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    late = NewMessage(1, KEY, MEMBERS, "alice", "late", "RC:TxtMsg", "{}", 5_000)
    early = NewMessage(1, KEY, MEMBERS, "bob", "early", "RC:TxtMsg", "{}", 4_000)
    one = await first.append(late)
    two = await second.append(early)  # another node, its clock a second behind
    assert two.seq == one.seq + 1 and two.sent_at == one.sent_at == 5_000
    assert int(two.uid.replace("-", "")[:12], 16) == 5_000  # its uid carries its time


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(5):
        while not await check():  # noqa: ASYNC110 - another node's cache, no event here
            await asyncio.sleep(0.01)


async def test_privacy_and_words_kept_by_a_node_follow_a_change_on_another(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    assert not (await second.privacy.rules("bob")).refuses("alice")
    assert second.privacy.cached("bob") is not None  # kept
    update = await first.privacy.update("bob", PrivacyChange(block=["alice"]), 1)
    assert update.changed and first.privacy.cached("bob") == update.rules  # at once here

    async def second_knows() -> bool:
        return (await second.privacy.rules("bob")).refuses("alice")

    await _until(second_knows)

    assert await second.words.screened({"content": "darn"}) == {"content": "darn"}
    assert await first.words.add("darn", "****")

    async def replaced_there() -> bool:
        return await second.words.screened({"content": "darn"}) == {"content": "****"}

    await _until(replaced_there)


async def test_group_members_and_voices_kept_by_a_node_follow_another_node(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    assert await first.create_group("g", "team", "ann", ["ben"], 1)
    assert await second.groups.members("g") == ["ann", "ben"]  # now kept by the second
    assert await first.groups.add_members("g", ["cat"], 2) == ["cat"]
    await first.groups.set_voices("g", "muted", ["ben"], True)
    assert await first.groups.members("g") == ["ann", "ben", "cat"]  # at once here

    async def second_knows() -> bool:
        voices = await second.groups.voices("g")
        members = await second.groups.members("g")
        return members == ["ann", "ben", "cat"] and voices is not None and "ben" in voices.muted

    await _until(second_knows)

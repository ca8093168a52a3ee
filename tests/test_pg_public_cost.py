"""No cost that grows with an account's history on its per-message paths on the
PostgreSQL store (as tests/test_public_cost.py on SQLite): an article stored, the
followers read and checked, a follow and an unfollow, an account read with whether one
follows it, a search, and a follower's pull, at 100 and at 100,000 articles, summed as
the planner's estimates of every statement (tests/test_pg_history_cost.py's Costing).
"""

from __future__ import annotations

from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.public_service.accounts import AccountSpec, account_key
from imkit_tui.server.store_records import NewMessage
from tests.services import fresh_schema_url, need, pg_execute, postgres_missing
from tests.test_pg_history_cost import LARGE, SMALL, Costing

KEY = account_key(7, "news")
NEWS = ConvRef(type=7, target="news")


def _article(cmid: str) -> NewMessage:
    return NewMessage(7, KEY, (), "news", cmid, "RC:PSImgTxtMsg", '{"articles":[]}', now_ms())


async def _cost_at(size: int) -> float:
    url = fresh_schema_url()
    store = await PostgresStore.open(url, migrate_schema=True)
    await store.ensure_conversation(7, KEY, ())
    await store.public.save(AccountSpec(type=7, id="news", name="News"), now_ms())
    assert await store.public.follow("alice", 7, "news", now_ms())
    await store.append(_article("first"))
    await store.close()
    start = now_ms() - size
    pg_execute(
        url,
        "INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
        " SELECT c.id, g, 'seed-' || lpad(g::text, 8, '0'), 'news', 'c' || g,"
        " 'RC:PSImgTxtMsg', '{}', $1::bigint + g FROM conversations c,"
        " generate_series(2, $2::bigint) g WHERE c.key = $3",
        start,
        size,
        KEY,
    )
    pg_execute(url, "UPDATE conversations SET max_seq = $1, last_at = $2", size, start + size)
    pg_execute(url, "ANALYZE")
    store = await PostgresStore.open(url, connection_class=Costing)
    try:
        Costing.total = 0.0
        public = store.public
        assert await public.followers(7, "news") == ["alice"]  # read
        assert await public.followers(7, "news") == ["alice"]  # kept, checked
        stored = await store.append(_article("new"))
        assert stored.seq == size + 1
        assert await public.follow("bob", 7, "news", now_ms())
        assert await public.unfollow("bob", 7, "news")
        account = await public.get(7, "news", "alice")
        assert account is not None and account.followed
        assert [a.id for a in await public.search("alice", "new", 0, True, 10)] == ["news"]
        assert await public.follower_count(7, "news") == 1
        conv_id = await store.conversation_id(KEY, "alice")
        assert conv_id is not None
        page = await store.pull(
            conv_id,
            NEWS,
            after_seq=0,
            before_seq=size + 2,
            limit=50,
            not_before_ms=0,
            reader="alice",
            conv_key=KEY,
        )
        assert len(page.messages) == 50
        assert await store.members.conversation_state("alice", conv_id) is not None
        return Costing.total
    finally:
        await store.close()


async def test_an_accounts_paths_cost_the_same_at_100_and_100_000_articles() -> None:
    need(postgres_missing())
    small, large = await _cost_at(SMALL), await _cost_at(LARGE)
    assert large < small * 5, (small, large)

"""No cost that grows with a conversation's length on the PostgreSQL store's
per-message paths (as tests/test_server_history_cost.py for SQLite).

The same operations (send, pull forward and back, mark read, sync, a conversation's
state, a retry's lookup, recall) run against a conversation of 100 messages and one of
100,000. Every statement they make is also EXPLAINed (the planner's estimate, with the
tables analyzed), and the estimates are summed: a statement that scans history would
cost a thousand times more on the long conversation, an index lookup a little more.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.pg.connection import Statement, StoreConnection
from imkit_tui.server.store_records import Member, NewMessage, private_key
from tests.services import fresh_schema_url, pg_execute, pg_seed_messages

SMALL, LARGE = 100, 100_000
KEY = private_key("alice", "bob")
MEMBERS = (Member("alice", "bob"), Member("bob", "alice"))
_EXPLAINED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class Costing(StoreConnection):
    """A store connection that adds the planner's estimate of each statement to `total`."""

    total: ClassVar[float] = 0.0

    async def _run(self, call: Statement, query: str, *args: Any, **kwargs: Any) -> Any:
        if query.lstrip().upper().startswith(_EXPLAINED) and ";" not in query:
            params = args
            if call.__name__ == "executemany":
                params = tuple(args[0][0]) if args[0] else ()
            if not (call.__name__ == "executemany" and not params):
                plan = await StoreConnection.fetchval(
                    self, f"EXPLAIN (FORMAT JSON) {query}", *params
                )
                Costing.total += float(json.loads(plan)[0]["Plan"]["Total Cost"])
        return await super()._run(call, query, *args, **kwargs)


def _message(cmid: str) -> NewMessage:
    return NewMessage(1, KEY, MEMBERS, "alice", cmid, "RC:TxtMsg", '{"content":"x"}', now_ms())


async def _cost_at(size: int) -> float:
    url = fresh_schema_url()
    store = await PostgresStore.open(url, migrate_schema=True)
    await store.append(_message("first"))
    await store.close()
    start = now_ms() - size
    pg_seed_messages(url, KEY, 2, size, start)
    pg_execute(url, "UPDATE conversations SET max_seq = $1, last_at = $2", size, start + size)
    pg_execute(url, "ANALYZE")
    store = await PostgresStore.open(url, connection_class=Costing)
    try:
        Costing.total = 0.0
        sent = await store.append(_message("new"))
        assert sent.seq == size + 1
        conv_id = await store.conversation_id(KEY, "bob")
        assert conv_id is not None
        seen = ConvRef.private("alice")
        forward = await store.pull(
            conv_id,
            seen,
            after_seq=size - 10,
            before_seq=0,
            limit=50,
            not_before_ms=0,
            reader="bob",
            conv_key=KEY,
        )
        assert len(forward.messages) == 11
        back = await store.pull(
            conv_id,
            seen,
            after_seq=0,
            before_seq=size + 2,
            limit=50,
            not_before_ms=0,
            reader="bob",
            conv_key=KEY,
        )
        assert len(back.messages) == 50
        assert await store.members.mark_read("bob", conv_id, size + 1) == ["bob", "alice"]
        changed, _, _ = await store.members.changed_conversations("bob", 0, 10)
        assert changed[0].max_seq == size + 1
        assert await store.members.conversation_state("bob", conv_id) is not None
        assert await store.find_by_client_id("alice", "new") is not None
        recalled = await store.recall(
            conv_type=1,
            conv_key=KEY,
            members=MEMBERS,
            sender="alice",
            uid=sent.uid,
            notice_json=lambda name, at: ('{"n":1}', '{"c":1}'),
            now_ms=now_ms(),
        )
        assert recalled.seq == size + 2
        return Costing.total
    finally:
        await store.close()


async def test_the_per_message_paths_cost_the_same_at_100_and_100_000_messages() -> None:
    small, large = await _cost_at(SMALL), await _cost_at(LARGE)
    assert large < small * 5, (small, large)

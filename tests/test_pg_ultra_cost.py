"""No cost that grows with a channel's history on the PostgreSQL store's ultra group
paths (as tests/test_ultra_cost.py for SQLite, tests/test_pg_history_cost.py for
private chats).

The same operations (a counted send with its check of the group, an edit, pull forward
and back, where a member's view starts, mark read, the unread and mention counts by
read diffusion) run against a channel of 100 messages and one of 100,000 (seeded with
generate_series). They must make the same statements at both sizes, and the planner's
estimates of those statements (EXPLAINed, the tables analyzed) must stay close. The
planner guesses a fixed few rows for a range past its statistics (the counted rows
after a read position near the end), about a hundred units on the long channel;
counting the channel's history instead is estimated at thousands (7,690 from seq 0 at
100,000).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.pg.connection import Statement
from imkit_tui.server.store_records import NewMessage
from imkit_tui.server.ultra.message_rows import counted_writer, edit_writer
from imkit_tui.server.ultra.records import ULTRA_TYPE
from tests.services import fresh_schema_url, pg_execute, pg_seed_messages
from tests.test_pg_history_cost import _EXPLAINED, LARGE, SMALL, Costing

GROUP = "big"
GUESSED_RANGE = 250.0
"""What the planner's guess of a range past its statistics may add to an estimate."""
SEEN = ConvRef(type=ULTRA_TYPE, target=GROUP)


class Recording(Costing):
    """Costing that also notes the text of each statement it estimates (`said`; not the
    pool's own housekeeping between uses of a connection)."""

    said: ClassVar[list[str]] = []

    async def _run(self, call: Statement, query: str, *args: Any, **kwargs: Any) -> Any:
        if query.lstrip().upper().startswith(_EXPLAINED) and ";" not in query:
            Recording.said.append(query)
        return await super()._run(call, query, *args, **kwargs)


def _seed(url: str, size: int, key: str) -> None:
    """Grow the channel `key` to `size` messages, every tenth an @all."""
    start = now_ms() - size
    pg_seed_messages(url, key, 1, size, start)
    pg_execute(
        url,
        "INSERT INTO ultra_counted(conv_id, seq, sender, mention_all, mentioned)"
        " SELECT c.id, g, 'alice', g % 10 = 0, '' FROM conversations c,"
        " generate_series(1, $1::bigint) g WHERE c.key = $2",
        size,
        key,
    )
    pg_execute(
        url,
        "UPDATE conversations SET max_seq = $1, last_at = $2 WHERE key = $3",
        size,
        start + size,
        key,
    )
    pg_execute(url, "ANALYZE")


async def _measure(size: int) -> dict[str, tuple[float, list[str]]]:
    url = fresh_schema_url()
    store = await PostgresStore.open(url, migrate_schema=True)
    try:
        await store.ultra.create(
            GROUP, "Big", "alice", now_ms(), max_joined=10, pre_join_history=True
        )
        await store.ultra.join(GROUP, "bob", now_ms(), max_joined=10)
        key = (await store.ultra.require(GROUP)).channels[""].conv_key
    finally:
        await store.close()
    _seed(url, size, key)
    store = await PostgresStore.open(url, connection_class=Recording)
    ultra = store.ultra
    group = await ultra.require(GROUP)
    channel = group.channels[""]
    member = await ultra.member(GROUP, "bob")
    assert member is not None
    await ultra.set_member(GROUP, "bob", "", read_seq=size - 5)
    measured: dict[str, tuple[float, list[str]]] = {}

    async def cost(name: str, operation: Callable[[], Awaitable[None]]) -> None:
        Costing.total, Recording.said = 0.0, []
        await operation()
        measured[name] = (Costing.total, list(Recording.said))

    async def send() -> None:
        assert await ultra.require(GROUP) == group  # the send's check of the group
        content = {"content": "hi @all", "mentionedInfo": {"type": 1}}
        stored = await store.append(
            NewMessage(
                ULTRA_TYPE,
                channel.conv_key,
                (),
                "alice",
                "new",
                "RC:TxtMsg",
                '{"content":"hi"}',
                now_ms(),
                then=counted_writer("alice", "RC:TxtMsg", content),
            )
        )
        assert stored.seq == size + 1

    async def edit() -> None:
        stored = await store.append(
            NewMessage(
                ULTRA_TYPE,
                channel.conv_key,
                (),
                "alice",
                "edit",
                "RC:MsgModify",
                "{}",
                now_ms(),
                then=edit_writer(size + 1, "alice", '{"content":"hello"}'),
            )
        )
        assert stored.seq == size + 2

    async def pull() -> None:
        view = await ultra.view(group, channel, "bob", member, 0)
        assert view.first_seq == 1 and view.max_seq == size + 2
        new = await store.pull(
            view.conv_id, SEEN, after_seq=size - 3, before_seq=0, limit=50, not_before_ms=0
        )
        back = await store.pull(
            view.conv_id, SEEN, after_seq=0, before_seq=size + 1, limit=50, not_before_ms=0
        )
        assert len(new.messages) == 5 and len(back.messages) == 50
        edits = await ultra.edits(view.conv_id, size - 2, size + 2)
        assert list(edits) == [size + 1]
        assert await ultra.message(channel.conv_key, new.messages[-2].uid) is not None

    async def mark_read() -> None:
        top = await ultra.max_seq(channel)
        assert await ultra.set_member(GROUP, "bob", "", read_seq=top - 3)

    async def counts() -> None:
        (state,) = await ultra.states("bob", group, member, None, 0)
        assert (state.unread, state.mentions) == (2, 2)  # seq size and the new one, @all both

    try:
        for name, operation in (
            ("a counted send", send),
            ("an edit", edit),
            ("pull, new and back, with edits", pull),
            ("mark read", mark_read),
            ("count unread and mentions", counts),
        ):
            await cost(name, operation)
        return measured
    finally:
        await store.close()


async def test_ultra_paths_make_the_same_statements_at_100_and_100_000_messages() -> None:
    small, large = await _measure(SMALL), await _measure(LARGE)
    for name, (cost, said) in small.items():
        assert said and cost > 0, f"{name}: nothing measured"
        assert large[name][1] == said, name
        assert large[name][0] < cost * 5 + GUESSED_RANGE, (name, cost, large[name][0])

"""@mentions in groups: what is sent, what is flagged and counted, and when it stops counting.

Real server, real clients, real stores: the counts are read from each user's store.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imkit_tui import messages
from imkit_tui.core import IMClient, Message
from imkit_tui.core.models import Conversation
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.storage import Database, apply_migrations
from tests.conftest import ClientFactory

TEAM = ConvRef(type=ConversationType.GROUP, target="team")


async def _until(client: IMClient, conv: ConvRef, check: Callable[[Conversation], bool]) -> None:
    """Wait until the conversation's row passes `check` (re-read after every event)."""
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while True:
                row = await client.conversation(conv)
                if row is not None and check(row):
                    return
                await events.next()


async def _row(client: IMClient, conv: ConvRef = TEAM) -> Conversation:
    row = await client.conversation(conv)
    assert row is not None
    return row


async def _say(client: IMClient, text: str, **mentions: Any) -> Message:
    message = await client.send_text(TEAM, text, **mentions)
    (sent,) = await client.wait_sent([message.id], timeout=10)
    assert sent.seq is not None, sent
    return sent


async def _has(client: IMClient, sent: Message) -> None:
    """Wait until `client` stored `sent` (its conversation's newest seq reached it)."""
    seq = sent.seq
    with client.subscribe() as events:
        async with asyncio.timeout(10):
            while all(m.seq != seq for m in await client.messages(TEAM)):
                await events.next()


async def _team(make_client: ClientFactory) -> tuple[IMClient, IMClient, IMClient]:
    alice, bob, carol = [await make_client(user) for user in ("alice", "bob", "carol")]
    await alice.groups.create("team", "Team", ["bob", "carol"])
    return alice, bob, carol


async def test_a_member_mentioned_by_id_or_by_all_counts_until_read(
    make_client: ClientFactory,
) -> None:
    alice, bob, carol = await _team(make_client)
    first = await _say(alice, "@bob can you look?", mentioned=["bob"])
    await _has(bob, first)
    await _has(carol, first)
    assert (await _row(bob)).mentions == 1
    assert (await _row(carol)).mentions == 0
    stored = await bob.mentions.first_unread(TEAM)
    assert stored is not None and stored.seq == first.seq
    assert stored.content["mentionedInfo"] == {"type": 2, "userIdList": ["bob"]}
    assert stored.mentioned

    everyone = await _say(alice, "@all lunch", mention_all=True)
    plain = await _say(alice, "nobody in particular")
    seqs = {first.seq, everyone.seq, plain.seq}
    for client in (bob, carol):
        await _has(client, plain)
    assert (await _row(bob)).mentions == 2
    assert (await _row(carol)).mentions == 1
    assert (await _row(alice)).mentions == 0  # own message with @all
    assert [m.seq for m in await bob.mentions.unread(TEAM)] == [first.seq, everyone.seq]
    flags = {m.seq: m.mentioned for m in await bob.messages(TEAM) if m.seq in seqs}
    assert flags == {first.seq: True, everyone.seq: True, plain.seq: False}
    carol_first = await carol.mentions.first_unread(TEAM)
    assert carol_first is not None and carol_first.seq == everyone.seq
    assert carol_first.content["mentionedInfo"] == {"type": 1, "userIdList": []}

    own = await _say(bob, "@all from bob", mention_all=True)
    await _has(alice, own)
    assert (await _row(bob)).mentions == 2  # never one's own
    assert (await _row(alice)).mentions == 1

    row = await bob.mark_read(TEAM)
    assert row.mentions == 0 and row.unread == 0
    assert await bob.mentions.first_unread(TEAM) is None
    assert (await _row(bob)).mentions == 0


async def test_reading_or_deleting_on_another_device_clears_the_count(
    make_client: ClientFactory,
) -> None:
    alice, phone, _carol = await _team(make_client)
    desk = await make_client("bob", "desk")
    sent = await _say(alice, "@bob ping", mentioned=["bob"])
    await _has(desk, sent)
    await _has(phone, sent)
    assert (await _row(desk)).mentions == 1
    await phone.mark_read(TEAM)
    await _until(desk, TEAM, lambda row: row.mentions == 0 and row.unread == 0)
    # Deleted for bob on the phone and on the server: the desk drops it too.
    gone = await _say(alice, "@all delete me everywhere", mention_all=True)
    await _has(desk, gone)
    await _has(phone, gone)
    assert (await _row(desk)).mentions == 1
    on_phone = [m for m in await phone.messages(TEAM) if m.seq == gone.seq]
    await phone.history.delete(on_phone, everywhere=True)
    assert (await _row(phone)).mentions == 0
    await _until(desk, TEAM, lambda row: row.mentions == 0)
    assert await desk.mentions.first_unread(TEAM) is None


async def test_recall_delete_and_clear_drop_the_mention(make_client: ClientFactory) -> None:
    alice, bob, _carol = await _team(make_client)
    recalled = await _say(alice, "@bob oops", mentioned=["bob"])
    await _has(bob, recalled)
    assert (await _row(bob)).mentions == 1
    await alice.history.recall(recalled)
    await _until(bob, TEAM, lambda row: row.mentions == 0)
    assert await bob.mentions.first_unread(TEAM) is None
    (notice,) = [m for m in await bob.messages(TEAM) if m.seq == recalled.seq]
    assert notice.object_name == messages.RECALL_NTF and not notice.mentioned

    deleted = await _say(alice, "@bob delete me", mentioned=["bob"])
    kept = await _say(alice, "@all keep me", mention_all=True)
    await _has(bob, kept)
    assert (await _row(bob)).mentions == 2
    mine = [m for m in await bob.messages(TEAM) if m.seq == deleted.seq]
    await bob.history.delete(mine)
    assert (await _row(bob)).mentions == 1
    left = await bob.mentions.first_unread(TEAM)
    assert left is not None and left.seq == kept.seq

    await bob.history.clear(TEAM)
    row = await _row(bob)
    assert row.mentions == 0 and row.unread == 0
    assert await bob.mentions.unread(TEAM) == []


async def test_a_mention_sent_while_offline_counts_after_the_sync(
    make_client: ClientFactory,
) -> None:
    alice, bob, _carol = await _team(make_client)
    await bob.close()
    sent = await _say(alice, "@bob when you are back", mentioned=["bob"])
    await _say(alice, "and more")
    again = await make_client("bob")  # the same store, connecting again
    await _has(again, sent)
    row = await _row(again)
    assert row.mentions == 1 and row.unread >= 2
    first = await again.mentions.first_unread(TEAM)
    assert first is not None and first.seq == sent.seq
    # And a user whose device never saw the group counts it on the first sync too.
    dave = await make_client("dave", wait=False)
    await alice.groups.invite("team", ["dave"])
    for_dave = await _say(alice, "@dave welcome", mentioned=["dave"])
    await _has(dave, for_dave)
    assert (await _row(dave)).mentions == 1


MALFORMED: list[object] = [
    "all",
    ["bob"],
    None,
    1,
    {"type": "1", "userIdList": []},
    {"type": True, "userIdList": ["bob"]},
    {"type": 3, "userIdList": ["bob"]},
    {"userIdList": ["bob"]},
    {"type": 2, "userIdList": "bob"},
    {"type": 2, "userIdList": [None, 3, {"id": "bob"}, ["bob"]]},
    {"type": 2, "userIdList": {"bob": True}},
]


async def test_a_malformed_mention_never_crashes_and_counts_nothing(
    make_client: ClientFactory,
) -> None:
    alice, bob, _carol = await _team(make_client)
    sent = [
        await alice.send(TEAM, messages.TEXT, {"content": f"odd {i}", "mentionedInfo": info})
        for i, info in enumerate(MALFORMED)
    ]
    # Uncounted types never count, whatever their content says.
    sent.append(
        await alice.send(
            TEAM, messages.INFO_NTF, {"message": "a notice", "mentionedInfo": {"type": 1}}
        )
    )
    done = await alice.wait_sent([m.id for m in sent], timeout=10)
    assert all(m.seq is not None for m in done)
    last = await _say(alice, "@bob this one counts", mentioned=["bob"])
    await _has(bob, last)
    row = await _row(bob)
    assert row.mentions == 1 and row.unread >= len(MALFORMED) + 1
    first = await bob.mentions.first_unread(TEAM)
    assert first is not None and first.seq == last.seq


async def test_no_mentions_are_counted_in_private_chats(make_client: ClientFactory) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    to_bob = ConvRef.private("bob")
    sent = await alice.send_text(to_bob, "@bob hi", mentioned=["bob"], mention_all=True)
    await alice.wait_sent([sent.id], timeout=10)
    await _until(bob, ConvRef.private("alice"), lambda row: row.unread == 1)
    assert (await _row(bob, ConvRef.private("alice"))).mentions == 0


def test_mention_info_reads_and_builds_rongcloud_shapes() -> None:
    assert messages.mention_info(["bob", "carol", "bob", ""]) == {
        "type": 2,
        "userIdList": ["bob", "carol"],
    }
    assert messages.mention_info(["bob"], everyone=True) == {"type": 1, "userIdList": []}
    assert messages.mention_info([]) == {}
    assert messages.read_mentions({"mentionedInfo": {"type": 2, "userIdList": ["b", 7]}}) == (
        ["b"],
        False,
    )
    assert messages.read_mentions({"mentionedInfo": {"type": 1}}) == ([], True)
    for info in MALFORMED:
        assert not messages.mentions_user({"mentionedInfo": info}, "bob"), info
    assert not messages.mentions_user("not a mapping", "bob")


async def _store_before_mentions(path: Path) -> None:
    """A store at schema 5 (before mentions) holding two unread mentions of bob and a
    read one."""
    database = await Database.open(path, threaded=False)
    try:
        await apply_migrations(database, MIGRATIONS[:5])

        def fill(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO conversations(id, type, target, max_seq, synced_seq, floor_seq,"
                " read_seq, last_at, unread) VALUES (1, 3, 'team', 4, 4, 1, 1, 4, 3)"
            )
            rows = [
                (1, '{"content":"@bob old","mentionedInfo":{"type":2,"userIdList":["bob"]}}'),
                (2, '{"content":"@all","mentionedInfo":{"type":1,"userIdList":[]}}'),
                (3, '{"content":"plain"}'),
                (4, '{"content":"@carol","mentionedInfo":{"type":2,"userIdList":["carol"]}}'),
            ]
            for seq, content in rows:
                conn.execute(
                    "INSERT INTO messages(conv_id, seq, uid, cmid, sender, direction, status,"
                    " counted, object_name, content, sent_at) VALUES"
                    " (1, ?, ?, ?, 'alice', 0, 3, 1, 'RC:TxtMsg', ?, ?)",
                    (seq, f"u{seq}", f"c{seq}", content, seq),
                )
            conn.commit()

        await database.run(fill)
    finally:
        await database.close()


async def test_a_store_from_before_mentions_flags_its_unread_ones(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    await _store_before_mentions(path)
    store = await LocalStore.open(path, "bob")
    try:
        row = await store.conversations.get(TEAM)
        assert row is not None and row.unread == 3 and row.mentions == 1  # seq 1 was read
        first = await store.mentions.first_unread(TEAM)
        assert first is not None and first.seq == 2
    finally:
        await store.close()
    again = await LocalStore.open(path, "bob")  # flagged once: nothing to do again
    try:
        assert await again.mentions.flag_stored() == 0
        row = await again.conversations.get(TEAM)
        assert row is not None and row.mentions == 1
    finally:
        await again.close()


@pytest.mark.parametrize("content", ["not json", '{"content": "x", "mentionedInfo": ['])
async def test_unreadable_stored_content_is_skipped_when_flagging(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "store.db"
    await _store_before_mentions(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE messages SET content = ? WHERE seq = 2", (content + "mentionedInfo",))
    store = await LocalStore.open(path, "bob")
    try:
        row = await store.conversations.get(TEAM)
        assert row is not None and row.mentions == 0
    finally:
        await store.close()

"""Ultra groups in the local store, without a server: one list row per group summing its
channels, channels kept apart, the newest edit winning whatever the arrival order, the
search index following edits, and deleting by time. The same store a client uses."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.core import IMClient, UltraChannelRow, channel_ref, ultra_row
from imkit_tui.core.engine import SeqTracker, channels_to_pull
from imkit_tui.core.first_look import LIST_QUERY
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.core.ultra_rows import notifies
from imkit_tui.protocol import (
    ConvRef,
    MessageRecord,
    UltraChannel,
    UltraChannelState,
    UltraInfo,
    UltraState,
)
from imkit_tui.protocol.tokens import issue_token

GROUP = "guild"
GENERAL = channel_ref(GROUP, "")
NEWS = channel_ref(GROUP, "news")
T0 = 1_700_000_000_000


def _record(conv: ConvRef, seq: int, text: str, *, sender: str = "alice") -> MessageRecord:
    return MessageRecord(
        uid=f"{conv.target}-{conv.channel or 'general'}-{seq}",
        conv=conv,
        seq=seq,
        sender=sender,
        object_name=messages.TEXT,
        content={"content": text},
        cmid=f"cmid-{conv.channel}-{seq}",
        sent_at=T0 + seq * 1000,
    )


def _edit(conv: ConvRef, seq: int, original: MessageRecord, text: str) -> MessageRecord:
    return MessageRecord(
        uid=f"edit-{conv.channel}-{seq}",
        conv=conv,
        seq=seq,
        sender=original.sender,
        object_name=messages.EDIT,
        content={
            "messageUId": original.uid,
            "seq": original.seq,
            "content": {"content": text},
        },
        cmid=f"cmid-edit-{seq}",
        sent_at=T0 + seq * 1000,
    )


async def _store(store: LocalStore, conv: ConvRef, records: list[MessageRecord]) -> None:
    top = max(r.seq for r in records)
    await store.messages.add_received(conv, records, Coverage(top, 1, top))


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[IMClient]:
    """A client that never connects: its store, service and search, for bob."""
    offline = IMClient(
        server_url="ws://127.0.0.1:9",
        token=issue_token(b"k" * 32, "bob"),
        store_path=tmp_path / "bob.db",
    )
    await offline.open()
    info = UltraInfo(
        group=GROUP,
        name="Guild",
        owner="alice",
        member=True,
        channels=[UltraChannel(channel=""), UltraChannel(channel="news", name="News")],
    )
    await offline.store.ultra.save_info(info, T0)
    try:
        yield offline
    finally:
        await offline.close()


async def test_the_list_shows_the_group_once_with_the_total_of_its_channels(
    client: IMClient,
) -> None:
    store = client.store
    await _store(store, GENERAL, [_record(GENERAL, s, f"general {s}") for s in (1, 2, 3)])
    await _store(store, NEWS, [_record(NEWS, s, f"news {s}") for s in (1, 2)])
    await _store(store, ConvRef.private("carol"), [_record(ConvRef.private("carol"), 1, "hi")])
    rows = await client.conversations()
    assert [r.ref for r in rows] == [ultra_row(GROUP), ConvRef.private("carol")]
    group = rows[0]
    assert (group.unread, group.title, group.preview) == (5, "Guild", "general 3")
    channels = {c.channel: (c.label, c.unread) for c in await client.ultra.channels(GROUP)}
    assert channels == {"": ("general", 3), "news": ("News", 2)}
    assert await client.total_unread() == 6  # the group's 5 counted once, and carol's 1
    # Reading one channel leaves the other's count; the group row follows.
    await store.state.mark_read(NEWS)
    assert (await client.conversation(ultra_row(GROUP))).unread == 3  # type: ignore[union-attr]
    assert [m.content["content"] for m in await client.messages(NEWS)] == ["news 1", "news 2"]
    # Marking the group read marks every channel.
    assert (await client.mark_read(ultra_row(GROUP))).unread == 0


async def test_the_list_is_one_query_in_the_order_of_its_index(client: IMClient) -> None:
    def plan(conn: sqlite3.Connection) -> str:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {LIST_QUERY}", (50, 0)).fetchall()
        return " | ".join(str(r[-1]) for r in rows)

    found = await client.store.read(plan)
    assert "conversations_order" in found and "TEMP B-TREE" not in found


async def test_the_newest_edit_wins_whatever_the_order_they_arrive_in(client: IMClient) -> None:
    store = client.store
    original = _record(NEWS, 1, "first draft of the plan")
    await _store(store, NEWS, [original])
    # The newer edit (seq 3) arrives first; the older one (seq 2) late: it changes nothing.
    await _store(store, NEWS, [_edit(NEWS, 3, original, "final version")])
    await _store(store, NEWS, [_edit(NEWS, 2, original, "second draft")])
    (message,) = [m for m in await client.messages(NEWS) if m.seq == 1]
    assert message.content == {"content": "final version"}
    assert message.edited_at == T0 + 3000
    row = await client.conversation(ultra_row(GROUP))
    assert row is not None and row.preview == "final version" and row.unread == 1
    # Search finds the new text and no longer the old.
    assert [h.message.id for h in await client.search.messages("final")] == [message.id]
    assert await client.search.messages("draft") == []


async def test_a_record_pulled_already_edited_keeps_its_mark(client: IMClient) -> None:
    store = client.store
    original = _record(NEWS, 1, "old text")
    await _store(store, NEWS, [original])
    pulled = MessageRecord(
        **{
            **{f: getattr(original, f) for f in original.__struct_fields__},
            "content": {"content": "newest text"},
            "edited_at": T0 + 9000,
            "edit_seq": 9,
        }
    )
    await _store(store, NEWS, [pulled])
    (message,) = await client.messages(NEWS)
    assert (message.content["content"], message.edited_at) == ("newest text", T0 + 9000)
    # An edit event older than the one the record shows changes nothing.
    await _store(store, NEWS, [_edit(NEWS, 5, original, "stale")])
    (message, *_) = await client.messages(NEWS)
    assert message.content["content"] == "newest text"


async def test_deleting_by_time_drops_what_was_sent_before_in_one_channel(
    client: IMClient,
) -> None:
    store = client.store
    await _store(store, NEWS, [_record(NEWS, s, f"news {s}") for s in range(1, 6)])
    await _store(store, GENERAL, [_record(GENERAL, s, f"general {s}") for s in (1, 2)])
    cut = await store.ultra.seqs_before(GROUP, "news", T0 + 3500)
    assert cut == [(NEWS, 3)]
    for conv, seq in cut:
        await store.history.clear(conv, seq)
    assert [m.seq for m in await client.messages(NEWS)] == [4, 5]
    assert [m.seq for m in await client.messages(GENERAL)] == [1, 2]
    every = await store.ultra.seqs_before(GROUP, None, T0 + 10_000)
    assert sorted(every, key=lambda item: item[0].channel) == [(GENERAL, 2), (NEWS, 5)]


async def test_the_server_counts_and_settings_are_merged(client: IMClient) -> None:
    store = client.store
    state = UltraState(
        group=GROUP,
        dnd=True,
        level="mentions",
        channels=[
            UltraChannelState(channel="", max_seq=40, read_seq=30, unread=10, mentions=2),
            UltraChannelState(channel="news", max_seq=7, read_seq=7, dnd=True),
        ],
    )
    await store.ultra.apply_states([state])
    row = await client.conversation(ultra_row(GROUP))
    assert row is not None and (row.unread, row.mentions, row.muted) == (10, 2, True)
    channels = {c.channel: c for c in await client.ultra.channels(GROUP)}
    assert (channels[""].unread, channels[""].mentions) == (10, 2)
    assert channels["news"].dnd and (await client.ultra.group(GROUP)).level == "mentions"  # type: ignore[union-attr]
    # A sync naming no group any more: this device forgets it and its list row.
    await store.ultra.apply_states([], every_group=True)
    assert await client.conversations() == [] and await client.ultra.channels(GROUP) == []


def test_only_the_channels_this_device_lacks_are_pulled() -> None:
    state = UltraState(
        group=GROUP,
        channels=[
            UltraChannelState(channel="", max_seq=10),
            UltraChannelState(channel="news", max_seq=4),
            UltraChannelState(channel="quiet", max_seq=5, first_seq=6),  # joined after
        ],
    )
    quiet = channel_ref(GROUP, "quiet")
    trackers = {GENERAL: SeqTracker(10, 1), NEWS: SeqTracker(2, 1), quiet: SeqTracker()}
    assert channels_to_pull([state], trackers) == [(NEWS, trackers[NEWS], 4)]


def test_each_level_and_dnd_decide_what_notifies() -> None:
    plain = {"content": "hi"}
    at_me = {"content": "@bob", "mentionedInfo": messages.mention_info(["bob"])}
    at_all = {"content": "@all", "mentionedInfo": messages.mention_info(everyone=True)}
    expected = {
        "all": (True, True, True),
        "mentions": (False, True, True),
        "mentions_me": (False, True, False),
        "none": (False, False, False),
    }
    for level, wanted in expected.items():
        channel = UltraChannelRow(GROUP, "news", "News", effective_level=level)
        found = tuple(notifies(channel, content, "bob") for content in (plain, at_me, at_all))
        assert found == wanted, level
        quiet = UltraChannelRow(GROUP, "news", "News", dnd=True, effective_level=level)
        assert not any(notifies(quiet, content, "bob") for content in (plain, at_me, at_all))


async def test_pushed_mentions_count_as_the_channel_level_says(client: IMClient) -> None:
    store = client.store

    def mention(seq: int, *, everyone: bool) -> MessageRecord:
        info = messages.mention_info([] if everyone else ["bob"], everyone=everyone)
        return MessageRecord(
            **{
                **{f: getattr(_record(NEWS, seq, "@"), f) for f in MessageRecord.__struct_fields__},
                "content": {"content": "@", "mentionedInfo": info},
            }
        )

    async def mentions_after(level: str, first: int) -> int:
        state = UltraState(
            group=GROUP,
            channels=[UltraChannelState(channel="news", effective_level=level)],  # type: ignore[arg-type]
        )
        await store.ultra.apply_states([state])
        await store.state.mark_read(NEWS)
        records = [mention(first, everyone=True), mention(first + 1, everyone=False)]
        await _store(store, NEWS, records)
        row = await client.conversation(NEWS)
        assert row is not None and row.unread == 2
        return row.mentions

    assert await mentions_after("all", 1) == 2
    assert await mentions_after("mentions_me", 3) == 1  # @all is no mention here
    assert await mentions_after("none", 5) == 0

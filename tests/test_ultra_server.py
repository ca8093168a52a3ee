"""Ultra groups on a real server, over raw frames: channels, read diffusion counts, the
pre-join history option, notification levels, edits, deletion by time, the group cap."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import pytest

from imkit_tui.protocol import (
    EDIT_OBJECT_NAME,
    ConvRef,
    DeleteBefore,
    EditMessage,
    ErrorCode,
    ErrorFrame,
    MarkRead,
    PullReply,
    PullRequest,
    Recall,
    SendAck,
    SendMessage,
    UltraDeleted,
    UltraInfo,
    UltraRequest,
    UltraSettings,
    UltraState,
    UltraSync,
    UltraSynced,
    UltraUpdate,
    edit_applies,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.budgets import Budget, FrameBudgets
from imkit_tui.server.ultra.config import UltraPolicy
from tests.conftest import ServerHandle, running_server
from tests.wire import WireClient


def ug(group: str, channel: str = "") -> ConvRef:
    """The conversation of an ultra group's channel."""
    return ConvRef(type=10, target=group, channel=channel)


async def ultra(client: WireClient, group: str, op: str, **fields: Any) -> UltraInfo:
    """An UltraRequest that must succeed."""
    answer = await client.request(UltraRequest(group=group, op=op, **fields))  # type: ignore[arg-type]
    assert isinstance(answer, UltraInfo), answer
    return answer


async def refused(client: WireClient, frame: Any) -> int:
    """The error code a request is refused with."""
    answer = await client.request(frame)
    assert isinstance(answer, ErrorFrame), answer
    return answer.code


_cmids = iter(range(1, 10**9))


async def say(
    client: WireClient, conv: ConvRef, text: str, mention: dict[str, Any] | None = None
) -> SendAck:
    """Send a text to a channel; its ack."""
    content: dict[str, Any] = {"content": text}
    if mention:
        content["mentionedInfo"] = mention
    answer = await client.request(
        SendMessage(conv=conv, object_name="RC:TxtMsg", content=content, cmid=f"c{next(_cmids)}")
    )
    assert isinstance(answer, SendAck), answer
    return answer


def text_message(conv: ConvRef, text: str, cmid: str) -> SendMessage:
    """A text to send to `conv` under `cmid` (sent as `request`, to see its answer)."""
    return SendMessage(conv=conv, object_name="RC:TxtMsg", content={"content": text}, cmid=cmid)


async def synced(client: WireClient, group: str) -> UltraState:
    """The user's state of one ultra group."""
    answer = await client.request(UltraSync(groups=[group]))
    assert isinstance(answer, UltraSynced) and len(answer.groups) == 1, answer
    return answer.groups[0]


def channel_of(state: UltraState, channel: str) -> Any:
    return next(c for c in state.channels if c.channel == channel)


async def pull(client: WireClient, conv: ConvRef, after: int = 0, before: int = 0) -> PullReply:
    answer = await client.request(
        PullRequest(conv=conv, after_seq=after, before_seq=before, limit=100)
    )
    assert isinstance(answer, PullReply), answer
    return answer


async def login_all(server: ServerHandle, *users: str) -> list[WireClient]:
    return [await server.login(user) for user in users]


async def test_channels_are_isolated_and_counted_by_read_diffusion(
    server_handle: ServerHandle,
) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "g1", "create", name="Guild")
    info = await ultra(alice, "g1", "channel_create", channel="news", name="News")
    assert [c.channel for c in info.channels] == ["", "news"]
    await ultra(bob, "g1", "join")
    for i in range(3):
        await say(alice, ug("g1"), f"general {i}")
    await say(alice, ug("g1", "news"), "headline")
    general = await pull(bob, ug("g1"))
    news = await pull(bob, ug("g1", "news"))
    assert [m.content["content"] for m in general.messages] == [f"general {i}" for i in range(3)]
    assert [m.content["content"] for m in news.messages] == ["headline"]
    assert [m.seq for m in news.messages] == [1]  # each channel numbers its own messages
    state = await synced(bob, "g1")
    assert (channel_of(state, "").unread, channel_of(state, "news").unread) == (3, 1)
    assert state.unread == 4
    # Reading one channel leaves the other's count alone; own messages never count.
    update = await bob.request(MarkRead(conv=ug("g1"), seq=2))
    assert isinstance(update, UltraUpdate)
    assert [(c.channel, c.unread) for c in update.state.channels] == [("", 1)]
    await say(bob, ug("g1", "news"), "my own")
    state = await synced(bob, "g1")
    assert (channel_of(state, "").unread, channel_of(state, "news").unread) == (1, 1)
    assert channel_of(state, "news").max_seq == 2
    # A recalled message counts no more.
    ack = await say(alice, ug("g1", "news"), "oops")
    assert channel_of(await synced(bob, "g1"), "news").unread == 2
    assert isinstance(await alice.request(Recall(conv=ug("g1", "news"), uid=ack.uid)), SendAck)
    assert channel_of(await synced(bob, "g1"), "news").unread == 1
    # A read position never passes the channel's newest message (nor goes back).
    ahead = await bob.request(MarkRead(conv=ug("g1", "news"), seq=10**6))
    assert isinstance(ahead, UltraUpdate)
    assert ahead.state.channels[0].read_seq == ahead.state.channels[0].max_seq == 4
    await say(alice, ug("g1", "news"), "counted again")
    assert channel_of(await synced(bob, "g1"), "news").unread == 1


async def test_online_members_get_pushes_and_sync_lists_no_ultra_group(
    server_handle: ServerHandle,
) -> None:
    alice, bob, carol = await login_all(server_handle, "alice", "bob", "carol")
    await ultra(alice, "g2", "create", name="G")
    await ultra(bob, "g2", "join")
    await say(alice, ug("g2"), "hello")
    push = await bob.next_push()
    assert push.message.conv == ug("g2") and push.message.content == {"content": "hello"}
    # A stranger may neither read nor send.
    assert await refused(carol, PullRequest(conv=ug("g2"))) == ErrorCode.NOT_IN_ULTRA_GROUP
    code = await refused(
        carol, SendMessage(conv=ug("g2"), object_name="RC:TxtMsg", content={}, cmid="x1")
    )
    assert code == ErrorCode.NOT_IN_ULTRA_GROUP
    assert await refused(carol, UltraRequest(group="nope", op="join")) == (
        ErrorCode.ULTRA_GROUP_NOT_FOUND
    )
    assert await refused(bob, PullRequest(conv=ug("g2", "nope"))) == (
        ErrorCode.ULTRA_CHANNEL_NOT_FOUND
    )


async def test_new_members_see_only_what_follows_unless_pre_join_history(
    server_handle: ServerHandle,
) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "closed", "create", name="Closed")
    await ultra(alice, "open", "create", name="Open", pre_join_history=True)
    for group in ("closed", "open"):
        await say(alice, ug(group), "before")
    await ultra(bob, "closed", "join")
    await ultra(bob, "open", "join")
    for group in ("closed", "open"):
        await say(alice, ug(group), "after")
    closed = await pull(bob, ug("closed"))
    assert [m.content["content"] for m in closed.messages] == ["after"]
    assert closed.floor_seq == 2
    assert channel_of(await synced(bob, "closed"), "").unread == 1
    history = await pull(bob, ug("open"))
    assert [m.content["content"] for m in history.messages] == ["before", "after"]
    assert channel_of(await synced(bob, "open"), "").unread == 2
    # Switched on later, the option opens the history to members who joined before.
    await ultra(alice, "closed", "configure", pre_join_history=True)
    assert len((await pull(bob, ug("closed"))).messages) == 2
    assert await refused(bob, UltraRequest(group="closed", op="configure", level="none")) == (
        ErrorCode.INVALID_PARAMETER
    )


@pytest.mark.parametrize(
    ("level", "mentions", "pushed"),
    [
        ("all", 2, 4),
        ("mentions", 2, 2),
        ("mentions_me", 1, 1),
        ("none", 0, 0),
        ("default", 2, 4),
    ],
)
async def test_each_level_decides_mention_counts_and_notifications(
    server_handle: ServerHandle, level: str, mentions: int, pushed: int
) -> None:
    from imkit_tui.server.ultra.levels import effective_level, mention_of, notifies

    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "lv", "create", name="Levels")
    await ultra(bob, "lv", "join")
    answer = await bob.request(UltraSettings(group="lv", channel="", level=level))  # type: ignore[arg-type]
    assert isinstance(answer, UltraUpdate)
    sent = [
        ("plain", None),
        ("to bob", {"type": 2, "userIdList": ["bob"]}),
        ("to all", {"type": 1, "userIdList": []}),
        ("to carol", {"type": 2, "userIdList": ["carol"]}),
    ]
    for text, mention in sent:
        await say(alice, ug("lv"), text, mention)
    channel = channel_of(await synced(bob, "lv"), "")
    assert (channel.unread, channel.mentions) == (4, mentions)
    assert channel.level == level and channel.effective_level == effective_level(level, "default")
    # Toasts and offline pushes follow the same rule, decided without I/O.
    decided = [
        notifies(
            channel.effective_level,
            False,
            mention_of(
                "bob",
                bool(m and m["type"] == 1),
                ",".join(["", *(m or {}).get("userIdList", []), ""]),
            ),
        )
        for _, m in sent
    ]
    assert sum(decided) == pushed
    # DND silences everything, whatever the level; counts go on.
    dnd = await bob.request(UltraSettings(group="lv", dnd=True))
    assert isinstance(dnd, UltraUpdate) and dnd.state.dnd
    assert not any(
        notifies(channel.effective_level, True, mention_of("bob", True, ",bob,")) for _ in sent
    )
    assert channel_of(await synced(bob, "lv"), "").unread == 4


async def test_owner_default_level_and_channel_level_fall_back(
    server_handle: ServerHandle,
) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "fb", "create", name="Fallback")
    await ultra(alice, "fb", "channel_create", channel="ch", name="Ch")
    await ultra(bob, "fb", "join")
    info = await ultra(alice, "fb", "configure", level="mentions_me")
    assert info.default_level == "mentions_me"
    await bob.request(UltraSettings(group="fb", channel="ch", level="all"))
    await say(alice, ug("fb"), "@all", {"type": 1, "userIdList": []})
    await say(alice, ug("fb", "ch"), "@all", {"type": 1, "userIdList": []})
    state = await synced(bob, "fb")
    assert channel_of(state, "").effective_level == "mentions_me"
    assert channel_of(state, "").mentions == 0
    assert channel_of(state, "ch").effective_level == "all"
    assert channel_of(state, "ch").mentions == 1


async def test_edits_reach_a_device_that_was_away_and_the_newest_wins(
    server_handle: ServerHandle,
) -> None:
    alice = await server_handle.login("alice", "phone")
    laptop = await server_handle.login("alice", "laptop")
    bob = await server_handle.login("bob")
    await ultra(alice, "ed", "create", name="Edits")
    await ultra(bob, "ed", "join")
    original = await say(alice, ug("ed"), "first")
    await laptop.next_push()
    await laptop.close()  # the laptop goes away
    acks = []
    for i, text in enumerate(["second", "third"]):
        ack = await alice.request(
            EditMessage(conv=ug("ed"), uid=original.uid, content={"content": text}, cmid=f"e{i}")
        )
        assert isinstance(ack, SendAck), ack
        acks.append(ack)
    assert (await bob.next_push()).message.uid == original.uid
    edit_push = await bob.next_push()
    assert edit_push.message.object_name == EDIT_OBJECT_NAME
    assert edit_push.message.content["messageUId"] == original.uid
    # The laptop comes back and pulls forward: the events, in seq order, then the
    # message itself with the newest content and its "edited" mark.
    laptop = await server_handle.login("alice", "laptop")
    page = await pull(laptop, ug("ed"), after=original.seq)
    events = [m for m in page.messages if m.object_name == EDIT_OBJECT_NAME]
    assert [e.content["content"]["content"] for e in events] == ["second", "third"]
    assert [e.seq for e in events] == [a.seq for a in acks]
    shown, edit_seq = "first", 0
    for event in reversed(events):  # even out of order, the newest edit wins
        if edit_applies(edit_seq, event.seq):
            shown, edit_seq = event.content["content"]["content"], event.seq
    assert shown == "third"
    history = await pull(laptop, ug("ed"), before=10**6)
    first = next(m for m in history.messages if m.uid == original.uid)
    assert first.content == {"content": "third"}
    assert first.edit_seq == acks[-1].seq and first.edited_at >= original.sent_at
    # An edit is not unread for anyone; only the sender edits; a retry is one edit.
    assert channel_of(await synced(bob, "ed"), "").unread == 1
    code = await refused(
        bob, EditMessage(conv=ug("ed"), uid=original.uid, content={"content": "x"}, cmid="b1")
    )
    assert code == ErrorCode.MESSAGE_NOT_MODIFIABLE
    again = await alice.request(
        EditMessage(conv=ug("ed"), uid=original.uid, content={"content": "third"}, cmid="e1")
    )
    assert isinstance(again, SendAck) and again.seq == acks[-1].seq


async def test_delete_by_time_on_the_server(server_handle: ServerHandle) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "del", "create", name="Del")
    await ultra(alice, "del", "channel_create", channel="two", name="Two")
    await ultra(bob, "del", "join")
    for conv in (ug("del"), ug("del", "two")):
        await say(alice, conv, "old")
    await asyncio.sleep(0.01)
    cut = now_ms()
    await asyncio.sleep(0.01)
    for conv in (ug("del"), ug("del", "two")):
        await say(alice, conv, "new")
    # Bob deletes the old ones for himself, in one channel: alice still has them.
    mine = await bob.request(DeleteBefore(conv=ug("del"), before=cut))
    assert isinstance(mine, UltraDeleted) and not mine.for_everyone
    assert [m.content["content"] for m in (await pull(bob, ug("del"))).messages] == ["new"]
    assert len((await pull(alice, ug("del"))).messages) == 2
    assert channel_of(await synced(bob, "del"), "").unread == 1
    # Only the owner deletes for everyone; then, in every channel, the server drops them.
    code = await refused(bob, DeleteBefore(conv=ug("del"), before=cut, for_everyone=True))
    assert code == ErrorCode.INVALID_PARAMETER
    done = await alice.request(
        DeleteBefore(conv=ug("del"), before=cut, all_channels=True, for_everyone=True)
    )
    assert isinstance(done, UltraDeleted) and done.for_everyone and done.channel is None
    told = await bob.recv()
    assert isinstance(told, UltraDeleted) and told.before == cut
    for conv in (ug("del"), ug("del", "two")):
        assert [m.content["content"] for m in (await pull(alice, conv)).messages] == ["new"]
        back = await pull(alice, conv, before=10**6)
        assert [m.content["content"] for m in back.messages] == ["new"]
    assert channel_of(await synced(bob, "del"), "two").unread == 1


async def test_mute_member_mute_all_and_whitelist(server_handle: ServerHandle) -> None:
    alice, bob, carol = await login_all(server_handle, "alice", "bob", "carol")
    await ultra(alice, "mu", "create", name="Mute")
    await ultra(bob, "mu", "join")
    await ultra(carol, "mu", "join")
    info = await ultra(alice, "mu", "mute", members=["bob"])
    assert info.muted == ["bob"]
    message = SendMessage(conv=ug("mu"), object_name="RC:TxtMsg", content={}, cmid="m1")
    assert await refused(bob, message) == ErrorCode.MUTED_IN_ULTRA_GROUP
    await say(carol, ug("mu"), "carol speaks")
    await ultra(alice, "mu", "unmute", members=["bob"])
    await ultra(alice, "mu", "mute_all")
    await ultra(alice, "mu", "allow_speak", members=["carol"])
    assert await refused(bob, message) == ErrorCode.MUTED_IN_ULTRA_GROUP
    await say(carol, ug("mu"), "whitelisted")
    await say(alice, ug("mu"), "the owner always speaks")
    assert await refused(bob, UltraRequest(group="mu", op="mute", members=["carol"])) == (
        ErrorCode.INVALID_PARAMETER
    )


async def test_channels_are_capped_renamed_and_deleted(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", ultra=UltraPolicy(max_channels=2)) as server:
        alice = await server.login("alice")
        await ultra(alice, "ch", "create", name="Ch")
        await ultra(alice, "ch", "channel_create", channel="a", name="A")
        await ultra(alice, "ch", "channel_create", channel="b", name="B")
        code = await refused(alice, UltraRequest(group="ch", op="channel_create", channel="c"))
        assert code == ErrorCode.ULTRA_CHANNEL_LIMIT
        info = await ultra(alice, "ch", "channel_rename", channel="a", name="Alpha")
        assert {c.channel: c.name for c in info.channels}["a"] == "Alpha"
        await say(alice, ug("ch", "b"), "gone soon")
        info = await ultra(alice, "ch", "channel_delete", channel="b")
        assert [c.channel for c in info.channels] == ["", "a"]
        assert await refused(alice, PullRequest(conv=ug("ch", "b"))) == (
            ErrorCode.ULTRA_CHANNEL_NOT_FOUND
        )
        await ultra(alice, "ch", "channel_create", channel="b", name="B again")
        assert (await pull(alice, ug("ch", "b"))).messages == []  # a new channel
        code = await refused(alice, UltraRequest(group="ch", op="channel_delete", channel=""))
        assert code == ErrorCode.INVALID_PARAMETER


async def test_a_user_joins_at_most_the_cap_of_ultra_groups(tmp_path: Path) -> None:
    roomy = FrameBudgets(group=Budget(1e9, 10**9))
    async with running_server(tmp_path / "s", budgets=roomy) as server:
        owner, bob = await login_all(server, "owner", "bob")
        cap = UltraPolicy().max_joined
        assert cap == 100
        for i in range(cap + 1):
            await ultra(owner if i else bob, f"cap{i}", "create", name=f"G{i}")
        for i in range(1, cap):
            await ultra(bob, f"cap{i}", "join")
        assert len((await bob.request(UltraSync())).groups) == cap  # type: ignore[union-attr]
        code = await refused(bob, UltraRequest(group=f"cap{cap}", op="join"))
        assert code == ErrorCode.ULTRA_GROUP_JOIN_LIMIT  # the 101st
        await ultra(bob, "cap1", "quit")
        await ultra(bob, f"cap{cap}", "join")


async def test_dismiss_tells_the_members_online(server_handle: ServerHandle) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "dm", "create", name="Dm")
    await ultra(bob, "dm", "join")
    assert await refused(bob, UltraRequest(group="dm", op="dismiss")) == (
        ErrorCode.INVALID_PARAMETER
    )
    renamed = await ultra(alice, "dm", "rename", name="Renamed")
    assert renamed.name == "Renamed" and renamed.member_count == 2
    told = await bob.recv()
    assert isinstance(told, UltraInfo) and told.name == "Renamed"
    gone = await ultra(alice, "dm", "dismiss")
    assert gone.dismissed
    told = await bob.recv()
    assert isinstance(told, UltraInfo) and told.dismissed
    assert (await bob.request(UltraSync())).groups == []  # type: ignore[union-attr]


async def test_cloud_history_keeps_seven_days_by_default(server_handle: ServerHandle) -> None:
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "old", "create", name="Old", pre_join_history=True)
    await ultra(bob, "old", "join")
    await say(alice, ug("old"), "last week")
    await say(alice, ug("old"), "today")
    server = server_handle.server
    assert server is not None and server.store is not None
    eight_days = 8 * 24 * 3600 * 1000
    server_handle.alter_store(
        "UPDATE messages SET sent_at = sent_at - ? WHERE content LIKE '%last week%'",
        "UPDATE messages SET sent_at = sent_at - $1 WHERE content LIKE '%last week%'",
        eight_days,
    )
    page = await pull(bob, ug("old"), before=100)
    assert [m.content["content"] for m in page.messages] == ["today"]
    assert channel_of(await synced(bob, "old"), "").unread == 1
    await server._prune()
    rows = await server_handle.stored_rows(
        "SELECT content FROM messages WHERE content LIKE '%last week%'"
    )
    assert rows == []


async def test_the_apps_sensitive_words_hold_in_ultra_groups_and_their_edits(
    server_handle: ServerHandle,
) -> None:
    """As in every other send: a refused word stops a message (21501) and a replaced one
    is stored replaced; an edit cannot bring in what a send may not say."""
    assert server_handle.server is not None and server_handle.server.store is not None
    words = server_handle.server.store.words
    assert await words.add("spam", None) and await words.add("darn", "****")
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "sw", "create", name="Words")
    await ultra(bob, "sw", "join")

    said = functools.partial(text_message, ug("sw"))

    assert await refused(alice, said("buy spam", "s1")) == ErrorCode.SENSITIVE_WORD_BLOCKED
    masked = await alice.request(said("darn it", "s2"))
    assert isinstance(masked, SendAck) and masked.content == {"content": "**** it"}
    fine = await say(alice, ug("sw"), "fine")

    def edited(text: str, cmid: str) -> EditMessage:
        return EditMessage(conv=ug("sw"), uid=fine.uid, content={"content": text}, cmid=cmid)

    assert await refused(alice, edited("spam now", "e1")) == ErrorCode.SENSITIVE_WORD_BLOCKED
    edit = await alice.request(edited("darn fine", "e2"))
    assert isinstance(edit, SendAck) and edit.content is not None
    assert edit.content["content"] == {"content": "**** fine"}
    history = await pull(bob, ug("sw"), before=10**6)
    shown = sorted(history.messages, key=lambda m: m.seq)
    assert [m.content for m in shown if m.object_name == "RC:TxtMsg"] == [
        {"content": "**** it"},
        {"content": "**** fine"},
    ]


async def test_a_retry_of_a_message_stored_before_a_mute_a_word_or_leaving_gets_its_ack(
    server_handle: ServerHandle,
) -> None:
    """Idempotent send, as in groups: what changed since a message (or an edit) was
    stored refuses new sends, never the retry of a stored one; nothing is stored twice."""
    assert server_handle.server is not None and server_handle.server.store is not None
    alice, bob = await login_all(server_handle, "alice", "bob")
    await ultra(alice, "re", "create", name="Retries")
    await ultra(bob, "re", "join")

    said = functools.partial(text_message, ug("re"))

    first = await bob.request(said("before it all", "b1"))
    assert isinstance(first, SendAck)
    edit = EditMessage(conv=ug("re"), uid=first.uid, content={"content": "before, edited"},
                       cmid="e1")  # fmt: skip
    edited = await bob.request(edit)
    assert isinstance(edited, SendAck)

    async def retried() -> None:
        again = await bob.request(said("before it all", "b1"))
        assert isinstance(again, SendAck), again
        assert (again.uid, again.seq) == (first.uid, first.seq)
        edit_again = await bob.request(edit)
        assert isinstance(edit_again, SendAck), edit_again
        assert edit_again.seq == edited.seq

    await ultra(alice, "re", "mute", members=["bob"])
    await retried()
    assert await refused(bob, said("after", "b2")) == ErrorCode.MUTED_IN_ULTRA_GROUP
    await ultra(alice, "re", "unmute", members=["bob"])
    assert await server_handle.server.store.words.add("before", None)
    await retried()
    assert await refused(bob, said("before long", "b3")) == ErrorCode.SENSITIVE_WORD_BLOCKED
    await ultra(bob, "re", "quit")
    await retried()
    assert await refused(bob, said("outside", "b4")) == ErrorCode.NOT_IN_ULTRA_GROUP
    history = await pull(alice, ug("re"), before=10**6)
    assert sorted(m.cmid for m in history.messages) == ["b1", "e1"]

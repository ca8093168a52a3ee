"""client.ultra against the real server: channels kept apart in the local store, the
read-diffusion counts learnt at login and kept by pushes, reads per channel on every
device, edits across two devices (one offline, catching up), deleting by time."""

from __future__ import annotations

import asyncio

import pytest

from imkit_tui import messages
from imkit_tui.core import IMClient, RequestFailed, channel_ref, ultra_row
from imkit_tui.protocol import ConvRef, ErrorCode
from imkit_tui.protocol.clock import now_ms
from tests.conftest import ClientFactory, until_client

GROUP = "guild"
GENERAL = channel_ref(GROUP, "")
NEWS = channel_ref(GROUP, "news")


async def _guild(alice: IMClient, *members: IMClient) -> None:
    """alice's ultra group with a second channel, and `members` in it."""
    await alice.ultra.create(GROUP, "Guild")
    await alice.ultra.create_channel(GROUP, "news", "News")
    for member in members:
        await member.ultra.join(GROUP)


async def _texts(client: IMClient, conv: ConvRef) -> list[str]:
    """The texts the chat shows (edit events are stored, never shown)."""
    shown = [m for m in await client.messages(conv) if messages.lookup(m.object_name).shown]
    return [str(m.content.get("content")) for m in shown]


async def _sent(client: IMClient, conv: ConvRef, *texts: str, mention: str = "") -> None:
    sent = [
        await client.send_text(conv, text, mentioned=[mention] if mention else []) for text in texts
    ]
    await client.wait_sent([m.id for m in sent], timeout=10)


async def _unread(client: IMClient) -> dict[str, tuple[int, int]]:
    return {c.channel: (c.unread, c.mentions) for c in await client.ultra.channels(GROUP)}


async def test_channels_are_apart_and_counted_live_and_the_list_has_one_row(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _guild(alice, bob)
    await _sent(alice, GENERAL, "hello all", "second")
    await _sent(alice, NEWS, "news for @bob", mention="bob")

    async def counted() -> bool:
        return await _unread(bob) == {"": (2, 0), "news": (1, 1)}

    await until_client(bob, counted)
    assert await _texts(bob, GENERAL) == ["hello all", "second"]
    assert await _texts(bob, NEWS) == ["news for @bob"]
    rows = [r for r in await bob.conversations() if r.ref.type == 10]
    assert [(r.ref, r.unread, r.mentions, r.title) for r in rows] == [
        (ultra_row(GROUP), 3, 1, "Guild")
    ]
    # Reading one channel: the other keeps its count; bob's other device follows.
    phone = await make_client("bob", "phone")
    await until_client(phone, counted)
    await bob.mark_read(NEWS)

    async def news_read() -> bool:
        return await _unread(phone) == {"": (2, 0), "news": (0, 0)}

    await until_client(phone, news_read)
    row = await phone.conversation(ultra_row(GROUP))
    assert row is not None and row.unread == 2


async def test_an_offline_member_learns_counts_and_messages_at_login(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _guild(alice, bob)
    await bob.close()
    await _sent(alice, GENERAL, *[f"while away {i}" for i in range(5)])
    await _sent(alice, NEWS, "@bob look", mention="bob")
    again = await make_client("bob")  # the same store, a new process
    await again.ultra.sync()  # also done after every login; awaited here
    assert await _unread(again) == {"": (5, 0), "news": (1, 1)}
    assert await _texts(again, GENERAL) == [f"while away {i}" for i in range(5)]
    assert await _texts(again, NEWS) == ["@bob look"]


async def test_the_newest_edit_wins_on_a_device_that_was_offline(
    make_client: ClientFactory,
) -> None:
    laptop = await make_client("alice", "laptop")
    phone = await make_client("alice", "phone")
    bob = await make_client("bob")
    await _guild(laptop, bob)
    await _sent(laptop, NEWS, "meeting at ten")

    async def held() -> bool:
        return await _texts(phone, NEWS) == ["meeting at ten"]

    await phone.ultra.sync()
    await until_client(phone, held)
    await phone.close()
    (message,) = [m for m in await laptop.messages(NEWS) if m.seq == 1]
    await laptop.ultra.edit_text(message, "meeting at eleven")
    edited = await laptop.ultra.edit_text(message, "meeting at noon")
    assert edited.edited_at > 0 and edited.content["content"] == "meeting at noon"

    async def bob_sees() -> bool:
        return await _texts(bob, NEWS) == ["meeting at noon"]

    await until_client(bob, bob_sees)  # online: the edit events as pushes
    back = await make_client("alice", "phone")  # away during both edits
    await back.ultra.sync()
    (caught_up, *events) = await back.messages(NEWS)
    assert [e.object_name for e in events] == [messages.EDIT, messages.EDIT]
    assert caught_up.content["content"] == "meeting at noon" and caught_up.edited_at > 0
    assert [h.message.id for h in await back.search.messages("noon")] == [caught_up.id]
    assert await back.search.messages("ten") == []
    # Nobody else may edit it.
    theirs = (await bob.messages(NEWS))[0]
    with pytest.raises(ValueError):
        await bob.ultra.edit_text(theirs, "hijacked")


async def test_deleting_by_time_here_and_for_everyone(make_client: ClientFactory) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _guild(alice, bob)
    await _sent(alice, NEWS, "old 1", "old 2")
    await _sent(alice, GENERAL, "general old")
    await asyncio.sleep(0.01)
    cut = now_ms()
    await asyncio.sleep(0.01)
    await _sent(alice, NEWS, "new 1")

    async def bob_has_all() -> bool:
        return len(await _texts(bob, NEWS)) == 3

    await until_client(bob, bob_has_all)
    # bob, for himself: gone from his store, still with alice.
    await bob.ultra.delete_before(NEWS, cut)
    assert await _texts(bob, NEWS) == ["new 1"]
    assert await _texts(alice, NEWS) == ["old 1", "old 2", "new 1"]
    # alice, the owner, for everyone in every channel: gone from both stores.
    await alice.ultra.delete_before(GENERAL, cut, all_channels=True, for_everyone=True)
    assert await _texts(alice, NEWS) == ["new 1"] and await _texts(alice, GENERAL) == []

    async def bob_follows() -> bool:
        return await _texts(bob, GENERAL) == []

    await until_client(bob, bob_follows)
    # Only the owner deletes for everyone.
    with pytest.raises(RequestFailed):
        await bob.ultra.delete_before(NEWS, now_ms(), for_everyone=True)


async def test_levels_dnd_channels_and_leaving(make_client: ClientFactory) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await _guild(alice, bob)
    await bob.ultra.set_level(GROUP, "mentions_me", "news")
    await bob.ultra.set_dnd(GROUP, True)
    group = await bob.ultra.group(GROUP)
    channels = {c.channel: c for c in await bob.ultra.channels(GROUP)}
    assert group is not None and group.dnd and channels["news"].level == "mentions_me"
    row = await bob.conversation(ultra_row(GROUP))
    assert row is not None and row.muted
    # The owner's channel changes reach bob.
    await alice.ultra.rename_channel(GROUP, "news", "Headlines")

    async def renamed() -> bool:
        return any(c.name == "Headlines" for c in await bob.ultra.channels(GROUP))

    await until_client(bob, renamed)
    await alice.ultra.delete_channel(GROUP, "news")

    async def deleted() -> bool:
        return [c.channel for c in await bob.ultra.channels(GROUP)] == [""]

    await until_client(bob, deleted)
    with pytest.raises(RequestFailed) as refused:
        await bob.ultra.create_channel(GROUP, "mine")
    assert refused.value.code != 0
    await bob.ultra.quit(GROUP)
    assert await bob.ultra.group(GROUP) is None
    assert [r for r in await bob.conversations() if r.ref.type == 10] == []
    with pytest.raises(RequestFailed) as gone:
        await bob.ultra.info(GROUP)
    assert gone.value.code == ErrorCode.NOT_IN_ULTRA_GROUP

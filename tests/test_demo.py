"""The demo workspace: every kind of bubble on the first start, and only once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from imkit_tui import messages
from imkit_tui.commands.demo import (
    DEMO_GROUP,
    DEMO_ROOM,
    ROOM_BOT,
    RoomBot,
    create_demo,
    demo_chatrooms,
)
from imkit_tui.core import IMClient
from imkit_tui.core.message_files import media_url_of
from imkit_tui.protocol import SYSTEM_ACCOUNT, ConversationType, ConvRef
from tests.conftest import FAST_BACKOFF, ServerHandle, until_client


async def test_the_demo_shows_every_kind_of_message_once(
    server_handle: ServerHandle, tmp_path: Path
) -> None:
    server = server_handle.server
    assert server is not None
    await create_demo(server, "me", tmp_path / "demo-stores")
    await create_demo(server, "me", tmp_path / "demo-stores")  # a second start adds nothing
    me = IMClient(
        server_url=server_handle.url,
        token=server_handle.token("me"),
        store_path=tmp_path / "me" / "store.db",
        backoff=FAST_BACKOFF,
    )
    await me.start()
    try:
        await me.wait_synced(timeout=10)
        group = await me.history.load(ConvRef(type=ConversationType.GROUP, target=DEMO_GROUP))
        kinds = [m.object_name for m in group]
        for name in (messages.IMAGE, messages.VOICE, messages.FILE, messages.LOCATION):
            assert kinds.count(name) == 1, kinds
        for message in group:
            if message.object_name in (messages.IMAGE, messages.VOICE, messages.FILE):
                assert media_url_of(message.object_name, message.content)
                path = await me.files.download(message)
                assert path.stat().st_size > 0
        alice = await me.history.load(ConvRef.private("alice"))
        (call,) = [m for m in alice if m.object_name == messages.CALL_HANGUP]
        assert messages.summarize(call.object_name, call.content) == "Voice call · 3:12"
    finally:
        await me.close()


async def _seeded_order(home: Path, *, cut: bool = False) -> list[tuple[str, str, str, str]]:
    """Seed the demo on a fresh server in ``home``; return every message as ``me`` sees it.

    With `cut`, the first seeding is cancelled once two of its messages are in (the app
    quit while it ran), and the next start seeds again."""
    handle = ServerHandle(home / "server")
    server = await handle.start()
    try:
        me = IMClient(
            server_url=handle.url,
            token=handle.token("me"),
            store_path=home / "me" / "store.db",
            backoff=FAST_BACKOFF,
        )
        await me.start()
        try:
            await me.wait_synced(timeout=10)
            if cut:
                seeding = asyncio.create_task(create_demo(server, "me", home / "demo-stores"))

                async def two_in() -> bool:
                    return len(await me.history.load(ConvRef.private("alice"))) >= 2

                await until_client(me, two_in)
                seeding.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await seeding
            await create_demo(server, "me", home / "demo-stores")

            async def all_in() -> bool:
                call = await me.history.load(ConvRef.private("alice"))
                return any(m.object_name == messages.CALL_HANGUP for m in call)

            await until_client(me, all_in)
            seen: list[tuple[int, str, str, str, str]] = []
            convs = [ConvRef.private(name) for name in ("alice", "bob", "echo-bot")]
            for conv in [ConvRef(type=ConversationType.GROUP, target=DEMO_GROUP), *convs]:
                for m in await me.history.load(conv):
                    summary = messages.summarize(m.object_name, m.content)
                    seen.append((m.sent_at, conv.target, m.sender, m.object_name, summary))
            system = ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)
            welcomes = [
                (SYSTEM_ACCOUNT, m.sender, m.object_name, "") for m in await me.history.load(system)
            ]
        finally:
            await me.close()
    finally:
        await handle.stop()
    seen.sort()
    times = [row[0] for row in seen]
    assert times == sorted(set(times)), "two demo messages share a time"
    return [row[1:] for row in seen] + welcomes


async def test_a_seeding_cut_short_and_started_again_sends_nothing_twice(tmp_path: Path) -> None:
    whole = await _seeded_order(tmp_path / "whole")
    again = await _seeded_order(tmp_path / "again", cut=True)
    assert sorted(again) == sorted(whole)
    assert [row for row in again if row[0] == SYSTEM_ACCOUNT] == [  # the welcome, once
        (SYSTEM_ACCOUNT, SYSTEM_ACCOUNT, messages.TEXT, "")
    ]


async def test_the_demo_comes_in_the_same_order_on_every_fresh_start(tmp_path: Path) -> None:
    first = await _seeded_order(tmp_path / "one")
    second = await _seeded_order(tmp_path / "two")
    assert first == second
    notice, *group = [row for row in first if row[0] == DEMO_GROUP]
    assert notice[2] == messages.GROUP_NTF
    kinds = [row[2] for row in group]
    assert kinds == [messages.TEXT] * 3 + [
        messages.IMAGE,
        messages.VOICE,
        messages.FILE,
        messages.LOCATION,
    ]
    assert [row[1] for row in group] == ["alice", "bob", "alice", "alice", "bob", "alice", "bob"]


async def test_the_demo_lobby_is_public_and_its_bot_talks_at_a_steady_rate(
    tmp_path: Path,
) -> None:
    handle = ServerHandle(tmp_path / "server", chatrooms=demo_chatrooms())
    server = await handle.start()
    bot = RoomBot(server, tmp_path / "bots", every=0.05)
    me = IMClient(
        server_url=handle.url,
        token=handle.token("me"),
        store_path=tmp_path / "me" / "store.db",
        backoff=FAST_BACKOFF,
    )
    try:
        await bot.start()
        await me.start()
        await me.wait_synced(timeout=10)
        (lobby,) = await me.chatrooms.public()
        assert (lobby.room, lobby.name) == (DEMO_ROOM, "Lobby")
        await me.chatrooms.join_existing(DEMO_ROOM, recent=0)

        async def five_lines() -> bool:
            held = await me.chatrooms.messages(DEMO_ROOM)
            return sum(m.sender == ROOM_BOT for m in held) >= 5

        await until_client(me, five_lines)
        assert await me.conversations() == []
    finally:
        await bot.stop()
        await me.close()
        await handle.stop()

"""No work that grows with a channel's length on the client's ultra group paths.

As tests/test_history_cost.py does for every conversation: the same store operations
run on a channel of 100 messages and of 100,000, and the SQLite steps each takes are
compared. Receiving a message keeps the group's list row (a trigger over the group's
channels, never their messages), an edit finds its original by server id, the server's
counts are merged by key, the sidebar reads the group's channels only.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core import channel_ref
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import (
    UltraChannel,
    UltraChannelState,
    UltraInfo,
    UltraState,
)
from tests.step_counts import steps_of
from tests.test_history_cost import LONG, ME, PEER, SHORT, Operation, _record, _seed

GROUP = "g1"
NEWS = channel_ref(GROUP, "news")
INFO = UltraInfo(
    group=GROUP,
    name="G",
    owner=PEER,
    member=True,
    channels=[UltraChannel(channel=""), UltraChannel(channel="news")],
)


def _operations(count: int) -> dict[str, Operation]:
    top = count + 1
    edit_old = _record(
        NEWS,
        top + 1,
        10**12,
        object_name=messages.EDIT,
        content={"messageUId": f"{GROUP}-u1", "seq": 1, "content": {"content": "edited"}},
    )
    state = UltraState(
        group=GROUP,
        channels=[UltraChannelState(channel="news", max_seq=top + 1, read_seq=count, unread=1)],
    )

    async def receive(store: LocalStore) -> object:
        record = _record(NEWS, top, 10**12)
        return await store.messages.add_received(NEWS, [record], Coverage(top, 1, top))

    async def edit_event(store: LocalStore) -> object:
        return await store.messages.add_received(NEWS, [edit_old], Coverage(top + 1, 1, top + 1))

    async def own_edit(store: LocalStore) -> object:
        (message,) = await store.messages.page(NEWS, limit=1)
        return await store.ultra.edited(message, {"content": "mine"}, top + 2, 10**12)

    return {
        "receive a message": receive,
        "an edit event of the first message": edit_event,
        "an own edit": own_edit,
        "merge the server's counts": lambda store: store.ultra.apply_states([state]),
        "the sidebar's channels": lambda store: store.ultra.channels(GROUP),
        "the list": lambda store: store.conversations.page(50),
    }


async def _steps(tmp_path: Path, count: int) -> dict[str, int]:
    path = tmp_path / f"{count}.db"
    store = await LocalStore.open(path, ME)
    await store.close()
    _seed(path, 1, NEWS, count, 1_000)
    store = await LocalStore.open(path, ME)
    await store.ultra.save_info(INFO, 1_000)
    await store.search_index.stop()
    return await steps_of(store, {n: partial(op, store) for n, op in _operations(count).items()})


async def test_no_ultra_operation_grows_with_the_channel(tmp_path: Path) -> None:
    short = await _steps(tmp_path, SHORT)
    long = await _steps(tmp_path, LONG)
    grown = {
        name: (short[name], long[name]) for name in short if long[name] > 2 * short[name] + 100
    }
    assert not grown, f"VM steps at {SHORT} vs {LONG} messages: {grown}"
    assert all(short.values())  # each operation did run statements

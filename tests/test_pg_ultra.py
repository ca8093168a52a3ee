"""Ultra groups kept in PostgreSQL by two nodes (two stores on one schema): what one
node changes, the other uses from the change's commit on (a node keeps a group only
while its stored version is the same), and the caps hold for both together."""

from __future__ import annotations

import pytest

from imkit_tui.protocol import ErrorCode
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.ultra.records import UltraRefused
from tests.test_pg_store import two_nodes

__all__ = ["two_nodes"]  # the fixture, shared with tests/test_pg_store.py


async def test_a_group_changed_on_one_node_is_used_changed_on_the_other_at_once(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    await first.ultra.create("g", "Guild", "ann", 1, max_joined=5)
    kept = await second.ultra.require("g")  # the second node keeps it now
    assert list(kept.channels) == [""] and kept.member_count == 1
    assert await second.ultra.require("g") is kept  # and uses it while it is unchanged
    await first.ultra.add_channel("g", "news", "News", 2, max_channels=3)
    await first.ultra.set_voices("g", "muted", ["ben"], True)
    changed = await second.ultra.require("g")  # no notice awaited: the commit is enough
    assert "news" in changed.channels and changed.voices.muted == {"ben"}
    assert await second.ultra.join("g", "ben", 3, max_joined=5)
    assert not await first.ultra.join("g", "ben", 4, max_joined=5)  # a member already
    assert (await first.ultra.require("g")).member_count == 2
    assert await first.ultra.groups_of("ben") == ["g"]
    await second.ultra.set_voices("g", "muted", ["ben"], False)
    assert not (await first.ultra.require("g")).voices.muted
    assert sorted(await second.ultra.dismiss("g")) == ["ann", "ben"]
    assert await first.ultra.group("g") is None
    assert await first.ultra.groups_of("ben") == []


async def test_the_caps_hold_for_every_node_together(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    await first.ultra.create("a", "A", "ann", 1, max_joined=2)
    await second.ultra.create("b", "B", "bo", 1, max_joined=2)
    await second.ultra.join("b", "ann", 2, max_joined=2)
    with pytest.raises(UltraRefused) as refused:
        await first.ultra.create("c", "C", "ann", 3, max_joined=2)
    assert refused.value.code == ErrorCode.ULTRA_GROUP_JOIN_LIMIT
    with pytest.raises(UltraRefused) as taken:
        await first.ultra.create("b", "again", "cy", 3, max_joined=2)
    assert taken.value.code == ErrorCode.INVALID_PARAMETER
    await first.ultra.add_channel("a", "x", "X", 4, max_channels=1)
    with pytest.raises(UltraRefused) as full:
        await second.ultra.add_channel("a", "y", "Y", 5, max_channels=1)
    assert full.value.code == ErrorCode.ULTRA_CHANNEL_LIMIT
    assert await first.ultra.group("c") is None

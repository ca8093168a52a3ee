"""Each client knows its groups' names: from the server's answers, from the notices that
create and rename a group, and, for groups first seen in a sync, by asking."""

from __future__ import annotations

from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef
from tests.conftest import ClientFactory, until_client

TEAM = ConvRef.group("team")


async def _title(client: IMClient) -> str:
    rows = [c for c in await client.conversations() if c.ref == TEAM]
    return rows[0].title if rows else ""


async def _until_title(client: IMClient, wanted: str) -> None:
    async def titled() -> bool:
        return await _title(client) == wanted

    await until_client(client, titled)


async def test_names_follow_creation_renames_and_joins(make_client: ClientFactory) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    assert await _title(alice) == "Team"
    await _until_title(bob, "Team")  # from the "created" notice

    await alice.groups.rename("team", "Dream Team")
    await _until_title(bob, "Dream Team")
    assert await bob.store.groups.members("team") == []  # bob never asked for them

    # carol is added while she has never run a client: the notice she finds in her first
    # sync says she was added, not what the group is called, so her client asks.
    await bob.groups.invite("team", ["carol"])
    carol = await make_client("carol")
    await _until_title(carol, "Dream Team")
    assert await carol.store.groups.members("team") == ["alice", "bob", "carol"]

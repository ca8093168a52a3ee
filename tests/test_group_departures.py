"""Leaving a group, or seeing it dismissed, while away: what came before is still yours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from imkit_tui import messages
from imkit_tui.core import IMClient, SendStatus
from imkit_tui.protocol import ConvRef
from tests.conftest import ClientFactory, until_client

TEAM = ConvRef.group("team")


def _has(client: IMClient, wanted: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return any(wanted in str(m.content.get("content", "")) for m in await client.messages(TEAM))

    return check


async def test_a_member_away_when_the_group_is_dismissed_gets_all_on_return(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.groups.create("team", "Team", ["bob"])
    await until_client(bob, lambda: _count(bob, 1))
    await bob.close()

    await alice.send_text(TEAM, "while you were away")
    await alice.groups.dismiss("team")

    bob = await make_client("bob")
    await until_client(bob, _has(bob, "while you were away"))
    await until_client(bob, lambda: _count(bob, 3))
    last = (await bob.messages(TEAM))[-1]
    assert last.object_name == messages.GROUP_NTF
    assert last.content["operation"] == "Dismiss"
    # Afterwards the group is read-only for bob.
    late = await bob.send_text(TEAM, "hello?")
    (failed,) = await bob.wait_sent([late.id], timeout=10)
    assert failed.status == SendStatus.FAILED


async def _count(client: IMClient, wanted: int) -> bool:
    return len(await client.messages(TEAM)) >= wanted

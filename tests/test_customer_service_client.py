"""Customer service through the client core (`client.customer_service`), on the real
server: a customer and an agent, each an IMClient with its own store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from imkit_tui.core import IMClient
from imkit_tui.core.customer_service import service_conv
from imkit_tui.core.customer_service_state import ENDED, HUMAN, ROBOT, CsState
from imkit_tui.core.events import AgentDeskChanged, CustomerServiceChanged
from imkit_tui.protocol import ConversationType, ConvRef
from tests.conftest import ClientFactory, ServerHandle, running_server, until_client
from tests.cs_helpers import ACCOUNT, server_overrides


@pytest.fixture
async def server_handle(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    async with running_server(tmp_path / "server", **server_overrides()) as handle:
        yield handle


async def until_state(
    client: IMClient, check: Callable[[CsState], bool], timeout: float = 10.0
) -> CsState:
    """Wait until the conversation with the service satisfies `check`; that state."""
    await until_client(client, lambda: _holds(client, check), timeout=timeout)
    return await client.customer_service.state(ACCOUNT)


async def _holds(client: IMClient, check: Callable[[CsState], bool]) -> bool:
    return check(await client.customer_service.state(ACCOUNT))


async def texts(client: IMClient, conv: ConvRef) -> list[str]:
    """The texts of `conv` in `client`'s store, oldest first."""
    return [str(m.content.get("content", "")) for m in await client.messages(conv)]


async def test_a_customer_is_answered_by_the_robot_then_served_and_rates(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice = await make_client("alice")
    carol = await make_client("carol")
    info = await alice.customer_service.info()
    assert (info.account, info.agent) == (ACCOUNT, False)
    assert (await carol.customer_service.info()).agent

    conv = service_conv(ACCOUNT)
    with alice.subscribe() as events:
        await alice.customer_service.open(ACCOUNT)
        event = await events.next(5)
        while not isinstance(event, CustomerServiceChanged):
            event = await events.next(5)
    state = await until_state(alice, lambda s: s.mode == ROBOT)
    assert state.sid and state.label == "robot"

    await alice.send_text(conv, "how do I recall a message")
    answer = "Select it and press x within two minutes."
    await until_client(alice, lambda: _has(alice, conv, answer))

    with carol.subscribe() as desk_events:
        await alice.customer_service.ask_human(ACCOUNT)
        state = await until_state(alice, lambda s: s.mode == HUMAN)
        assert state.agent == "carol" and state.label == "agent carol"
        pushed = await desk_events.next(5)
        while not (isinstance(pushed, AgentDeskChanged) and pushed.desk.mine == ["alice"]):
            pushed = await desk_events.next(5)

    # The agent sees the customer's conversation with its history, and replies there.
    seen = ConvRef(type=ConversationType.CUSTOMER_SERVICE, target="alice")
    await alice.send_text(conv, "it says error 22")
    await until_client(carol, lambda: _has(carol, seen, "it says error 22"))
    assert "how do I recall a message" in await texts(carol, seen)
    await carol.send_text(seen, "try again now")
    await until_client(alice, lambda: _has(alice, conv, "try again now"))

    desk = await carol.customer_service.end("alice")
    assert desk.mine == []
    state = await until_state(alice, lambda s: s.mode == ENDED and s.rating_due)
    with pytest.raises(ValueError, match="1 to 5"):
        await alice.customer_service.rate(ACCOUNT, 0)
    await alice.customer_service.rate(ACCOUNT, 5, "solved")
    assert not (await alice.customer_service.state(ACCOUNT)).rating_due
    store = server_handle.server.require_store()  # type: ignore[union-attr]
    assert [(r[1], r[2], r[3], r[4]) for r in await store.customer_service.ratings()] == [
        ("alice", "carol", 5, "solved")
    ]


async def test_nobody_online_the_customer_leaves_a_message(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice = await make_client("alice")
    await alice.customer_service.open(ACCOUNT)
    await alice.customer_service.ask_human(ACCOUNT)
    state = await until_state(alice, lambda s: s.leave_message)
    assert "leave a message" in state.notice
    await alice.customer_service.leave_message(ACCOUNT, {"text": "call me", "phone": "123"})
    assert not (await alice.customer_service.state(ACCOUNT)).leave_message
    dave = await make_client("dave")
    left = await dave.customer_service.left()
    assert [(m.customer, m.fields["text"]) for m in left.left] == [("alice", "call me")]


async def _has(client: IMClient, conv: ConvRef, text: str) -> bool:
    return text in await texts(client, conv)
